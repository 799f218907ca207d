"""
Reactor-driven helpers for the end-to-end tests that run under pytest-twisted:
a real ``twistd`` child and TCP clients, all read by the test's reactor so that
every connection keeps being read while the others misbehave.

``tests/wire.py`` has the blocking counterparts (``Daemon``, ``Peer``) for
tests that drive one thing at a time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import NoReturn

from twisted.internet import reactor, tcp
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.interfaces import IHalfCloseableProtocol, IProcessTransport
from twisted.internet.protocol import ProcessProtocol, Protocol, connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from tests.wire import LISTENING, RUNNING, child_environment, twistd_command

WAIT = 20.0


class Watched:
    """Lines that arrive, and Deferreds that fire when a condition holds."""

    def __init__(self, ending: bytes) -> None:
        self.lines: list[str] = []
        self._ending = ending
        self._partial = b""
        self._waiting: list[tuple[Callable[[list[str]], bool], Deferred[None]]] = []

    def feed(self, data: bytes) -> None:
        """Bytes as they arrive; each complete line is noted."""
        *complete, self._partial = (self._partial + data).split(self._ending)
        for line in complete:
            self.arrived(line.decode("utf-8", "replace"))

    def arrived(self, line: str) -> None:
        self.lines.append(line)
        self._check()

    def _check(self) -> None:
        for entry in list(self._waiting):
            condition, waiter = entry
            if condition(self.lines):
                self._waiting.remove(entry)
                waiter.callback(None)

    def until(self, condition: Callable[[list[str]], bool], what: str) -> Deferred[None]:
        """Fires once ``condition`` holds for the lines so far; fails after ``WAIT``."""
        waiter: Deferred[None] = Deferred()
        self._waiting.append((condition, waiter))
        self._check()

        def timed_out(failure: Failure) -> NoReturn:
            raise AssertionError(f"waited {WAIT}s for {what}; last lines: {self.lines[-5:]!r}")

        return waiter.addTimeout(WAIT, reactor).addErrback(timed_out)

    def has(self, pattern: str) -> Callable[[list[str]], bool]:
        """A condition: some line so far matches ``pattern`` (a regular expression)."""
        return lambda lines: any(re.search(pattern, line) for line in lines)


class DaemonProcess(ProcessProtocol):
    """A ``twistd -n chatroom`` child of the reactor; its output is ``log``."""

    transport: IProcessTransport | None

    def __init__(self) -> None:
        self.log = Watched(b"\n")
        self.ended: Deferred[None] = Deferred()
        self.port = 0

    def outReceived(self, data: bytes) -> None:
        self.log.feed(data)

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(None)

    async def stop(self) -> None:
        """SIGTERM, and wait (bounded) for the process to end."""
        if self.transport is not None and self.transport.pid is not None:
            self.transport.signalProcess("TERM")
        await self.ended.addTimeout(WAIT, reactor)


async def start_daemon(*options: str) -> DaemonProcess:
    """
    ``twistd -n chatroom OPTIONS`` spawned by the reactor, running; ``port``
    is the one its log names (so give one ``--port``).
    """
    daemon = DaemonProcess()
    command = twistd_command("-n", "--pidfile=", "chatroom", *options)
    reactor.spawnProcess(daemon, command[0], command, env=child_environment(), path=os.getcwd())
    try:
        await daemon.log.until(daemon.log.has(re.escape(RUNNING)), "the daemon to run")
    except BaseException:
        await daemon.stop()
        raise
    (daemon.port,) = {int(m["port"]) for line in daemon.log.lines if (m := LISTENING.search(line))}
    return daemon


@implementer(IHalfCloseableProtocol)
class ClientProtocol(Protocol):
    """A TCP chat client on the reactor, as netcat would be; what it receives is ``seen``."""

    transport: tcp.Client  # TCP4ClientEndpoint's

    def __init__(self) -> None:
        self.seen = Watched(b"\r\n")
        self.closed: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.seen.feed(data)

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.closed.callback(None)

    def send(self, data: str | bytes) -> None:
        """Type a line (str), or send raw bytes as they are."""
        self.transport.write(data if isinstance(data, bytes) else data.encode() + b"\n")

    async def register(self, name: str) -> None:
        """Answer the prompt with ``name`` and wait for the online list."""
        self.send(name)
        await self.seen.until(self.seen.has(r"^online \("), f"{name}'s welcome")


async def connect(port: int) -> ClientProtocol:
    """A client connected to the daemon on loopback ``port``, its prompt received."""
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    client = await connectProtocol(endpoint, ClientProtocol())
    await client.seen.until(client.seen.has("^Please enter your name:$"), "the prompt")
    return client

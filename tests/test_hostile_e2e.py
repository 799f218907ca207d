"""
A crowd of hostile clients against a real daemon (docs/protocol.md §1, §3, §5): garbage
bytes, a reset mid-line, a half-closed socket, a client that never reads, a
flood, and a slowloris that never finishes its name. Three well-behaved
friends chat all the while; each must get every message of the others, in
order, exactly once, and one leave line per departure.

Clients and the daemon's log run on the reactor (pytest-twisted), so every
connection is read while the others misbehave.
"""

from __future__ import annotations

import os
import re
import socket
import struct
from collections.abc import Callable
from typing import NoReturn

import pytest_twisted
from twisted.internet import reactor, tcp
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import ProcessProtocol, Protocol, connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from tests.wire import LISTENING, RUNNING, child_environment, twistd_command

WAIT = 20.0
FRIENDS = ("ali", "hasan", "soheil")
MESSAGES = 15
FLOOD_LINES = 150
FLOOD_LINE = "f" * 12000


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
        waiter: Deferred[None] = Deferred()
        self._waiting.append((condition, waiter))
        self._check()

        def timed_out(failure: Failure) -> NoReturn:
            raise AssertionError(f"waited {WAIT}s for {what}; last lines: {self.lines[-5:]!r}")

        return waiter.addTimeout(WAIT, reactor).addErrback(timed_out)

    def has(self, pattern: str) -> Callable[[list[str]], bool]:
        return lambda lines: any(re.search(pattern, line) for line in lines)


class Daemon(ProcessProtocol):
    def __init__(self) -> None:
        self.log = Watched(b"\n")
        self.ended: Deferred[None] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.log.feed(data)

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(None)


@implementer(IHalfCloseableProtocol)
class Client(Protocol):
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
        self.transport.write(data if isinstance(data, bytes) else data.encode() + b"\n")

    async def register(self, name: str) -> None:
        self.send(name)
        await self.seen.until(self.seen.has(r"^online \("), f"{name}'s welcome")


async def connect(port: int) -> Client:
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    client = await connectProtocol(endpoint, Client())
    await client.seen.until(client.seen.has("^Please enter your name:$"), "the prompt")
    return client


def chat_lines(lines: list[str], sender: str) -> list[str]:
    return [line for line in lines if line.startswith(f"{sender}: ")]


def all_messages_from(sender: str) -> Callable[[list[str]], bool]:
    return lambda lines: len(chat_lines(lines, sender)) == MESSAGES


@pytest_twisted.ensureDeferred
async def test_hostile_crowd_costs_the_friends_nothing() -> None:
    """Whatever the hostile clients do, the friends' chat is whole and in order."""
    daemon = Daemon()
    options = [
        "--port", "tcp:0:interface=127.0.0.1",
        "--rate", "50", "--burst", "20",
        "--max-line-length", "16384",
        "--max-send-queue", "32768",
        "--registration-timeout", "3",
    ]  # fmt: skip
    command = twistd_command("-n", "--pidfile=", "chatroom", *options)
    process = reactor.spawnProcess(
        daemon, command[0], command, env=child_environment(), path=os.getcwd()
    )
    try:
        await daemon.log.until(daemon.log.has(re.escape(RUNNING)), "the daemon to run")
        (port,) = {int(m["port"]) for line in daemon.log.lines if (m := LISTENING.search(line))}

        friends = {name: await connect(port) for name in FRIENDS}
        for name, friend in friends.items():
            await friend.register(name)

        # The slowloris, a telnet client (so framed by line endings alone,
        # docs/protocol.md "Framing"), starts a name and never ends it.
        slowloris = await connect(port)
        slowloris.send(b"\xff\xfb\x18slo")

        # Garbage: telnet commands, escapes, bad UTF-8, a huge line, then a name.
        garbage = await connect(port)
        garbage.send(b"\xff\xfb\x01\x00\x1b[2J\xc3\x28\n" + b"g" * 9000 + b"\ngarbage\n")
        await garbage.seen.until(garbage.seen.has("^online"), "garbage's welcome")
        garbage.send(b"\x1b]0;pwned\x07hello\xc0\xfe world\xff\xfe\x01\r\n")

        # A reset in the middle of a line.
        resetter = await connect(port)
        await resetter.register("resetter")
        resetter.send(b"this line never ends")
        handle = resetter.transport.getHandle()
        handle.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        resetter.transport.abortConnection()

        # A half-closed client: its last line has no newline.
        half = await connect(port)
        await half.register("half")
        half.send(b"/who\nbye from half")
        half.transport.loseWriteConnection()

        # A client that never reads (test_twistd.py shows it dropped, which
        # takes megabytes through the kernel's buffers).
        deaf = socket.socket()
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        deaf.connect(("127.0.0.1", port))
        deaf.sendall(b"deaf\n")

        # A flood of long lines, all at once: delayed, never dropped.
        flood = await connect(port)
        await flood.register("flood")
        flood.send(b"".join(f"{n:04} {FLOOD_LINE}\n".encode() for n in range(FLOOD_LINES)))

        for n in range(MESSAGES):
            for name, friend in friends.items():
                friend.send(f"{name} says {n}")

        for name, friend in friends.items():
            seen = friend.seen
            await seen.until(
                lambda lines: len(chat_lines(lines, "flood")) == FLOOD_LINES,
                f"{name} to get the whole flood",
            )
            for other in FRIENDS:
                if other != name:
                    await seen.until(all_messages_from(other), f"{name} to hear {other}")

        await slowloris.closed.addTimeout(WAIT, reactor)
        await half.closed.addTimeout(WAIT, reactor)
        assert slowloris.seen.lines[-1] == "error: no name given within 3 seconds, goodbye"
        assert half.seen.lines[-1].startswith("online (")
        flood.send("/quit")
        garbage.send("/quit")
        deaf.close()
        await flood.closed.addTimeout(WAIT, reactor)
        await garbage.closed.addTimeout(WAIT, reactor)
        for name, friend in friends.items():
            await friend.seen.until(
                lambda lines: sum(" has left the chatroom!" in line for line in lines) >= 5,
                f"{name} to see everyone leave",
            )

        for name, friend in friends.items():
            lines = friend.seen.lines
            for other in FRIENDS:
                if other != name:
                    expected = [f"{other}: {other} says {n}" for n in range(MESSAGES)]
                    assert chat_lines(lines, other) == expected
            assert chat_lines(lines, "flood") == [
                f"flood: {n:04} {FLOOD_LINE}" for n in range(FLOOD_LINES)
            ]
            assert chat_lines(lines, "garbage") == ["garbage: ]0;pwnedhello\ufffd\ufffd world"]
            assert chat_lines(lines, "half") == ["half: bye from half"]
            assert chat_lines(lines, "resetter") == []
            departures = [line for line in lines if line.endswith(" has left the chatroom!")]
            assert sorted(departures) == sorted(
                f"{who} has left the chatroom!"
                for who in ("resetter", "half", "deaf", "flood", "garbage")
            )
            assert not [line for line in lines if "\x1b" in line or "\x07" in line]

        assert daemon.log.has(r"an unnamed client \(127\.0\.0\.1:\d+\) dropped: no name")(
            daemon.log.lines
        )
        assert not daemon.log.has("Traceback|Unhandled")(daemon.log.lines)
    finally:
        deaf.close()
        if process.pid is not None:
            process.signalProcess("TERM")
        await daemon.ended.addTimeout(WAIT, reactor)

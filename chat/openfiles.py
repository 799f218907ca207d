"""
Open files: every client is one, and the daemon must not run out.

At start the soft limit is raised to the hard one and the clients that fit
are counted: the limit, less the files already open, the listening ports
and some headroom (metrics connections, refusals being written, a log
rotation). Beyond that many clients the factory refuses newcomers with the
server-full line, as over ``--max-clients``, before ``accept()`` could fail.

If it fails anyway (a burst of refusals outruns the headroom), Twisted's
listening port closes the waiting connections unanswered and logs a line
for each; ``watch_accept_errors`` makes that one line a second per port,
with a count, and pauses a port that cannot accept at all (which would
otherwise be ready to read again at once: a busy loop, a line each time).
"""

from __future__ import annotations

import os
import resource
from typing import Protocol

from twisted.internet import tcp
from twisted.internet.interfaces import IAddress, IDelayedCall, IListeningPort, IReactorTime
from twisted.logger import ILogObserver, LogEvent, Logger, globalLogPublisher
from zope.interface import implementer

from chat import lines
from chat.sockets import describe_peer

log = Logger()

HEADROOM = 128
"""Open files kept for all but clients, at most; a quarter of a small limit."""

PAUSE = 1.0
"""Seconds a port that cannot accept stops trying; also how often trouble is logged."""

_GUESS_OPEN = 32
"""Files taken to be open where the system cannot say (no /proc, no /dev/fd)."""


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard one, for --max-clients."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
    return hard


def open_now() -> int:
    """How many files the process has open."""
    for directory in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(directory)) - 1  # less the listing's own
        except OSError:
            continue
    return _GUESS_OPEN


def client_capacity(limit: int, in_use: int, ports: int) -> int:
    """Clients that fit in ``limit`` open files beside ``in_use`` and ``ports`` more."""
    if limit == resource.RLIM_INFINITY:
        return 0  # no cap
    headroom = min(HEADROOM, limit // 4)
    return max(limit - in_use - ports - headroom, 1)


class AcceptingPort(Protocol):
    """What ``AcceptTrouble`` uses of its port, a ``tcp.Port``."""

    @property
    def connected(self) -> int: ...

    @property
    def disconnecting(self) -> int: ...

    def getHost(self) -> IAddress: ...

    def stopReading(self) -> None: ...

    def startReading(self) -> None: ...


@implementer(ILogObserver)
class AcceptTrouble:
    """
    The log observer of one listening port's accept loop: what it logs of
    running out of file descriptors is counted and logged once a second;
    anything else passes on as it is.
    """

    def __init__(self, port: AcceptingPort, clock: IReactorTime) -> None:
        self.port = port
        self.clock = clock
        self.closed = 0
        self.failed = 0
        self._report: IDelayedCall | None = None
        self._reported = float("-inf")
        self._paused = False

    def __call__(self, event: LogEvent) -> None:
        text = event.get("log_format") or ""
        if text.startswith("EMFILE recovery: Closed socket"):
            self.closed += 1
        elif text.startswith("Could not accept new connection"):
            self.failed += 1
            self._pause()
        elif not text.startswith(("EMFILE encountered", "Re-reserving EMFILE")):
            globalLogPublisher(event)
            return
        if self._report is None:
            # Once the accept loop is done, and at most once a second.
            wait = max(self._reported + PAUSE - self.clock.seconds(), 0)
            self._report = self.clock.callLater(wait, self.report)

    def report(self) -> None:
        self._report = None
        self._reported = self.clock.seconds()
        address = describe_peer(self.port.getHost())
        if self.closed:
            log.warn(lines.LOG_OUT_OF_FILES_CLOSED, count=self.closed, address=address)
        if self.failed:
            log.warn(lines.LOG_OUT_OF_FILES_PAUSED, count=self.failed, address=address)
        self.closed = self.failed = 0

    def _pause(self) -> None:
        """Stop accepting for a moment: the connections wait in the backlog."""
        if not self._paused:
            self._paused = True
            self.port.stopReading()
            self.clock.callLater(PAUSE, self._resume)

    def _resume(self) -> None:
        self._paused = False
        if self.port.connected and not self.port.disconnecting:
            self.port.startReading()


def watch_accept_errors(port: IListeningPort, clock: IReactorTime) -> None:
    """
    Give a TCP (or TLS, or UNIX) listening port an ``AcceptTrouble`` as the
    observer of what its accept loop logs (``tcp.Port._logger``, a class
    attribute: this port gets its own). Other ports are left as they are.
    """
    if isinstance(port, tcp.Port):
        namespace = port._logger.namespace
        port._logger = Logger(namespace=namespace, observer=AcceptTrouble(port, clock))

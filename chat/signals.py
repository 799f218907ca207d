"""
SIGHUP and SIGUSR1, which must never stop the daemon.

By default either signal ends a process. SIGHUP here reloads the TLS
certificates (``Listener.renew_certificates``), as a daemon's SIGHUP
usually reloads something. SIGUSR1 belongs to twistd: with ``--logfile``
(background mode) it rotates the log on it, and that stays; where twistd
does not use it (``-n``, logging to standard output), it is logged and
otherwise ignored.

A signal handler runs between two bytecodes, wherever the reactor is: it
only asks the reactor to do the work on its next turn (``callFromThread``
is safe from a handler; the reactor's wakeup file descriptor gets it out
of its wait).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Protocol

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorFromThreads
from twisted.logger import Logger

from chat import lines
from chat.listening import Listener

log = Logger()

Handler = Callable[[int, FrameType | None], None]


class Signals(Protocol):
    """What the service uses of the ``signal`` module."""

    def signal(self, signalnum: int, handler: Handler, /) -> object: ...

    def getsignal(self, signalnum: int, /) -> object: ...


class SignalService(Service):
    """
    Installs the handlers when the daemon starts, before it says it runs.

    Only ``makeService`` as twistd calls it adds this service: the tests
    that build a daemon in memory never touch the process's signals.
    """

    def __init__(
        self,
        reactor: IReactorFromThreads,
        listeners: Sequence[Listener],
        signals: Signals = signal,
    ) -> None:
        self.reactor = reactor
        self.listeners = listeners
        self.signals = signals

    def startService(self) -> None:
        super().startService()
        self._handle(signal.SIGHUP, self.hangup)
        # SIG_DFL (0) or None: nobody (twistd's log rotation) took it.
        if not self.signals.getsignal(signal.SIGUSR1):
            self._handle(signal.SIGUSR1, self.user1)

    def hangup(self) -> None:
        """SIGHUP: reload the TLS certificates."""
        if not sum(listener.renew_certificates() for listener in self.listeners):
            log.info(lines.LOG_NO_TLS)

    def user1(self) -> None:
        """SIGUSR1 when there is no log file to rotate."""
        log.info(lines.LOG_SIGUSR1)

    def _handle(self, number: int, work: Callable[[], None]) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.reactor.callFromThread(work)

        self.signals.signal(number, handler)

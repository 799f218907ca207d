"""SIGHUP and SIGUSR1: handlers that hand the work to the reactor, and what the work is."""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable
from types import FrameType

from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from chat.service import ChatService
from chat.signals import SignalService
from chat.tap import makeService
from tests.harness import Harness, logged, parse

Handler = Callable[[int, FrameType | None], None]


class FakeSignals:
    """The two functions of the signal module the service uses, on a table of its own."""

    def __init__(self, **taken: Handler) -> None:
        self.handlers: dict[int, Handler | int] = {
            signal.SIGHUP: signal.SIG_DFL,
            signal.SIGUSR1: signal.SIG_DFL,
        }
        for name, handler in taken.items():
            self.handlers[getattr(signal, name)] = handler

    def getsignal(self, number: int) -> Handler | int:
        return self.handlers[number]

    def signal(self, number: int, handler: Handler) -> None:
        self.handlers[number] = handler

    def handler(self, number: int) -> Handler:
        """The handler installed for a signal, which must be a function."""
        handler = self.handlers[number]
        assert callable(handler), handler
        return handler


@implementer(IReactorFromThreads)
class ThreadCalls:
    """A reactor's callFromThread that keeps the calls until ``run``."""

    def __init__(self) -> None:
        self.calls: list[Callable[[], object]] = []

    def callFromThread(
        self, callable: Callable[..., object], *args: object, **kwargs: object
    ) -> None:
        self.calls.append(functools.partial(callable, *args, **kwargs))

    def run(self) -> None:
        calls, self.calls = self.calls, []
        for work in calls:
            work()


class SignalServiceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = ThreadCalls()
        self.listener = ChatService(["tcp:5050"], Harness().factory, MemoryReactorClock())
        self.listener.startService()

    def start(self, signals: FakeSignals) -> None:
        SignalService(self.reactor, [self.listener], signals).startService()

    def test_hangup_handled_by_the_reactor(self) -> None:
        """SIGHUP's handler only queues the work for the reactor, which then logs what it did."""
        signals = FakeSignals()
        self.start(signals)
        with capturedLogs() as events:
            signals.handler(signal.SIGHUP)(signal.SIGHUP, None)
            self.assertEqual(list(events), [])
            self.reactor.run()
        self.assertEqual(logged(events), ["SIGHUP: no ssl: endpoint, no certificate to reload"])

    def test_hangup_reloads_certificates(self) -> None:
        """SIGHUP asks every listener to reload its certificates."""
        renewed: list[str] = []

        def renew_certificates() -> int:
            renewed.append("chat")
            return 1

        self.listener.renew_certificates = renew_certificates  # type: ignore[method-assign]
        signals = FakeSignals()
        self.start(signals)
        with capturedLogs() as events:
            signals.handler(signal.SIGHUP)(signal.SIGHUP, None)
            self.reactor.run()
        self.assertEqual(renewed, ["chat"])
        self.assertEqual(list(events), [])

    def test_user1_ignored_without_log_file(self) -> None:
        """Where twistd has no log to rotate on SIGUSR1, it is logged, not fatal."""
        signals = FakeSignals()
        self.start(signals)
        with capturedLogs() as events:
            signals.handler(signal.SIGUSR1)(signal.SIGUSR1, None)
            self.reactor.run()
        self.assertEqual(
            logged(events), ["SIGUSR1: no log file to rotate (the log goes to standard output)"]
        )

    def test_user1_left_to_twistd(self) -> None:
        """twistd's own SIGUSR1 handler (log rotation) is kept."""

        def rotate(signum: int, frame: object) -> None:
            pass

        signals = FakeSignals(SIGUSR1=rotate)
        self.start(signals)
        self.assertIs(signals.handlers[signal.SIGUSR1], rotate)
        self.assertIsNot(signals.handlers[signal.SIGHUP], signal.SIG_DFL)


class MakeServiceSignalTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.options = parse("--port", "5050", "--metrics", "9100")

    def test_under_twistd(self) -> None:
        """As twistd builds it, the daemon answers signals from before its ports listen."""
        signals, metrics, chat = list(makeService(self.options))
        self.assertIsInstance(signals, SignalService)
        self.assertEqual(signals.listeners, [metrics, chat])

    def test_not_in_tests(self) -> None:
        """A daemon built with a reactor of the test's own leaves the process's signals alone."""
        service = makeService(self.options, MemoryReactorClock())
        self.assertFalse([child for child in service if isinstance(child, SignalService)])

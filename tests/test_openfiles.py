"""The open files limit: raised at start, clients capped to fit it, EMFILE kept quiet."""

from __future__ import annotations

import os
import resource

from twisted.internet import tcp
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Factory
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from chat.openfiles import (
    AcceptTrouble,
    client_capacity,
    open_now,
    raise_open_files_limit,
    watch_accept_errors,
)
from chat.service import ChatService
from tests.harness import Harness, logged

FULL = "error: the server is full, please try again later"


class LimitTests(SynchronousTestCase):
    def test_soft_limit_raised_to_hard(self) -> None:
        """At start the soft open-files limit is raised to the hard limit."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 256, hard), hard))
        self.assertEqual(raise_open_files_limit(), hard)
        self.assertEqual(resource.getrlimit(resource.RLIMIT_NOFILE), (hard, hard))

    def test_logged_at_start(self) -> None:
        """The daemon logs the open-files limit it runs with, once, at start."""
        service = ChatService(["tcp:5050"], Harness().factory, MemoryReactorClock())
        with capturedLogs() as events:
            service.startService()
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        lines = [line for line in logged(events) if line.startswith("Open files limit")]
        self.assertEqual(len(lines), 1)
        self.assertTrue(
            lines[0].startswith(
                (f"Open files limit: {limit}, room for ", f"Open files limit {limit} leaves")
            )
        )

    def test_open_now(self) -> None:
        """The files open are counted as the system sees them."""
        before = open_now()
        with open(os.devnull) as _:
            self.assertEqual(open_now(), before + 1)

    def test_room(self) -> None:
        """Clients get what is left after the files in use, the ports and some headroom."""
        self.assertEqual(client_capacity(65536, 20, 2), 65536 - 20 - 2 - 128)
        self.assertEqual(client_capacity(100, 10, 1), 100 - 10 - 1 - 25)  # a quarter, if small
        self.assertEqual(client_capacity(30, 40, 1), 1)
        self.assertEqual(client_capacity(resource.RLIM_INFINITY, 10, 1), 0)  # no cap


class CapTests(SynchronousTestCase):
    def fit(self, limit: int, in_use: int, **limits: int) -> tuple[Harness, list[str]]:
        server = Harness(**limits)
        service = ChatService(["tcp:5050"], server.factory, MemoryReactorClock())
        with capturedLogs() as events:
            service.fit_open_files(limit, in_use)
        return server, logged(events)

    def test_fewer_than_max_clients(self) -> None:
        """Below --max-clients, the cap is what fits: it is logged, and the next is refused."""
        server, lines = self.fit(100, 10, max_clients=10000)
        self.assertEqual(
            lines,
            [
                "Open files limit 100 leaves room for 64 clients, fewer than --max-clients"
                " 10000: more are refused (raise the hard limit: LimitNOFILE=, ulimit -Hn)"
            ],
        )
        self.assertEqual(server.factory.limits.max_clients, 64)
        for _ in range(64):
            self.assertEqual(server.connect().take(), ["Please enter your name:"])
        self.assertEqual(server.connect().take(), [FULL])

    def test_room_enough(self) -> None:
        """With room for --max-clients, it stands, and the limit is logged."""
        server, lines = self.fit(65536, 10, max_clients=10000)
        self.assertEqual(server.factory.limits.max_clients, 10000)
        self.assertEqual(lines, ["Open files limit: 65536, room for 10000 clients"])

    def test_no_max_clients(self) -> None:
        """--max-clients 0 is capped by the open files all the same."""
        server, lines = self.fit(100, 10, max_clients=0)
        self.assertEqual(server.factory.limits.max_clients, 64)
        self.assertEqual(lines, ["Open files limit: 100, room for 64 clients"])


class FakePort:
    """What AcceptTrouble uses of a listening port."""

    connected = True
    disconnecting = False

    def __init__(self) -> None:
        self.reading = True

    def getHost(self) -> IPv4Address:
        return IPv4Address("TCP", "0.0.0.0", 5050)

    def stopReading(self) -> None:
        self.reading = False

    def startReading(self) -> None:
        self.reading = True


def event(text: str, **fields: object) -> dict:
    """An event as a port's Logger would make it."""
    return {
        "log_format": text,
        "log_namespace": "twisted.internet.tcp.Port",
        "log_level": LogLevel.info,
        "log_time": 0.0,
        **fields,
    }


class AcceptTroubleTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.port = FakePort()
        self.clock = Clock()
        self.trouble = AcceptTrouble(self.port, self.clock)

    def test_closed_counted(self) -> None:
        """EMFILE recovery closing many connections makes one line, after the accept loop."""
        with capturedLogs() as events:
            for _ in range(3):
                self.trouble(event("EMFILE encountered; releasing reserved file descriptor."))
                for _ in range(50):
                    self.trouble(event("EMFILE recovery: Closed socket from {address}", address=1))
                self.trouble(event("Re-reserving EMFILE recovery file descriptor."))
            self.assertEqual(list(events), [])
            self.clock.advance(0)
        self.assertEqual(
            logged(events),
            ["Out of file descriptors: 150 new connection(s) to 0.0.0.0:5050 closed unanswered"],
        )

    def test_at_most_once_a_second(self) -> None:
        """Trouble that goes on is logged once a second, with a count."""
        closed = event("EMFILE recovery: Closed socket from {address}", address=1)
        with capturedLogs() as events:
            self.trouble(closed)
            self.clock.advance(0)
            for _ in range(10):
                self.trouble(closed)
                self.clock.advance(0.1)
            self.clock.advance(1)
        self.assertEqual(len(events), 2)
        self.assertEqual(events[-1]["count"], 10)

    def test_cannot_accept_pauses(self) -> None:
        """A port that cannot accept at all stops trying for a second instead of spinning."""
        with capturedLogs() as events:
            self.trouble(
                event("Could not accept new connection ({acceptError})", acceptError="EMFILE")
            )
            self.assertFalse(self.port.reading)
            self.clock.advance(0.5)
            self.assertFalse(self.port.reading)
            self.clock.advance(0.5)
        self.assertTrue(self.port.reading)
        self.assertEqual(
            logged(events),
            ["Out of file descriptors: 0.0.0.0:5050 could not accept (1 time(s)), paused a second"],
        )

    def test_stopped_port_stays_stopped(self) -> None:
        """A port that stopped listening meanwhile is not started again."""
        self.trouble(event("Could not accept new connection ({acceptError})", acceptError="EMFILE"))
        self.port.disconnecting = True
        self.clock.advance(1)
        self.assertFalse(self.port.reading)

    def test_other_events_pass(self) -> None:
        """Whatever else the port logs reaches the log as it is."""
        with capturedLogs() as events:
            self.trouble(event("something else"))
        self.assertEqual(logged(events), ["something else"])

    def test_only_tcp_ports_watched(self) -> None:
        """A TCP port gets an observer of its own; the class's logger and other ports do not."""
        port = tcp.Port(0, Factory(), reactor=MemoryReactorClock())
        watch_accept_errors(port, self.clock)
        self.assertIsInstance(port._logger.observer, AcceptTrouble)
        self.assertNotIsInstance(tcp.Port._logger.observer, AcceptTrouble)
        other = MemoryReactorClock().listenTCP(0, Factory())
        watch_accept_errors(other, self.clock)
        self.assertFalse(hasattr(other, "_logger"))

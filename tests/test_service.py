"""Listening, the running line, failing to listen, and shutdown (docs/protocol.md §6)."""

from __future__ import annotations

import os

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from chat.limits import CLOSE_GRACE
from chat.service import ChatService, ListenFailed, systemd_problem
from tests.harness import BusyReactor, Harness, logged

RUNNING = "Server is Running and waiting for connections..."
SHUTTING_DOWN = "Server is shutting down. Goodbye!"


class ListeningTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()

    def service(self, *descriptions: str, reactor: MemoryReactorClock | None = None) -> ChatService:
        self.reactor = reactor or MemoryReactorClock()
        return ChatService(list(descriptions), self.server.factory, self.reactor)

    def test_listens_on_every_endpoint(self) -> None:
        """Each --port is listened on, with the one shared factory."""
        service = self.service("tcp:5050", "tcp:6060:interface=127.0.0.1", "unix:/tmp/chat.sock")
        service.startService()
        self.assertEqual(
            [(p[0], p[3]) for p in self.reactor.tcpServers], [(5050, ""), (6060, "127.0.0.1")]
        )
        self.assertEqual([u[0] for u in self.reactor.unixServers], ["/tmp/chat.sock"])
        factories = {p[1] for p in self.reactor.tcpServers} | {
            u[1] for u in self.reactor.unixServers
        }
        self.assertEqual(factories, {self.server.factory})

    def test_backlog(self) -> None:
        """Ports listen with a backlog of 1024 unless their description sets one."""
        service = self.service("tcp:5050", "tcp:6060:backlog=10", "unix:/tmp/chat.sock")
        service.startService()
        self.assertEqual(
            [(p[0], p[2]) for p in self.reactor.tcpServers], [(5050, 1024), (6060, 10)]
        )
        self.assertEqual([u[2] for u in self.reactor.unixServers], [1024])

    def test_running_line_after_listening(self) -> None:
        """The running line is logged once, after every endpoint listens."""
        service = self.service("tcp:5050", "tcp:6060")
        with capturedLogs() as events:
            service.privilegedStartService()
            self.assertNotIn(RUNNING, logged(events))
            service.startService()
        lines = logged(events)
        self.assertEqual(lines.count(RUNNING), 1)
        self.assertLess(
            max(i for i, line in enumerate(lines) if line.startswith("Listening on")),
            lines.index(RUNNING),
        )

    def test_cannot_listen(self) -> None:
        """A port that cannot listen stops the start with one line naming it."""
        service = self.service("tcp:6060", "tcp:5050", reactor=BusyReactor(5050))
        with capturedLogs() as events, self.assertRaises(ListenFailed) as caught:
            service.startService()
        self.assertEqual(str(caught.exception), "cannot listen on tcp:5050: Address already in use")
        self.assertNotIn(RUNNING, logged(events))
        self.assertIn("cannot listen on tcp:5050: Address already in use", logged(events))

    def test_other_ports_closed_on_failure(self) -> None:
        """When one endpoint fails, the ones that did listen are closed again."""
        reactor = BusyReactor(5050)
        service = self.service("tcp:6060", "tcp:5050", reactor=reactor)
        self.assertRaises(ListenFailed, service.privilegedStartService)
        self.assertEqual(service.ports, [])


class ShutdownTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()
        self.service = ChatService(["tcp:5050"], self.server.factory, MemoryReactorClock())
        self.service.startService()

    def test_everyone_told(self) -> None:
        """Every client, named or not, is told the server is shutting down."""
        soheil, ali = self.server.chatters("soheil", "ali")
        waiting = self.server.connect()
        waiting.take()
        self.service.stopService()
        for client in (soheil, ali, waiting):
            self.assertEqual(client.take(), [SHUTTING_DOWN])
            self.assertTrue(client.closing)

    def test_no_leave_lines(self) -> None:
        """Closing at shutdown announces no departures."""
        soheil, ali = self.server.chatters("soheil", "ali")
        self.service.stopService()
        soheil.finish_close()
        self.assertEqual(ali.take(), [SHUTTING_DOWN])

    def test_queued_output_flushed_first(self) -> None:
        """Output held for a slow client goes out before the goodbye."""
        soheil, ali = self.server.chatters("soheil", "ali")
        ali.producer.pauseProducing()
        soheil.send("last message")
        self.assertEqual(ali.take(), [])
        self.service.stopService()
        self.assertEqual(ali.take(), ["soheil: last message", SHUTTING_DOWN])

    def test_stops_when_all_closed(self) -> None:
        """Stopping completes once every connection has closed."""
        soheil, ali = self.server.chatters("soheil", "ali")
        stopped = self.service.stopService()
        self.assertNoResult(stopped)
        soheil.finish_close()
        self.assertNoResult(stopped)
        ali.finish_close()
        self.successResultOf(stopped)

    def test_stuck_clients_cut(self) -> None:
        """A client that does not drain is cut after the grace period."""
        (soheil,) = self.server.chatters("soheil")
        stopped = self.service.stopService()
        self.server.clock.advance(CLOSE_GRACE)
        self.assertTrue(soheil.transport.disconnected)
        soheil.disconnect()
        self.successResultOf(stopped)

    def test_no_clients(self) -> None:
        """With nobody connected, stopping is immediate."""
        self.successResultOf(self.service.stopService())

    def test_stops_listening(self) -> None:
        """Shutdown stops listening first."""
        self.service.stopService()
        self.assertEqual(self.service.ports, [])


class UnbuildableEndpointTests(SynchronousTestCase):
    def test_missing_key_file(self) -> None:
        """An endpoint that cannot even be built fails the start the same way."""
        service = ChatService(
            ["ssl:5443:privateKey=/nonexistent/key.pem"], Harness().factory, MemoryReactorClock()
        )
        with self.assertRaises(ListenFailed) as caught:
            service.startService()
        self.assertTrue(
            str(caught.exception).startswith("cannot listen on ssl:5443:privateKey="),
            str(caught.exception),
        )


class SystemdTests(SynchronousTestCase):
    def test_no_socket_passed(self) -> None:
        """A systemd: port outside socket activation says what is missing, in one line."""
        self.patch(os, "environ", {})
        service = ChatService(
            ["systemd:domain=INET:index=0"], Harness().factory, MemoryReactorClock()
        )
        with capturedLogs() as events, self.assertRaises(ListenFailed) as caught:
            service.startService()
        reason = (
            "cannot listen on systemd:domain=INET:index=0: no socket passed by systemd "
            "(LISTEN_FDS is not set; start it from a .socket unit)"
        )
        self.assertEqual(str(caught.exception), reason)
        self.assertIn(reason, logged(events))

    def test_what_is_wrong_with_the_variables(self) -> None:
        """Each way the LISTEN_* variables fail to hand over a socket is named."""
        this = str(os.getpid())
        self.assertEqual(
            [
                systemd_problem({"LISTEN_FDS": "1", "LISTEN_PID": "1"}),
                systemd_problem({"LISTEN_FDS": "1", "LISTEN_PID": this}),
                systemd_problem(
                    {"LISTEN_FDS": "1", "LISTEN_PID": this, "LISTEN_FDNAMES": "chatroom.socket"}
                ),
            ],
            [
                "the sockets systemd passed are for another process "
                f"(LISTEN_PID is 1, this is {this})",
                "no socket passed by systemd "
                "(LISTEN_FDNAMES is not set; it needs systemd 227 or newer)",
                "systemd passed no such socket (LISTEN_FDS=1, LISTEN_FDNAMES=chatroom.socket)",
            ],
        )

"""
Tests for ``chat.client.main``: connecting, the session's end and the exit
status, on a reactor that only records.
"""

from __future__ import annotations

from OpenSSL import SSL
from twisted.internet import defer, error
from twisted.internet.testing import (
    MemoryReactorClock,
    StringTransport,
    StringTransportWithDisconnection,
)
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from chat.client.errors import ClientError
from chat.client.main import _run, chat
from chat.client.session import ChatClient
from tests.client_harness import PROMPT, WELCOME, options


class FakeFront:
    """A front end that records what it is shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.closed = False

    def show(self, line: str) -> None:
        self.shown.append(line)

    def close(self) -> defer.Deferred[None]:
        self.closed = True
        return defer.succeed(None)


class RunTests(SynchronousTestCase):
    """Connecting and the exit status, on a reactor that only records."""

    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.front = FakeFront()
        self.report: list[str] = []

    def run_client(self, *argv: str) -> defer.Deferred[None]:
        return defer.ensureDeferred(
            _run(self.reactor, options(*argv), lambda reactor, client: self.front, self.report)
        )

    def test_connects_to_host_and_port(self) -> None:
        """HOST PORT on the command line are where the client connects."""
        self.run_client("chat.example.org", "6000")
        host, port = self.reactor.tcpClients[0][:2]
        self.assertEqual((host, port), ("chat.example.org", 6000))

    def test_refused_exit_1(self) -> None:
        """A refused connection is one line of reason and exit status 1."""
        done = self.run_client()
        connector = self.reactor.connectors[0]
        factory = self.reactor.tcpClients[0][2]
        factory.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
        self.assertEqual(self.failureResultOf(done, SystemExit).value.code, 1)
        self.assertEqual(self.report, ["cannot connect to localhost:5050: connection refused"])

    def test_unknown_host_exit_1(self) -> None:
        """An unknown host is named as such, exit status 1."""
        done = self.run_client("nowhere.invalid")
        factory = self.reactor.tcpClients[0][2]
        factory.clientConnectionFailed(
            self.reactor.connectors[0], Failure(error.DNSLookupError("nowhere.invalid"))
        )
        self.assertEqual(self.failureResultOf(done, SystemExit).value.code, 1)
        self.assertEqual(self.report, ["cannot connect to nowhere.invalid:5050: unknown host"])

    def connected(self, *argv: str) -> tuple[defer.Deferred[None], ChatClient, StringTransport]:
        done = self.run_client(*argv)
        factory = self.reactor.tcpClients[0][2]
        protocol = factory.buildProtocol(None)
        assert protocol is not None
        transport = StringTransportWithDisconnection()
        transport.protocol = protocol
        protocol.makeConnection(transport)
        # The endpoint wraps the client in a protocol of its own.
        client = getattr(protocol, "_wrappedProtocol", protocol)
        assert isinstance(client, ChatClient), client
        return done, client, transport

    def test_quit_exit_0(self) -> None:
        """A session ended by /quit finishes without error, front end closed."""
        done, client, transport = self.connected("--name", "soheil")
        client.dataReceived(PROMPT + WELCOME)
        client.quit()
        client.dataReceived(b"Goodbye, soheil!\r\n")
        transport.loseConnection()
        self.assertIsNone(self.successResultOf(done))
        self.assertTrue(self.front.closed)
        self.assertEqual(self.front.shown[-1], "Goodbye, soheil!")
        self.assertEqual(self.report, [])

    def test_lost_exit_1(self) -> None:
        """A connection closed without /quit is exit status 1 with its reason."""
        done, client, transport = self.connected()
        client.dataReceived(PROMPT)
        transport.loseConnection()
        self.assertEqual(self.failureResultOf(done, SystemExit).value.code, 1)
        self.assertEqual(self.report, ["the server closed the connection"])
        self.assertTrue(self.front.closed)

    def test_closed_before_any_line(self) -> None:
        """A server that accepts and closes at once closed the connection; it was connected."""
        done, _, transport = self.connected()
        transport.loseConnection()
        self.assertEqual(self.failureResultOf(done, SystemExit).value.code, 1)
        self.assertEqual(self.report, ["the server closed the connection"])

    def test_tls_failure_is_a_failed_connect(self) -> None:
        """A TLS handshake that fails before any line reads as a failed connect."""
        done, client, _ = self.connected()
        reason = SSL.Error([("SSL routines", "", "certificate verify failed")])
        client.connectionLost(Failure(reason))
        self.assertEqual(self.failureResultOf(done, SystemExit).value.code, 1)
        self.assertEqual(
            self.report,
            ["cannot connect to localhost:5050: TLS failure: certificate verify failed"],
        )

    def test_interrupt_quits(self) -> None:
        """Shutting the reactor down (SIGINT) sends /quit first."""
        done, client, transport = self.connected()
        client.dataReceived(PROMPT)
        [(trigger, args, kwargs)] = self.reactor.triggers["before"]["shutdown"]
        shutdown = trigger(*args, **kwargs)
        self.assertEqual(transport.value(), b"/quit\n")
        self.assertNoResult(shutdown)
        transport.loseConnection()
        self.assertIsNone(self.successResultOf(done))
        self.assertIsNone(self.successResultOf(shutdown))

    def test_bad_endpoint(self) -> None:
        """An endpoint description that does not parse is reported, not raised."""
        done = defer.ensureDeferred(
            chat(MemoryReactorClock(), options("--connect", "nonsense:x"), None)  # type: ignore[arg-type]
        )
        problem = self.failureResultOf(done, ClientError)
        self.assertIn("bad endpoint nonsense:x", str(problem.value))

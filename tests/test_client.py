"""
Tests for ``chatroom-client`` without a network: the session protocol over
``StringTransport``, the pipe and terminal front ends over fakes, options.
"""

from __future__ import annotations

import io
import os
import tempfile

from OpenSSL import SSL
from twisted.conch.insults import helper
from twisted.internet import defer, error
from twisted.internet.testing import (
    MemoryReactorClock,
    StringTransport,
    StringTransportWithDisconnection,
)
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from chat.client import (
    PARTIAL_LINE_PAUSE,
    ChatClient,
    ClientError,
    ClientOptions,
    PipeFront,
    _run,
    chat,
    clean,
    describe_connect_failure,
    describe_loss,
    parse_options,
)
from chat.client_terminal import ChatLine

PROMPT = b"Please enter your name:\r\n"
SALAM = "\u0633\u0644\u0627\u0645"  # Persian "hello"
WELCOME = b"Chat with your friends and enjoy\r\nonline (1): soheil\r\n"


def connect(client: ChatClient) -> StringTransportWithDisconnection:
    """Attach ``client`` to an in-memory transport that reports closing."""
    transport = StringTransportWithDisconnection()
    transport.protocol = client
    client.makeConnection(transport)
    return transport


def options(*argv: str) -> ClientOptions:
    parsed = ClientOptions()
    parsed.parseOptions(list(argv))
    return parsed


class SessionTests(SynchronousTestCase):
    """The chat session: prompt, lines both ways, and how it ends."""

    def setUp(self) -> None:
        self.clock = MemoryReactorClock()
        self.shown: list[str] = []

    def session(self, **kwargs: object) -> tuple[ChatClient, StringTransport]:
        client = ChatClient(self.clock, **kwargs)  # type: ignore[arg-type]
        client.attach(self.shown.append)
        return client, connect(client)

    def test_every_server_line_shown(self) -> None:
        """Each CRLF line from the server is shown once, without the CR."""
        client, _ = self.session()
        client.dataReceived(PROMPT + WELCOME)
        self.assertEqual(
            self.shown,
            ["Please enter your name:", "Chat with your friends and enjoy", "online (1): soheil"],
        )

    def test_lines_split_across_packets(self) -> None:
        """A line that arrives one byte at a time is shown whole, and decoded."""
        client, _ = self.session()
        for byte in f"ali: {SALAM}\r\n".encode():
            client.dataReceived(bytes([byte]))
        self.assertEqual(self.shown, [f"ali: {SALAM}"])

    def test_partial_line_shown_after_a_pause(self) -> None:
        """Text with no line ending is shown as a line after half a second of silence."""
        client, _ = self.session()
        client.dataReceived(b"Enter your name: ")
        self.clock.advance(PARTIAL_LINE_PAUSE - 0.01)
        self.assertEqual(self.shown, [])
        self.clock.advance(0.01)
        self.assertEqual(self.shown, ["Enter your name: "])
        client.dataReceived(f"ali: {SALAM}".encode())
        self.clock.advance(PARTIAL_LINE_PAUSE)
        self.assertEqual(self.shown, ["Enter your name: ", f"ali: {SALAM}"])

    def test_more_text_restarts_the_pause(self) -> None:
        """Text that keeps coming is not cut: the pause counts from the last bytes."""
        client, _ = self.session()
        for piece in (b"hel", b"lo th", b"ere"):
            client.dataReceived(piece)
            self.clock.advance(PARTIAL_LINE_PAUSE - 0.1)
        self.assertEqual(self.shown, [])
        self.clock.advance(0.1)
        self.assertEqual(self.shown, ["hello there"])

    def test_whole_lines_wait_for_nothing(self) -> None:
        """Lines that end leave no timer behind; a line split at its CR still shows once."""
        client, _ = self.session()
        client.dataReceived(b"ali: hi\r\nhasan: hi\r")
        client.dataReceived(b"\n")
        self.assertEqual(self.shown, ["ali: hi", "hasan: hi"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_line_ending_after_a_shown_part(self) -> None:
        """The line ending that follows a part already shown ends it, with no empty line."""
        client, _ = self.session()
        client.dataReceived(b"ali: slow")
        self.clock.advance(PARTIAL_LINE_PAUSE)
        client.dataReceived(b"\r\nali: next\r\n")
        self.assertEqual(self.shown, ["ali: slow", "ali: next"])

    def test_partial_line_shown_at_close(self) -> None:
        """Text with no line ending just before the server closes is still shown."""
        client, transport = self.session()
        client.dataReceived(b"Goodbye")
        transport.loseConnection()
        self.assertEqual(self.shown, ["Goodbye"])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        problem = self.failureResultOf(client.ended, ClientError)
        self.assertEqual(str(problem.value), "the server closed the connection")

    def test_invalid_utf8_replaced(self) -> None:
        """Bytes that are not UTF-8 become U+FFFD instead of ending the session."""
        client, transport = self.session()
        client.dataReceived(b"ali: \xff\r\n")
        self.assertEqual(self.shown, ["ali: \ufffd"])
        self.assertTrue(transport.connected)

    def test_control_characters_removed(self) -> None:
        """C0, DEL and C1 never reach the screen; a TAB shows as a space."""
        client, _ = self.session()
        client.dataReceived("ali: \x1b[2Jhi\x07\tthere\x7f\x9b1m\x00!\r\n".encode())
        self.assertEqual(self.shown, ["ali: [2Jhi there1m!"])

    def test_clean(self) -> None:
        """``clean`` keeps printable text, non-Latin letters included; TAB is a space."""
        self.assertEqual(clean("a\tb\x01c\u0085d\u200cé"), "a bcd\u200cé")

    def test_lines_sent_with_lf(self) -> None:
        """A line the user writes goes out UTF-8 encoded and ending in LF."""
        client, transport = self.session()
        client.send_line("soheil")
        client.send_line(SALAM)
        self.assertEqual(transport.value(), f"soheil\n{SALAM}\n".encode())

    def test_no_name_prompt_left_to_user(self) -> None:
        """Without --name the client does not answer the prompt itself."""
        client, transport = self.session()
        client.dataReceived(PROMPT)
        self.assertEqual(transport.value(), b"")

    def test_name_answers_prompt(self) -> None:
        """With --name the prompt is answered with that name."""
        client, transport = self.session(name="soheil")
        client.dataReceived(PROMPT)
        self.assertEqual(transport.value(), b"soheil\n")

    def test_lines_held_until_registered(self) -> None:
        """With --name, lines typed early wait for the welcome, so none is taken for a name."""
        client, transport = self.session(name="soheil")
        client.send_line("hello")
        self.assertEqual(transport.value(), b"")
        client.dataReceived(PROMPT)
        self.assertEqual(transport.value(), b"soheil\n")
        client.dataReceived(WELCOME)
        self.assertEqual(transport.value(), b"soheil\nhello\n")

    def test_quit_held_until_registered(self) -> None:
        """With --name, an early /quit (end of input) still goes out after the lines."""
        client, transport = self.session(name="soheil")
        client.send_line("hello")
        client.quit()
        client.dataReceived(PROMPT + WELCOME)
        self.assertEqual(transport.value(), b"soheil\nhello\n/quit\n")

    def test_next_free_name(self) -> None:
        """With --next-free-name a taken name is followed by name2, name3, ..."""
        client, transport = self.session(name="soheil", next_free_name=True)
        taken = b"error: the name %s is taken, choose another\r\n"
        client.dataReceived(PROMPT)
        client.dataReceived(taken % b"soheil" + PROMPT)
        client.dataReceived(taken % b"soheil2" + PROMPT)
        client.dataReceived(WELCOME)
        self.assertEqual(transport.value(), b"soheil\nsoheil2\nsoheil3\n")
        self.assertTrue(client.registered)

    def test_taken_name_without_next_free_name(self) -> None:
        """Without --next-free-name a taken name ends the session with that reason."""
        client, transport = self.session(name="soheil")
        client.dataReceived(PROMPT + b"error: the name soheil is taken, choose another\r\n")
        self.assertFalse(transport.connected)
        problem = self.failureResultOf(client.ended, ClientError)
        self.assertEqual(
            str(problem.value),
            "the name soheil was refused: the name soheil is taken, choose another",
        )
        self.assertEqual(transport.value(), b"soheil\n")

    def test_bad_name_not_retried(self) -> None:
        """A name refused for another reason than being taken is not numbered."""
        client, transport = self.session(name="a b", next_free_name=True)
        client.dataReceived(PROMPT + b"error: a name may not contain spaces\r\n" + PROMPT)
        self.assertEqual(transport.value(), b"a b\n")
        self.failureResultOf(client.ended, ClientError)

    def test_quit_then_server_closes(self) -> None:
        """After /quit, the server closing the connection is a clean end."""
        client, transport = self.session()
        client.dataReceived(PROMPT + WELCOME)
        client.send_line("/quit")
        client.dataReceived(b"Goodbye, soheil!\r\n")
        transport.loseConnection()
        self.assertIsNone(self.successResultOf(client.ended))
        self.assertEqual(self.shown[-1], "Goodbye, soheil!")

    def test_quit_method_sends_quit(self) -> None:
        """``quit`` (end of input, Ctrl-C, Ctrl-D) sends /quit once."""
        client, transport = self.session()
        client.quit()
        client.quit()
        client.send_line("late")
        self.assertEqual(transport.value(), b"/quit\n")

    def test_quit_bounded(self) -> None:
        """A server that never closes after /quit is left after the timeout."""
        client, transport = self.session(quit_timeout=3.0)
        client.quit()
        self.clock.advance(3.0 + 1 / 5.0 - 0.1)
        self.assertNoResult(client.ended)
        self.clock.advance(0.2)
        self.assertFalse(transport.connected)
        self.assertIsNone(self.successResultOf(client.ended))

    def test_quit_wait_grows_with_lines_sent(self) -> None:
        """Each line sent adds the server's rate-limit delay to the wait after /quit."""
        client, transport = self.session(quit_timeout=3.0)
        for number in range(10):
            client.send_line(f"line {number}")
        client.quit()
        self.clock.advance(3.0 + 11 / 5.0 - 0.1)
        self.assertNoResult(client.ended)
        self.clock.advance(0.2)
        self.assertFalse(transport.connected)

    def test_quit_timer_cancelled(self) -> None:
        """A prompt close after /quit leaves no timer running."""
        client, transport = self.session()
        client.quit()
        transport.loseConnection()
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_lost_without_quit(self) -> None:
        """The server closing without a /quit is a failure with a reason."""
        client, transport = self.session()
        client.dataReceived(PROMPT + WELCOME)
        transport.loseConnection()
        problem = self.failureResultOf(client.ended, ClientError)
        self.assertEqual(str(problem.value), "the server closed the connection")

    def test_lost_after_error_line(self) -> None:
        """An error line just before the close is part of the reason shown."""
        client, transport = self.session()
        client.dataReceived(PROMPT + b"error: the server is full\r\n")
        transport.loseConnection()
        problem = self.failureResultOf(client.ended, ClientError)
        self.assertEqual(
            str(problem.value),
            "the server closed the connection (error: the server is full)",
        )

    def test_tls_failure_after_quit(self) -> None:
        """A certificate refused after /quit (an empty pipe) is still a failure, named."""
        client, _ = self.session()
        client.quit()
        reason = SSL.Error([("SSL routines", "", "certificate verify failed")])
        client.connectionLost(Failure(reason))
        problem = self.failureResultOf(client.ended, ClientError)
        self.assertEqual(str(problem.value), "TLS failure: certificate verify failed")

    def test_reset_is_connection_lost(self) -> None:
        """A reset connection reads as "connection lost"."""
        self.assertEqual(describe_loss(Failure(error.ConnectionLost())), "connection lost")

    def test_connect_failure_reasons(self) -> None:
        """Each way a connection fails is named in plain words, without a traceback."""
        self.assertEqual(
            [
                describe_connect_failure(error.TimeoutError()),
                describe_connect_failure(error.NoRouteError()),
                describe_connect_failure(error.ConnectError(2, "No such file or directory")),
                describe_connect_failure(error.ConnectError(2)),
            ],
            [
                "timed out",
                "no route to host",
                "no such file or directory",
                "no such file or directory",
            ],
        )

    def test_early_lines_kept(self) -> None:
        """Server lines that come before a front end is attached are shown once it is."""
        client = ChatClient(self.clock)
        connect(client)
        client.dataReceived(PROMPT)
        client.attach(self.shown.append)
        self.assertEqual(self.shown, ["Please enter your name:"])


class FakeStdio(StringTransport):
    """Standard input and output: records output, reports closing."""

    def __init__(self, front: PipeFront) -> None:
        super().__init__()
        self.front = front

    def loseConnection(self) -> None:
        super().loseConnection()
        self.front.connectionLost(Failure(error.ConnectionDone()))


class PipeFrontTests(SynchronousTestCase):
    """The front end for scripts: standard input in, standard output out."""

    def setUp(self) -> None:
        self.clock = MemoryReactorClock()
        self.client = ChatClient(self.clock)
        self.network = connect(self.client)
        self.front = PipeFront(self.client, self.clock)
        self.stdio = FakeStdio(self.front)
        self.front.makeConnection(self.stdio)
        self.client.attach(self.front.show)

    def test_input_lines_sent(self) -> None:
        """Each input line is sent, a CR before the LF dropped."""
        self.front.dataReceived(b"soheil\r\nhello\n")
        self.assertEqual(self.network.value(), b"soheil\nhello\n")

    def test_server_lines_printed(self) -> None:
        """Server lines are written to standard output ending in LF."""
        self.client.dataReceived(PROMPT + f"ali: {SALAM}\r\n".encode())
        self.assertEqual(self.stdio.value(), f"Please enter your name:\nali: {SALAM}\n".encode())

    def test_end_of_input_quits(self) -> None:
        """End of input sends a last unterminated line, then /quit."""
        self.front.dataReceived(b"soheil\nbye")
        self.front.readConnectionLost()
        self.assertEqual(self.network.value(), b"soheil\nbye\n/quit\n")
        self.assertTrue(self.client.quitting)

    def test_partial_line_printed_after_a_pause(self) -> None:
        """Text from the server with no line ending is printed as a line after the pause."""
        self.client.dataReceived(b"Please enter your name: ")
        self.assertEqual(self.stdio.value(), b"")
        self.clock.advance(PARTIAL_LINE_PAUSE)
        self.assertEqual(self.stdio.value(), b"Please enter your name: \n")

    def test_close_flushes(self) -> None:
        """Closing the front end waits for standard output to be closed."""
        closed = self.front.close()
        self.assertTrue(self.stdio.disconnecting)
        self.assertIsNone(self.successResultOf(closed))

    def test_close_bounded(self) -> None:
        """A standard output nobody reads does not hold the exit forever."""
        front = PipeFront(self.client, self.clock)
        front.makeConnection(StringTransport())
        closed = front.close()
        self.assertNoResult(closed)
        self.clock.advance(PipeFront.FLUSH_TIMEOUT)
        self.assertIsNone(self.successResultOf(closed))


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


class OptionsTests(SynchronousTestCase):
    """The command line."""

    def test_defaults(self) -> None:
        """With no arguments the client connects to localhost 5050 over TCP."""
        self.assertEqual(options()["endpoint"], "tcp:host=localhost:port=5050")

    def test_host_and_port(self) -> None:
        """HOST and PORT, an IPv6 address included, make a TCP endpoint."""
        self.assertEqual(options("::1", "6000")["endpoint"], "tcp:host=\\:\\:1:port=6000")

    def test_connect(self) -> None:
        """--connect takes any client endpoint description as is."""
        self.assertEqual(
            options("--connect", "tls:chat.example.org:5443")["endpoint"],
            "tls:chat.example.org:5443",
        )

    def assert_usage_error(self, *argv: str) -> str:
        stderr = io.StringIO()
        with self.assertRaises(SystemExit) as raised:
            parse_options(list(argv), stderr)
        self.assertEqual(raised.exception.code, 2)
        self.assertIn("Usage:", stderr.getvalue())
        self.assertNotIn("Traceback", stderr.getvalue())
        return stderr.getvalue()

    def test_bad_port(self) -> None:
        """A port that is not a number is a usage error, exit status 2."""
        self.assertIn("not a port number: http", self.assert_usage_error("localhost", "http"))

    def test_unknown_option(self) -> None:
        """An unknown option is a usage error, exit status 2."""
        self.assert_usage_error("--colour")

    def test_connect_and_host(self) -> None:
        """--connect and HOST together are ambiguous, so refused."""
        self.assert_usage_error("--connect", "tcp:localhost:5050", "otherhost")

    def test_next_free_name_needs_name(self) -> None:
        """--next-free-name alone has no name to number."""
        self.assert_usage_error("--next-free-name")

    def test_bad_endpoint(self) -> None:
        """An endpoint description that does not parse is reported, not raised."""
        done = defer.ensureDeferred(
            chat(MemoryReactorClock(), options("--connect", "nonsense:x"), None)  # type: ignore[arg-type]
        )
        problem = self.failureResultOf(done, ClientError)
        self.assertIn("bad endpoint nonsense:x", str(problem.value))

    def test_ca_with_connect(self) -> None:
        """--ca takes HOST and PORT from --connect tls:, positional or named, escapes undone."""
        for description, address in [
            ("tls:chat.example.org:5443", ("chat.example.org", 5443)),
            ("tls:host=chat.example.org:port=5443", ("chat.example.org", 5443)),
            ("tls:\\:\\:1:5443", ("::1", 5443)),
        ]:
            self.assertEqual(options("--ca", "ca.pem", "--connect", description)["tls"], address)

    def test_ca_with_host_and_port(self) -> None:
        """With HOST PORT, --ca means TLS to that address."""
        self.assertEqual(
            options("--ca", "ca.pem", "chat.example.org", "5443")["tls"], ("chat.example.org", 5443)
        )

    def test_ca_not_tls(self) -> None:
        """--ca with a description that is not a plain tls:HOST:PORT is a usage error."""
        for description in [
            "tcp:localhost:5050",
            "tls:localhost",
            "tls:localhost:5443:trustRoots=/etc/ssl/certs",
        ]:
            problem = self.assert_usage_error("--ca", "ca.pem", "--connect", description)
            self.assertIn("--ca needs --connect tls:HOST:PORT", problem)

    def chat_with_ca(self, path: str) -> str:
        done = defer.ensureDeferred(
            chat(MemoryReactorClock(), options("--ca", path, "localhost", "5443"), None)  # type: ignore[arg-type]
        )
        return str(self.failureResultOf(done, ClientError).value)

    def temporary_path(self) -> str:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        return os.path.join(directory.name, "ca.pem")

    def test_missing_ca_file(self) -> None:
        """A CA file that cannot be read is one line naming it."""
        missing = self.temporary_path()
        self.assertEqual(
            self.chat_with_ca(missing), f"cannot read {missing}: No such file or directory"
        )

    def test_not_a_certificate(self) -> None:
        """A CA file without a PEM certificate is one line naming it."""
        path = self.temporary_path()
        with open(path, "w") as garbage:
            garbage.write("not a certificate\n")
        self.assertEqual(self.chat_with_ca(path), f"{path} holds no PEM certificate")


class TerminalTests(SynchronousTestCase):
    """The line editor, on an in-memory terminal."""

    def setUp(self) -> None:
        self.clock = MemoryReactorClock()
        self.client = ChatClient(self.clock)
        self.network = connect(self.client)
        self.screen = helper.TerminalBuffer()
        self.screen.makeConnection(StringTransport())
        self.editor = ChatLine(self.client, self.clock, width=self.screen.width)
        self.editor.makeConnection(self.screen)
        self.client.attach(self.editor.show)

    def type(self, keys: bytes) -> None:
        for key in keys:
            self.editor.keystrokeReceived(bytes([key]), None)

    def lines(self) -> list[str]:
        return [line.decode() for line in bytes(self.screen).split(b"\n") if line]

    def test_incoming_line_above_typed_text(self) -> None:
        """A server line arriving mid-typing goes above; the typed text stays intact."""
        self.client.dataReceived(b"Chat with your friends and enjoy\r\n")
        self.type(b"hel")
        self.client.dataReceived(b"ali: hi soheil\r\n")
        self.type(b"lo")
        self.assertEqual(
            self.lines(), ["Chat with your friends and enjoy", "ali: hi soheil", "> hello"]
        )
        self.assertEqual(self.editor.currentLineBuffer(), (b"hello", b""))
        self.assertEqual(self.screen.reportCursorPosition(), (7, 2))

    def test_cursor_kept_mid_line(self) -> None:
        """The cursor stays where it was inside the typed text after a redraw."""
        self.type(b"helo")
        # Twisted sets the key constants on the class when it is imported.
        self.editor.keystrokeReceived(self.screen.LEFT_ARROW, None)  # type: ignore[attr-defined]
        self.client.dataReceived(b"ali: hi\r\n")
        self.type(b"l")
        self.assertEqual(self.lines(), ["ali: hi", "> hello"])

    def test_sent_line_kept_in_transcript(self) -> None:
        """Return sends the line and leaves it on screen above a fresh prompt."""
        self.type(b"hello\r")
        self.client.dataReceived(b"ali: hi\r\n")
        self.assertEqual(self.network.value(), b"hello\n")
        self.assertEqual(self.lines(), ["> hello", "ali: hi", "> "])

    def test_partial_line_above_typed_text(self) -> None:
        """Text with no line ending goes above the input line after the pause, like a line."""
        self.type(b"hel")
        self.client.dataReceived(b"soheil: hi")
        self.assertEqual(self.lines(), ["> hel"])
        self.clock.advance(PARTIAL_LINE_PAUSE)
        self.assertEqual(self.lines(), ["soheil: hi", "> hel"])

    def test_history(self) -> None:
        """The up arrow brings back the line sent before."""
        self.type(b"first\r")
        self.editor.keystrokeReceived(self.screen.UP_ARROW, None)  # type: ignore[attr-defined]
        self.assertEqual(self.editor.currentLineBuffer(), (b"first", b""))

    def test_utf8_typing(self) -> None:
        """Non-ASCII letters typed as UTF-8 bytes are sent as written."""
        self.type(f"{SALAM}\r".encode())
        self.assertEqual(self.network.value(), f"{SALAM}\n".encode())

    def test_ctrl_d_on_empty_line_quits(self) -> None:
        """Ctrl-D on an empty line sends /quit."""
        self.type(b"\x04")
        self.assertEqual(self.network.value(), b"/quit\n")

    def test_ctrl_d_with_text_does_not_quit(self) -> None:
        """Ctrl-D with text on the line only edits it."""
        self.type(b"ab\x04")
        self.assertFalse(self.client.quitting)

    def test_ctrl_c_quits(self) -> None:
        """Ctrl-C, a key in raw mode, sends /quit."""
        self.type(b"half\x03")
        self.assertEqual(self.network.value(), b"/quit\n")

    def test_control_characters_not_drawn(self) -> None:
        """An escape sequence inside a server line is not passed to the terminal."""
        written: list[bytes] = []
        self.screen.write = written.append  # type: ignore[method-assign]
        self.client.dataReceived(b"ali: \x1b[2J\x1b]0;owned\x07hi\r\n")
        self.assertNotIn(b"\x1b]", b"".join(written))
        self.assertIn(b"ali: [2J]0;ownedhi\n", written)

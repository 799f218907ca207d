"""
Tests for ``chat.client.session``: the chat session over ``StringTransport``.
"""

from __future__ import annotations

from OpenSSL import SSL
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.test import iosim
from twisted.trial.unittest import SynchronousTestCase

from chat import lines
from chat.client.errors import ClientError
from chat.client.session import PARTIAL_LINE_PAUSE, ChatClient, clean
from tests.client_harness import PROMPT, SALAM, WELCOME, connect
from tests.harness import Harness


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

    def test_early_lines_kept(self) -> None:
        """Server lines that come before a front end is attached are shown once it is."""
        client = ChatClient(self.clock)
        connect(client)
        client.dataReceived(PROMPT)
        client.attach(self.shown.append)
        self.assertEqual(self.shown, ["Please enter your name:"])


class AgainstTheServerTests(SynchronousTestCase):
    """The real session and the real server factory, wired together in memory."""

    def test_session_with_the_server(self) -> None:
        """With --name the client joins, chats and quits; it shows the server's own lines."""
        daemon = Harness()
        ali = daemon.join("ali")
        ali.take()
        client = ChatClient(daemon.clock, name="soheil")
        shown: list[str] = []
        client.attach(shown.append)
        server = daemon.factory.buildProtocol(IPv4Address("TCP", "10.0.0.9", 40999))
        pump = iosim.connect(
            server,
            iosim.makeFakeServer(server),
            client,
            iosim.makeFakeClient(client),
            clock=daemon.clock,
        )
        self.assertEqual(
            shown, [lines.PROMPT, lines.WELCOME, *lines.online_lines(["ali", "soheil"])]
        )
        self.assertEqual(ali.take(), [lines.joined("soheil")])
        client.send_line("hello")
        pump.flush()
        self.assertEqual(ali.take(), [lines.said("soheil", "hello")])
        client.quit()
        pump.flush()
        self.assertEqual(shown[-1], lines.goodbye("soheil"))
        self.assertEqual(ali.take(), [lines.left("soheil")])
        self.assertIsNone(self.successResultOf(client.ended))

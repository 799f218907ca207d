"""
Tests for ``chat.client.terminal``: the line editor, on an in-memory terminal.
"""

from __future__ import annotations

from twisted.conch.insults import helper
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial.unittest import SynchronousTestCase

from chat.client.session import PARTIAL_LINE_PAUSE, ChatClient
from chat.client.terminal import ChatLine
from tests.client_harness import SALAM, connect


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

"""docs/protocol.md, "Framing": the four line ends, whole or split across reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from chat.framing import line_ends
from tests.harness import Client, Harness


def framed(*reads: bytes) -> bytes:
    """What the line receiver sees of these reads."""
    after_cr, out = False, b""
    for data in reads:
        data, after_cr = line_ends(data, after_cr)
        out += data
    return out


class LineEndTests(SynchronousTestCase):
    def test_each_line_end(self) -> None:
        """CR LF, LF, CR NUL and a lone CR each end one line."""
        self.assertEqual(framed(b"a\r\nb\nc\r\x00d\re"), b"a\nb\nc\nd\ne")

    def test_pairs_split_across_reads(self) -> None:
        """A CR LF or CR NUL cut between two reads is still one line end."""
        self.assertEqual(framed(b"a\r", b"\nb\r", b"\x00c"), b"a\nb\nc")

    def test_lone_cr_at_the_end_ends_the_line_now(self) -> None:
        """A CR that ends a read ends the line without waiting for the next read."""
        self.assertEqual(line_ends(b"hello\r", False), (b"hello\n", True))

    def test_empty_read_keeps_the_state(self) -> None:
        """An empty read between a CR and its LF does not split the pair."""
        self.assertEqual(framed(b"a\r", b"", b"\nb"), b"a\nb")

    def test_blank_lines_stay_lines(self) -> None:
        """CR CR and LF LF are two line ends each; CR LF LF is two as well."""
        self.assertEqual(framed(b"a\r\rb\n\nc\r\n\n"), b"a\n\nb\n\nc\n\n")

    def test_nul_alone_is_not_a_line_end(self) -> None:
        """A NUL that follows no CR is left for the hygiene step to remove."""
        self.assertEqual(framed(b"a\x00b\n"), b"a\x00b\n")

    @given(st.binary(max_size=200), st.integers(min_value=1, max_value=8))
    def test_chunking_does_not_matter(self, data: bytes, size: int) -> None:
        """However the bytes are cut into reads, the lines are the same."""
        reads = [data[i : i + size] for i in range(0, len(data), size)]
        self.assertEqual(framed(*reads), framed(data))
        self.assertNotIn(b"\r", framed(*reads))


class LineEndsOnTheWireTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()
        self.soheil, self.ali = self.server.chatters("soheil", "ali")

    def test_telnet_character_mode(self) -> None:
        """Telnet in character mode ends lines with CR NUL, one byte a read."""
        for byte in b"\xff\xfd\x03hi\r\x00there\r\x00":
            self.soheil.send(bytes([byte]))
        self.assertEqual(self.ali.take(), ["soheil: hi", "soheil: there"])

    def test_lone_cr(self) -> None:
        """A client that ends its lines with CR alone is understood."""
        self.soheil.send(b"one\rtwo\r")
        self.assertEqual(self.ali.take(), ["soheil: one", "soheil: two"])

    def test_cr_lf_split_is_one_line_end(self) -> None:
        """A CR LF split across reads gives no blank line and no lost line."""
        self.soheil.send(b"one\r")
        self.soheil.send(b"\ntwo\r\n")
        self.assertEqual(self.ali.take(), ["soheil: one", "soheil: two"])

    def test_limit_does_not_count_the_line_end(self) -> None:
        """A line of exactly the maximum length passes with any of the four line ends."""
        line = b"x" * 1024
        self.soheil.send(line + b"\r\n" + line + b"\n" + line + b"\r\x00" + line + b"\r")
        self.assertEqual(self.ali.take(), ["soheil: " + "x" * 1024] * 4)
        self.assertEqual(self.soheil.take(), [])


PAUSE = 0.5


class UnframedClientTests(SynchronousTestCase):
    """The course's own client: one send() a line, and never a line ending."""

    def setUp(self) -> None:
        self.server = Harness()
        (self.ali,) = self.server.chatters("ali")
        self.course = self.server.connect()
        self.assertEqual(self.course.take(), ["Please enter your name:"])

    def pause(self, seconds: float = PAUSE) -> None:
        self.server.clock.advance(seconds)

    def join(self) -> Client:
        self.course.send(b"soheil")
        self.pause()
        self.assertEqual(
            self.course.take(), ["Chat with your friends and enjoy", "online (2): ali, soheil"]
        )
        self.assertEqual(self.ali.take(), ["soheil is joined to the chatroom!"])
        return self.course

    def test_name_then_messages(self) -> None:
        """A name and then each message, sent with no line ending, are lines after a pause."""
        soheil = self.join()
        soheil.send(b"hello")
        self.pause()
        soheil.send(b"how are you")
        self.pause()
        self.assertEqual(self.ali.take(), ["soheil: hello", "soheil: how are you"])

    def test_nothing_before_the_pause(self) -> None:
        """Bytes with no line ending wait for the pause; more bytes restart the wait."""
        soheil = self.join()
        soheil.send(b"hel")
        self.pause(PAUSE - 0.01)
        soheil.send(b"lo")
        self.pause(PAUSE - 0.01)
        self.assertEqual(self.ali.take(), [])
        self.pause(0.01)
        self.assertEqual(self.ali.take(), ["soheil: hello"])

    def test_replies_reach_it(self) -> None:
        """What others say reaches the unframed client as ordinary CRLF lines."""
        soheil = self.join()
        self.ali.send("hi soheil")
        self.assertEqual(soheil.take(), ["ali: hi soheil"])

    def test_quit(self) -> None:
        """/quit with no line ending says goodbye, and the others see the leave line."""
        soheil = self.join()
        soheil.send(b"/quit")
        self.pause()
        self.assertEqual(soheil.take(), ["Goodbye, soheil!"])
        self.assertEqual(self.ali.take(), ["soheil has left the chatroom!"])

    def test_a_line_ending_frames_the_connection(self) -> None:
        """Once a line ending has come, a pause never ends a line."""
        self.course.send(b"soheil\n")
        self.course.take()
        self.course.send(b"half a li")
        self.pause(10)
        self.course.send(b"ne\n")
        self.assertEqual(
            self.ali.take(), ["soheil is joined to the chatroom!", "soheil: half a line"]
        )

    def test_a_telnet_command_frames_the_connection(self) -> None:
        """A client that sent a telnet command is framed by line endings only."""
        self.course.send(b"\xff\xfb\x18sohe")
        self.pause(10)
        self.course.send(b"il\r\x00")
        self.assertEqual(self.course.take()[-1], "online (2): ali, soheil")

    def test_off(self) -> None:
        """--unframed-pause 0 turns the pause off."""
        server = Harness(unframed_pause=0)
        client = server.connect()
        client.take()
        client.send(b"soheil")
        server.clock.advance(60 - 0.01)
        self.assertEqual(client.take(), [])

    def test_option(self) -> None:
        """--unframed-pause sets how long the silence is."""
        server = Harness(unframed_pause=2)
        client = server.connect()
        client.take()
        client.send(b"soheil")
        server.clock.advance(1.99)
        self.assertEqual(client.take(), [])
        server.clock.advance(0.01)
        self.assertEqual(client.take()[0], "Chat with your friends and enjoy")

    def test_long_line(self) -> None:
        """An unframed line over the limit gets one error; the next one is read."""
        soheil = self.join()
        soheil.send(b"x" * 3000)
        self.pause()
        soheil.send(b"after")
        self.pause()
        self.assertEqual(soheil.take(), ["error: line too long (more than 1024 bytes), discarded"])
        self.assertEqual(self.ali.take(), ["soheil: after"])

    def test_hygiene(self) -> None:
        """Control characters go and bad UTF-8 becomes U+FFFD, as on any line."""
        soheil = self.join()
        soheil.send(b"\x1b[31mred \xc3")
        self.pause()
        self.assertEqual(self.ali.take(), ["soheil: [31mred \ufffd"])

    def test_flood_control(self) -> None:
        """Unframed lines spend flood control's tokens like any other line."""
        server = Harness(rate=1, burst=1)
        soheil = server.connect()
        soheil.send(b"soheil")
        server.clock.advance(PAUSE)
        self.assertEqual(soheil.transport.producerState, "paused")

    def test_next_line_after_an_overlong_one(self) -> None:
        """The pause ends an overlong unframed line even while flood control stops the reading."""
        soheil = self.join()
        self.pause(10)
        soheil.send(b"x" * 20000)
        self.pause(2)
        soheil.send(b"hello ali")
        for _ in range(20):
            self.pause()
        self.assertEqual(self.ali.take(), ["soheil: hello ali"])

    def test_lines_sent_while_reading_stopped_stay_apart(self) -> None:
        """A pause that comes while reading is stopped still ends the line there."""
        server = Harness(rate=1, burst=1)
        (ali,) = server.chatters("ali")
        soheil = server.connect()
        soheil.take()
        soheil.send(b"soheil")
        server.clock.advance(PAUSE)  # the name spends the only token: reading stops
        soheil.send(b"first message")
        server.clock.advance(PAUSE)
        soheil.send(b"second message")
        for _ in range(10):
            server.clock.advance(PAUSE)
        joined = "soheil is joined to the chatroom!"
        self.assertEqual(ali.take(), [joined, "soheil: first message", "soheil: second message"])

    def test_last_bytes_before_half_close(self) -> None:
        """Bytes left when the client half-closes are its last line."""
        soheil = self.join()
        soheil.send(b"bye all")
        soheil.chat_protocol.readConnectionLost()
        self.assertEqual(self.ali.take(), ["soheil: bye all", "soheil has left the chatroom!"])

    def test_gone_before_the_pause(self) -> None:
        """A client that vanishes mid-line leaves no timer behind."""
        soheil = self.join()
        soheil.send(b"half")
        soheil.disconnect()
        self.server.room.flush()
        self.assertEqual(self.server.clock.getDelayedCalls(), [])

"""docs/protocol.md §1: telnet commands never reach a line, however they arrive."""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from chat.telnet import TelnetFilter

IAC, DO, WILL, SB, SE = b"\xff", b"\xfd", b"\xfb", b"\xfa", b"\xf0"


def filtered(*chunks: bytes) -> bytes:
    telnet = TelnetFilter()
    return b"".join(telnet.feed(chunk) for chunk in chunks)


def byte_by_byte(data: bytes) -> bytes:
    return filtered(*(data[i : i + 1] for i in range(len(data))))


class TelnetFilterTests(SynchronousTestCase):
    def check(self, data: bytes, expected: bytes) -> None:
        """Whole, and one byte at a time, ``data`` filters to ``expected``."""
        self.assertEqual(filtered(data), expected)
        self.assertEqual(byte_by_byte(data), expected)

    def test_plain_data_passes(self) -> None:
        """Data with no IAC byte is left alone."""
        self.check(b"hello\r\n", b"hello\r\n")

    def test_option_negotiation_removed(self) -> None:
        """IAC DO/WILL OPTION sequences are removed."""
        self.check(b"so" + IAC + DO + b"\x01" + b"heil" + IAC + WILL + b"\x03\n", b"soheil\n")

    def test_subnegotiation_removed(self) -> None:
        """IAC SB ... IAC SE, even holding a newline, is removed."""
        self.check(b"ali" + IAC + SB + b"\x18\x00xterm\n" + IAC + SE + b"\n", b"ali\n")

    def test_escaped_iac_in_subnegotiation(self) -> None:
        """An escaped IAC inside a subnegotiation does not end it."""
        self.check(IAC + SB + b"\x18" + IAC + IAC + SE + b"x" + IAC + SE + b"ok", b"ok")

    def test_two_byte_commands_removed(self) -> None:
        """IAC IP (Ctrl-C in telnet), IAC NOP and IAC IAC are removed."""
        self.check(b"a" + IAC + b"\xf4" + b"b" + IAC + b"\xf1" + b"c" + IAC + IAC + b"d", b"abcd")

    @given(st.binary(max_size=200), st.integers(min_value=1, max_value=20))
    def test_chunking_does_not_matter(self, data: bytes, size: int) -> None:
        """However the stream is cut into reads, the output is the same."""
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        self.assertEqual(filtered(*chunks), filtered(data))

    @given(
        st.lists(st.sampled_from([IAC, SB, SE, WILL, DO, b"\xf1", b"a", b"\n"]), max_size=60),
        st.integers(min_value=1, max_value=7),
    )
    def test_chunking_does_not_matter_for_commands(self, pieces: list[bytes], size: int) -> None:
        """Streams dense with commands filter the same however they are cut into reads."""
        data = b"".join(pieces)
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        self.assertEqual(filtered(*chunks), filtered(data))
        self.assertEqual(byte_by_byte(data), filtered(data))

    def test_subnegotiation_over_many_reads(self) -> None:
        """A subnegotiation that goes on over many reads is removed whole."""
        reads = [b"ok" + IAC + SB, *([b"\x00" * 1000 + IAC + IAC] * 100), IAC + SE + b"!"]
        self.assertEqual(filtered(*reads), b"ok!")

    def test_a_stream_of_commands(self) -> None:
        """A read that is nothing but commands leaves nothing, and the data after it stays."""
        self.assertEqual(filtered(IAC + b"\xf1" * 1 + (IAC + b"\xf1") * 30000, b"hi"), b"hi")

    @given(st.binary(max_size=200))
    def test_no_iac_survives(self, data: bytes) -> None:
        """No 0xFF byte ever comes out of the filter."""
        self.assertNotIn(IAC, filtered(data))

"""docs/protocol.md §1 and §3: control characters, bad UTF-8 and message text that hides itself."""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from chat.text import clean_line, clean_message


class CleanLineTests(SynchronousTestCase):
    def test_plain_text(self) -> None:
        """Ordinary UTF-8 text is decoded as it is."""
        self.assertEqual(clean_line("سلام soheil".encode()), "سلام soheil")

    def test_invalid_utf8(self) -> None:
        """Invalid bytes become U+FFFD."""
        self.assertEqual(clean_line(b"caf\xe9 \xc3"), "caf\ufffd \ufffd")

    def test_escape_sequences_removed(self) -> None:
        """ESC and the other C0 controls go, so no escape sequence survives."""
        self.assertEqual(clean_line(b"\x1b[2J\x1b]0;owned\x07hi\x00\x08"), "[2J]0;ownedhi")

    def test_delete_and_c1_removed(self) -> None:
        """DEL and the C1 controls (such as CSI, U+009B) are removed."""
        self.assertEqual(clean_line("a\x7fb\u009b31mc\u0085".encode()), "ab31mc")

    def test_tab_becomes_space(self) -> None:
        """TAB becomes a space."""
        self.assertEqual(clean_line(b"a\tb"), "a b")

    @given(st.binary(max_size=300))
    def test_nothing_unprintable_but_spaces(self, data: bytes) -> None:
        """No C0, C1 or DEL character is ever left in a line."""
        cleaned = clean_line(data)
        self.assertFalse([c for c in cleaned if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0])


class CleanMessageTests(SynchronousTestCase):
    def test_separators_become_spaces(self) -> None:
        """Line and paragraph separators become spaces."""
        self.assertEqual(clean_message("a\u2028b\u2029c"), "a b c")

    def test_no_forged_line_in_the_log(self) -> None:
        """A log split with str.splitlines() sees no forged leave line."""
        text = clean_message("hi\u2028ali has left the chatroom!")
        self.assertEqual(f"soheil said {text}".splitlines(), [f"soheil said {text}"])

    def test_bidi_controls_removed(self) -> None:
        """Embeddings, overrides and isolates go, even an isolate never closed."""
        controls = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
        self.assertEqual(clean_message(f"a{controls}b\u2067"), "ab")

    def test_zero_width_spaces_removed(self) -> None:
        """Zero-width space, word joiner and BOM go."""
        self.assertEqual(clean_message("\ufeffa\u200bb\u2060c"), "abc")

    def test_joiners_and_marks_kept(self) -> None:
        """ZWNJ, ZWJ, LRM and RLM stay: Persian and emoji need them."""
        text = "می\u200cخواهم \U0001f469\u200d\U0001f4bb \u200e\u200f"
        self.assertEqual(clean_message(text), text)

    def test_combining_marks_capped(self) -> None:
        """More than 8 combining marks in a row are cut to 8; 8 stay as they are."""
        self.assertEqual(clean_message("a" + "\u0301" * 8), "a" + "\u0301" * 8)
        self.assertEqual(
            clean_message("a" + "\u0301\u0302" * 50 + "b" + "\u064e" * 9),
            "a" + "\u0301\u0302" * 4 + "b" + "\u064e" * 8,
        )

    def test_ascii_untouched(self) -> None:
        """Plain ASCII text is returned as it is."""
        text = "hello, world"
        self.assertIs(clean_message(text), text)

    @given(st.binary(max_size=300))
    def test_one_line_whatever_is_sent(self, data: bytes) -> None:
        """Cleaned, no input holds anything str.splitlines() would split on."""
        self.assertLessEqual(len(clean_message(clean_line(data)).splitlines()), 1)

    @given(st.text(max_size=200))
    def test_nothing_hidden_survives(self, text: str) -> None:
        """No bidi control or zero-width space, and no run of 9 marks, survives."""
        cleaned = clean_message(text)
        self.assertFalse(
            set(cleaned) & set("\u2028\u2029\u202a\u202e\u2066\u2069\u200b\u2060\ufeff")
        )
        self.assertNotRegex(cleaned, "[\u0300-\u036f]{9}")

"""SPEC §2: what a valid name is, and when two names are the same."""

from twisted.trial.unittest import SynchronousTestCase

from chat.names import MAX_NAME_LENGTH, NameRejected, check_name, name_key

PERSIAN = "می\u200cخواهم"  # a zero-width non-joiner between two letters


class CheckNameTests(SynchronousTestCase):
    def assertRejected(self, raw: str, reason_part: str) -> None:
        with self.assertRaises(NameRejected) as caught:
            check_name(raw)
        self.assertIn(reason_part, caught.exception.reason)

    def test_plain_names(self) -> None:
        """Letters, digits, _, - and . make a name."""
        for name in ["soheil", "ali", "hasan_2", "a.b-c", "7"]:
            self.assertEqual(check_name(name), name)

    def test_trimmed(self) -> None:
        """Spaces around a name are trimmed."""
        self.assertEqual(check_name("  soheil \t"), "soheil")

    def test_nfkc(self) -> None:
        """Names are NFKC-normalised: fullwidth letters become plain ones."""
        self.assertEqual(check_name("ｓｏｈｅｉｌ"), "soheil")

    def test_letters_and_marks_of_any_script(self) -> None:
        """Letters and marks of any script are allowed."""
        for name in ["سهیل", "Ålesund", "नमस्ते", "علی"]:
            self.assertEqual(check_name(name), name)

    def test_persian_non_joiner(self) -> None:
        """A zero-width non-joiner between two letters is part of the name."""
        self.assertEqual(check_name(PERSIAN), PERSIAN)

    def test_non_joiner_elsewhere(self) -> None:
        """A zero-width non-joiner at an edge or beside a non-letter is refused."""
        self.assertRejected("\u200cali", "non-joiner")
        self.assertRejected("ali\u200c", "non-joiner")
        self.assertRejected("ali\u200c2", "non-joiner")

    def test_empty(self) -> None:
        """An empty line, or one of spaces only, is no name."""
        self.assertRejected("", "empty")
        self.assertRejected("   ", "empty")

    def test_length(self) -> None:
        """A name holds 1 to 32 characters."""
        self.assertEqual(check_name("a" * MAX_NAME_LENGTH), "a" * MAX_NAME_LENGTH)
        self.assertRejected("a" * (MAX_NAME_LENGTH + 1), "at most 32")

    def test_length_counts_after_normalisation(self) -> None:
        """The length is counted after NFKC: a ligature may grow past 32."""
        self.assertRejected("\ufb03" * 11, "at most 32")  # "ffi" x 11 = 33

    def test_spaces_inside(self) -> None:
        """A space inside a name is refused, and the reason says so."""
        self.assertRejected("ali reza", "spaces")

    def test_other_characters(self) -> None:
        """Punctuation other than _ - . is refused, naming the character."""
        for raw, character in [("ali!", "'!'"), ("/quit", "'/'"), ("a@b", "'@'")]:
            self.assertRejected(raw, character)

    def test_needs_a_letter_or_digit(self) -> None:
        """A name of punctuation only is refused."""
        self.assertRejected("_-.", "at least one letter or digit")


class NameKeyTests(SynchronousTestCase):
    def test_case_ignored(self) -> None:
        """Soheil and soheil are the same name."""
        self.assertEqual(name_key("Soheil"), name_key("soheil"))

    def test_casefold_not_lower(self) -> None:
        """Case is folded fully: Straße and STRASSE are the same name."""
        self.assertEqual(name_key("Straße"), name_key("STRASSE"))

    def test_zero_width_ignored(self) -> None:
        """A zero-width non-joiner does not make a name different."""
        self.assertEqual(name_key(PERSIAN), name_key(PERSIAN.replace("\u200c", "")))

    def test_compatibility_forms(self) -> None:
        """Fullwidth and plain forms are the same name."""
        self.assertEqual(name_key("ＡＬＩ"), name_key("ali"))

    def test_different_names(self) -> None:
        """Different names have different keys."""
        self.assertNotEqual(name_key("ali"), name_key("alí"))

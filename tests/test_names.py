"""docs/protocol.md §2: what a valid name is, and when two names are the same."""

from __future__ import annotations

from collections import defaultdict
from importlib.resources import files

from hypothesis import assume, given
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat.names import (
    MAX_NAME_LENGTH,
    RESERVED,
    NameRejected,
    check_name,
    fold,
    name_key,
    same_name,
)
from chat.room import NameTaken, Room

PERSIAN = "می\u200cخواهم"  # a zero-width non-joiner between two letters
MEHRNAZ = "مهر\u200cناز"  # after ر, which joins on the right only
# Invisible characters an impostor would add: default-ignorable code points
# (combining grapheme joiner, Hangul fillers, Khmer inherent vowels,
# Mongolian variation selectors, variation selectors, zero-width and
# bidi format characters, the soft hyphen).
INVISIBLE = [
    "\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\u17b5",
    *map(chr, range(0x180B, 0x1810)), "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef",
    "\u200b", "\u200d", "\u200e", "\u2060", "\u2064", "\ufeff", "\u00ad", "\u061c",
    "\u202e", "\u2066", "\U000e0041",
]  # fmt: skip


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

    def test_invisible_characters(self) -> None:
        """No invisible character may hide in a name: ali + U+034F is not a second ali."""
        for character in INVISIBLE:
            for raw in ["ali" + character, "a" + character + "li", character + "ali"]:
                self.assertRejected(raw, "invisible characters")

    def test_hangul_filler_alone(self) -> None:
        """A name made only of a Hangul filler (blank on screen) is refused."""
        for filler in ["\u3164", "\uffa0", "\u115f", "\u1160", "\u3164" * 3]:
            self.assertRejected(filler, "invisible characters")

    def test_precis_identifier_class(self) -> None:
        """What the PRECIS IdentifierClass refuses is refused: a tatweel, an enclosing mark."""
        self.assertRejected("\u0640علی", "'\u0640'")
        self.assertRejected("ali\u20dd", "'\u20dd'")

    def test_one_script(self) -> None:
        """Letters from two scripts are refused: Cyrillic а or ѕ, Greek α among Latin."""
        for raw in ["аli", "ѕoheil", "αli", "soheiӏ", "aliعلی", "Дmitry"]:
            with self.assertRaises(NameRejected) as caught:
                check_name(raw)
            self.assertEqual(caught.exception.reason, "a name can't mix scripts")

    def test_scripts_that_go_together(self) -> None:
        """Japanese mixes Han and kana, Korean Han and Hangul, Chinese Han and Bopomofo."""
        for name in ["たなか太郎", "カタカナ", "やまだナナ", "金민수", "ㄅㄆ中文", "tanaka太郎"]:
            self.assertEqual(check_name(name), name)

    def test_names_in_many_scripts(self) -> None:
        """Persian, Chinese, Japanese, Korean, Hindi, Greek and Russian names work."""
        for name in [
            MEHRNAZ,
            "علی",
            "۱۲۳",
            "王小明",
            "さくら",
            "김민수",
            "नमस्ते",
            "Αλέξης",
            "Дмитрий",
        ]:
            self.assertEqual(check_name(name), name)

    def test_digits_go_with_any_script(self) -> None:
        """Digits and _-. go with the letters of any script."""
        for name in ["ali۱۲۳", "علی_2", "Дима-7", "さくら.99"]:
            self.assertEqual(check_name(name), name)

    def test_digits_of_one_kind(self) -> None:
        """A name's digits come from one system: no 1 beside a Persian ۱."""
        self.assertRejected("ali1۱", "digits of different scripts")
        self.assertRejected("۱١", "digits of different scripts")

    def test_reserved(self) -> None:
        """The server's own words are reserved names, in any case."""
        for word in RESERVED:
            for raw in [word, word.upper(), word.title()]:
                with self.assertRaises(NameRejected) as caught:
                    check_name(raw)
                self.assertEqual(caught.exception.reason, f"the name {raw} is reserved")

    def test_reserved_look_alikes(self) -> None:
        """A name that looks like a reserved one is reserved too (Cyrillic еггог, adrnin)."""
        for raw in ["еггог", "ЕГГОГ", "adrnin"]:
            self.assertRejected(raw, f"the name {raw} is reserved")


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

    def test_look_alikes_share_a_key(self) -> None:
        """Names that look alike have one key: the UTS #39 skeleton after case folding."""
        for one, other in [
            ("ѕоһеіӏ", "soheil"),
            ("ѕоһеіӏ", "SOHEIL"),
            ("αli", "ali"),
            ("rn", "m"),
            ("علي", "علی"),
            ("ali\u034f", "ali"),
        ]:
            self.assertEqual(name_key(one), name_key(other), (one, other))

    def test_same_name(self) -> None:
        """The same name is the same ignoring case and zero-width characters, not looks."""
        self.assertTrue(same_name("Soheil", "soheil"))
        self.assertTrue(same_name(PERSIAN, PERSIAN.replace("\u200c", "")))
        self.assertFalse(same_name("ѕоһеіӏ", "soheil"))

    def test_fold_keeps_letters(self) -> None:
        """The order of the online list folds case but keeps letters as they are."""
        self.assertEqual(fold("Mina"), "mina")


def _confusables() -> dict[str, list[str]]:
    """Every character and prototype in the confusables table, by name key."""
    groups: dict[str, list[str]] = defaultdict(list)
    table = files("chat").joinpath("data/confusables.txt").read_text("utf-8")
    for line in table.splitlines():
        if line and not line.startswith("#"):
            source, prototype = line.split("\t")
            for text in [chr(int(source, 16)), "".join(chr(int(p, 16)) for p in prototype.split())]:
                groups[name_key(text)].append(text)
    return groups


CONFUSABLES = _confusables()
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдежзийклмнопрстуфхцчшщыэюяѕіјһӏ",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی",
]


@st.composite
def online_names(draw: st.DrawFn) -> str:
    alphabet = draw(st.sampled_from(ALPHABETS))
    return draw(st.text(alphabet=alphabet, min_size=1, max_size=12))


class NobodyCanFakeANameTests(SynchronousTestCase):
    def refused_or_taken(self, online: str, raw: str) -> None:
        room = Room(Clock())
        room.join(object.__new__(_Member), online)
        try:
            name = check_name(raw)
        except NameRejected:
            return
        self.assertRaises(NameTaken, room.join, _Member(), name)

    @given(online_names(), st.data())
    def test_invisible_character_anywhere(self, online: str, data: st.DataObject) -> None:
        """An invisible character inserted anywhere in an online name is refused or taken."""
        assume(_valid(online))
        where = data.draw(st.integers(min_value=0, max_value=len(online)))
        character = data.draw(st.sampled_from([*INVISIBLE, "\u200c"]))
        self.refused_or_taken(online, online[:where] + character + online[where:])

    @given(online_names(), st.data())
    def test_confusable_letter_anywhere(self, online: str, data: st.DataObject) -> None:
        """Any letter of an online name swapped for a look-alike is refused or taken."""
        assume(_valid(online))
        where = data.draw(st.integers(min_value=0, max_value=len(online) - 1))
        look_alikes = [
            c for c in CONFUSABLES.get(name_key(online[where]), []) if c != online[where]
        ]
        assume(look_alikes)
        swapped = data.draw(st.sampled_from(look_alikes))
        self.refused_or_taken(online, online[:where] + swapped + online[where + 1 :])


class _Member:
    name: str | None = None
    key: str | None = None

    def deliver(self, data: bytes) -> None:
        pass


def _valid(name: str) -> bool:
    try:
        return check_name(name) == name
    except NameRejected:
        return False

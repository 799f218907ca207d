"""
The name rules: what a valid name is, and when two names are the same.

A name is trimmed and NFKC-normalised, then holds 1 to 32 characters of
letters, marks, decimal digits, ``_``, ``-`` and ``.``, with at least one
letter or digit. Nobody can fake one:

- no invisible characters (Unicode's default-ignorable code points, the
  Hangul fillers), but a zero-width non-joiner between two letters, as
  Persian names need. Which code points a name may hold at all is the
  PRECIS IdentifierClass (RFC 8264, the base of RFC 8265 usernames);
- the letters come from one script, at UTS #39's "highly restrictive"
  level (Japanese mixes Han, Hiragana and Katakana, Korean Han and Hangul,
  Chinese Han and Bopomofo, each of them with Latin); digits and ``_-.``
  go with any script, but a name's digits are of one kind;
- names that look alike are the same name: the key of a name is the UTS
  #39 skeleton of its case-folded form, so ``ѕоһеіӏ`` (Cyrillic) and
  ``Soheil`` share the key of ``soheil``;
- a few names the server's own lines use are reserved, with every name
  that looks like them.

The skeleton's data is Unicode's ``confusables.txt``, kept as a table in
``chat/data/confusables.txt`` (``tools/make_confusables.py`` makes it; its
header says which Unicode version).
"""

from __future__ import annotations

import unicodedata
from importlib.resources import files

from fontTools.unicodedata import script_extension
from precis_i18n.derived import CONTEXTO, PVALID, derived_property
from precis_i18n.unicode import UnicodeData

from chat import lines

MAX_NAME_LENGTH = 32
ZERO_WIDTH_NON_JOINER = "\u200c"
RESERVED = ("error", "server", "online", "private", "system", "admin", "operator", "chatroom")
_PUNCTUATION = frozenset("_-.")
_UCD = UnicodeData()
# What the PRECIS IdentifierClass lets through (CONTEXTO: the Arabic-Indic
# digits, whose mixing the digit rule below refuses).
_VALID = frozenset({PVALID, CONTEXTO})

# Script_Extensions that go with any script, and UTS #39's augmented sets.
_ANY_SCRIPT = frozenset({"Zyyy", "Zinh"})
_AUGMENTED = {
    "Hani": {"Hanb", "Jpan", "Kore"},
    "Hira": {"Jpan"},
    "Kana": {"Jpan"},
    "Hang": {"Kore"},
    "Bopo": {"Hanb"},
}
_HIGHLY_RESTRICTIVE = (
    frozenset({"Latn", "Hani", "Hira", "Kana"}),
    frozenset({"Latn", "Hani", "Bopo"}),
    frozenset({"Latn", "Hani", "Hang"}),
)


class NameRejected(ValueError):
    """A name that cannot be used; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NameTaken(NameRejected):
    """Someone online has this name, in another case or one that looks like it."""

    def __init__(self, name: str, holder: str) -> None:
        same = same_name(name, holder)
        super().__init__(lines.name_taken(name) if same else lines.name_looks_like(name, holder))


def _load_prototypes() -> dict[int, str]:
    """Each confusable character's prototype, for ``str.translate``."""
    table: dict[int, str] = {}
    text = files("chat").joinpath("data/confusables.txt").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            source, prototype = line.split("\t")
            table[int(source, 16)] = "".join(chr(int(p, 16)) for p in prototype.split())
    return table


_PROTOTYPES = _load_prototypes()


def _is_letter(character: str) -> bool:
    return unicodedata.category(character)[0] == "L"


def _is_invisible(character: str) -> bool:
    return _UCD.default_ignorable(ord(character))


def _non_joiner_fits(name: str, index: int) -> bool:
    """A non-joiner between letters; a letter may carry marks before it."""
    before = name[index - 1] if index else ""
    after = name[index + 1] if index + 1 < len(name) else ""
    return (
        before != ""
        and unicodedata.category(before)[0] in "LM"
        and after != ""
        and _is_letter(after)
    )


def _check_character(name: str, index: int) -> None:
    character = name[index]
    if character == ZERO_WIDTH_NON_JOINER:
        if not _non_joiner_fits(name, index):
            raise NameRejected(lines.NAME_NON_JOINER)
        return
    if _is_invisible(character):
        raise NameRejected(lines.NAME_INVISIBLE)
    category = unicodedata.category(character)
    allowed = category[0] in "LM" or category == "Nd" or character in _PUNCTUATION
    if not allowed or derived_property(ord(character), _UCD)[0] not in _VALID:
        description = "spaces" if character.isspace() else repr(character)
        raise NameRejected(lines.name_bad_character(description))


def _one_script(name: str) -> bool:
    """UTS #39 "highly restrictive": one script, or one of its few mixes."""
    sets = []
    for character in name:
        if unicodedata.category(character) == "Nd":
            continue
        scripts = script_extension(character)
        if not scripts & _ANY_SCRIPT:
            sets.append(scripts)
    resolved: set[str] | None = None
    for scripts in sets:
        augmented = set(scripts).union(*(_AUGMENTED.get(s, ()) for s in scripts))
        resolved = augmented if resolved is None else resolved & augmented
    if resolved is None or resolved:
        return True
    return any(all(scripts & mix for scripts in sets) for mix in _HIGHLY_RESTRICTIVE)


def _one_kind_of_digits(name: str) -> bool:
    """All decimal digits from one system: no ``1`` beside a Persian ``۱``."""
    zeros = {ord(c) - unicodedata.decimal(c) for c in name if unicodedata.category(c) == "Nd"}
    return len(zeros) <= 1


def check_name(raw: str) -> str:
    """The name as it will be shown, or ``NameRejected`` saying what is wrong."""
    name = unicodedata.normalize("NFKC", raw.strip())
    if not name:
        raise NameRejected(lines.NAME_EMPTY)
    if len(name) > MAX_NAME_LENGTH:
        raise NameRejected(lines.name_too_long(MAX_NAME_LENGTH))
    for index in range(len(name)):
        _check_character(name, index)
    if not any(_is_letter(c) or unicodedata.category(c) == "Nd" for c in name):
        raise NameRejected(lines.NAME_NEEDS_LETTER)
    if not _one_script(name):
        raise NameRejected(lines.NAME_MIXES_SCRIPTS)
    if not _one_kind_of_digits(name):
        raise NameRejected(lines.NAME_MIXES_DIGITS)
    if name_key(name) in _RESERVED_KEYS:
        raise NameRejected(lines.name_reserved(name))
    return name


def fold(name: str) -> str:
    """A name with case and compatibility forms folded: the online list's order."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _visible(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in text if not _is_invisible(c))


def same_name(one: str, other: str) -> bool:
    """The same name ignoring case and zero-width characters."""
    return _visible(fold(one)) == _visible(fold(other))


def name_key(name: str) -> str:
    """
    What makes two names one: the UTS #39 skeleton of the case-folded name
    (decomposed, invisible characters removed, each character replaced by
    its prototype, decomposed again), so names that look alike share it.
    """
    decomposed = _visible(unicodedata.normalize("NFD", fold(name)))
    return unicodedata.normalize("NFD", decomposed.translate(_PROTOTYPES))


_RESERVED_KEYS = frozenset(map(name_key, RESERVED))

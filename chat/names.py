"""
The name rules: what a valid name is, and when two names are the same.

A name is trimmed and NFKC-normalised, then holds 1 to 32 characters of
letters, marks, decimal digits, ``_``, ``-`` and ``.``, with at least one
letter or digit. A zero-width non-joiner may stand between two letters, as
Persian names need. Two names are the same when they match ignoring case
and zero-width characters.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 32
ZERO_WIDTH_NON_JOINER = "\u200c"
_PUNCTUATION = frozenset("_-.")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


class NameRejected(ValueError):
    """A name that cannot be used; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_letter(character: str) -> bool:
    return unicodedata.category(character)[0] == "L"


def _is_allowed(name: str, index: int) -> bool:
    character = name[index]
    category = unicodedata.category(character)
    if category[0] in "LM" or category == "Nd" or character in _PUNCTUATION:
        return True
    if character == ZERO_WIDTH_NON_JOINER:
        # Between letters; a letter may carry marks before the non-joiner.
        before = name[index - 1] if index else ""
        after = name[index + 1] if index + 1 < len(name) else ""
        return (
            before != ""
            and unicodedata.category(before)[0] in "LM"
            and after != ""
            and _is_letter(after)
        )
    return False


def _describe(character: str) -> str:
    if character.isspace():
        return "spaces"
    if character == ZERO_WIDTH_NON_JOINER:
        return "a zero-width non-joiner except between two letters"
    return repr(character)


def check_name(raw: str) -> str:
    """The name as it will be shown, or ``NameRejected`` saying what is wrong."""
    name = unicodedata.normalize("NFKC", raw.strip())
    if not name:
        raise NameRejected("a name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise NameRejected(f"a name can have at most {MAX_NAME_LENGTH} characters")
    for index, character in enumerate(name):
        if not _is_allowed(name, index):
            raise NameRejected(
                f"a name cannot contain {_describe(character)}"
                " (use letters, digits, '_', '-' and '.')"
            )
    if not any(_is_letter(c) or unicodedata.category(c) == "Nd" for c in name):
        raise NameRejected("a name needs at least one letter or digit")
    return name


def name_key(name: str) -> str:
    """What makes two names the same person: case and zero-width ignored."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return folded.translate(_ZERO_WIDTH)

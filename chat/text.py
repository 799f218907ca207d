"""
Input hygiene: what a line from a client becomes before anyone reads it.

Each line is decoded as UTF-8 (bad bytes become U+FFFD) and loses its
control characters, so that no client can put an escape sequence on
another client's terminal; the text of messages is cleaned further, so
that it can't pretend to be another line or hide itself
(docs/protocol.md §1 and §3).
"""

from __future__ import annotations

import regex

# C0 except TAB, DEL and C1 go; TAB becomes a space.
_CLEAN = dict.fromkeys([*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)])
_CLEAN[0x09] = " "


def strip_controls(text: str) -> str:
    """Text with no C0 (but TAB, made a space), DEL or C1 characters."""
    if text.isprintable():
        return text
    return text.translate(_CLEAN)


def clean_line(raw: bytes) -> str:
    """One line from a client as safe text: decoded, with no control characters."""
    return strip_controls(raw.decode("utf-8", "replace"))


# Message text. (``regex`` for Unicode property classes at C speed; the
# standard ``re`` has none.)
# Line and paragraph separators become spaces; bidi embeddings,
# overrides and isolates and zero-width spaces go. ZWNJ, ZWJ, LRM and RLM
# stay: Persian and emoji need them.
_MESSAGE = {
    0x2028: " ",
    0x2029: " ",
    **dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x2060, 0xFEFF]),
}
MAX_MARKS = 8
_MARK_FLOOD = regex.compile(rf"(\p{{M}}{{{MAX_MARKS}}})\p{{M}}+")


def clean_message(text: str) -> str:
    """
    The text of a message, action or private message, as others see it and
    the log keeps it: it can't pretend to be another line or hide itself,
    and no run of combining marks is longer than ``MAX_MARKS``.
    """
    if text.isascii():
        return text
    return _MARK_FLOOD.sub(r"\1", text.translate(_MESSAGE))

"""
Input hygiene: what a client's bytes become before anyone reads them.

Telnet negotiation is cut out of the byte stream, each line is decoded as
UTF-8 (bad bytes become U+FFFD) and loses its control characters, so that
no client can put an escape sequence on another client's terminal.
"""

from __future__ import annotations

import re

# One telnet command, always matched from its IAC to wherever it ends, or to
# the end of the data if it is cut off there: a command of two bytes, an
# option negotiation (WILL, WONT, DO, DONT and an option byte), or a
# subnegotiation (SB … IAC SE, in which IAC IAC is an escaped 0xFF).
_COMMAND = re.compile(
    rb"(\xff(?:[\xfb-\xfe][\s\S]?|\xfa(?:[^\xff]|\xff[^\xf0])*+(?:\xff\xf0|\xff)?|[^\xfa-\xfe])?)"
)
_SUBNEGOTIATION_REST = re.compile(rb"(?:[^\xff]|\xff[^\xf0])*+(\xff\xf0|\xff)?")
# What stands for a command cut off at the end of a read, put before the
# next read so that the command goes on where it stopped.
_GO_ON_IAC, _GO_ON_OPTION = b"\xff", b"\xff\xfb"
_GO_ON_SUBNEGOTIATION, _GO_ON_SUBNEGOTIATION_IAC = b"\xff\xfa", b"\xff\xfa\xff"

# C0 except TAB, DEL and C1 go; TAB becomes a space.
_CLEAN = dict.fromkeys([*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)])
_CLEAN[0x09] = " "


def _may_be_cut_off(data: bytes) -> bool:
    """Whether data with no subnegotiation in it may end in a command cut off."""
    return data[-1] == 0xFF or (data[-2:-1] == b"\xff" and 0xFB <= data[-1] <= 0xFE)


def _unfinished(command: bytes) -> bytes:
    """What of a command at the very end of a read is still to come."""
    if command == b"\xff":
        return _GO_ON_IAC
    kind = command[1]
    if 0xFB <= kind <= 0xFE:
        return _GO_ON_OPTION if len(command) == 2 else b""
    if kind != 0xFA:
        return b""
    end = _SUBNEGOTIATION_REST.match(command, 2)
    assert end is not None  # the pattern matches anything
    if end.group(1) == b"\xff\xf0":
        return b""
    return _GO_ON_SUBNEGOTIATION_IAC if end.group(1) else _GO_ON_SUBNEGOTIATION


class TelnetFilter:
    """
    Removes telnet commands (``IAC …``) from a byte stream.

    The work is one regular-expression substitution a read, at C speed
    however many commands a client streams (a split, when the read may end
    inside a command). A command may be split across reads,
    so the filter remembers what of it is still to come. An escaped 0xFF
    (``IAC IAC``) goes too: it is never valid UTF-8.
    """

    __slots__ = ("_carry",)

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> bytes:
        if self._carry:
            data = self._carry + data
        elif b"\xff" not in data:
            return data
        if b"\xff\xfa" not in data and not _may_be_cut_off(data):
            self._carry = b""
            return _COMMAND.sub(b"", data)
        pieces = _COMMAND.split(data)
        # Data and commands alternate; a cut-off command can only be last.
        self._carry = _unfinished(pieces[-2]) if not pieces[-1] else b""
        return b"".join(pieces[::2])


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
import regex  # noqa: E402

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

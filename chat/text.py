"""
Input hygiene: what a client's bytes become before anyone reads them.

Telnet negotiation is cut out of the byte stream, each line is decoded as
UTF-8 (bad bytes become U+FFFD) and loses its control characters, so that
no client can put an escape sequence on another client's terminal.
"""

from __future__ import annotations

IAC = 0xFF
_IAC_BYTE = b"\xff"
_SB, _SE = 0xFA, 0xF0
_WILL, _DONT = 0xFB, 0xFE

# States of the telnet filter.
_DATA, _COMMAND, _OPTION, _SUBNEGOTIATION, _SUBNEGOTIATION_IAC = range(5)

# C0 except TAB, DEL and C1 go; TAB becomes a space.
_CLEAN = dict.fromkeys([*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)])
_CLEAN[0x09] = " "


class TelnetFilter:
    """
    Removes telnet commands (``IAC …``) from a byte stream.

    A command may be split across reads, so the filter remembers where it
    stopped. An escaped 0xFF (``IAC IAC``) goes too: it is never valid UTF-8.
    """

    __slots__ = ("_state",)

    def __init__(self) -> None:
        self._state = _DATA

    def feed(self, data: bytes) -> bytes:
        if self._state == _DATA and _IAC_BYTE not in data:
            return data
        kept = bytearray()
        state, index, end = self._state, 0, len(data)
        while index < end:
            if state in (_DATA, _SUBNEGOTIATION):
                found = data.find(_IAC_BYTE, index)
                stop = end if found < 0 else found
                if state == _DATA:
                    kept += data[index:stop]
                if found < 0:
                    break
                index = found + 1
                state = _COMMAND if state == _DATA else _SUBNEGOTIATION_IAC
                continue
            byte = data[index]
            index += 1
            if state == _COMMAND:
                if _WILL <= byte <= _DONT:
                    state = _OPTION
                elif byte == _SB:
                    state = _SUBNEGOTIATION
                else:
                    state = _DATA
            elif state == _OPTION:
                state = _DATA
            else:  # _SUBNEGOTIATION_IAC
                state = _DATA if byte == _SE else _SUBNEGOTIATION
        self._state = state
        return bytes(kept)


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

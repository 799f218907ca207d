"""
Telnet commands cut out of a client's byte stream (docs/protocol.md §1).

Telnet and its character mode negotiate options (``IAC WILL ECHO``…) in
band; none of it may reach a name or a message.
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

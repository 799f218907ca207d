"""
Where a client's lines end (docs/protocol.md, "Framing").

CR LF, LF, CR NUL (telnet in character mode) and a lone CR each end a line.
``line_ends`` rewrites every one of them as a single LF, so that the line
receiver only ever splits on LF. A CR at the very end of a read ends the
line at once; an LF or NUL at the start of the next read is the rest of
that same line end, and goes.
"""

from __future__ import annotations

import re

_CR_PAIR = re.compile(rb"\r[\n\x00]?")
_SECOND_HALVES = frozenset(b"\n\x00")


def line_ends(data: bytes, after_cr: bool) -> tuple[bytes, bool]:
    """
    ``data`` with each line end as one LF, and whether it ended with a CR.

    ``after_cr`` says whether the previous read ended with a CR, whose LF or
    NUL may start this one.
    """
    if after_cr and data:
        after_cr = False
        if data[0] in _SECOND_HALVES:
            data = data[1:]
    if b"\r" in data:
        after_cr = data.endswith(b"\r")
        data = _CR_PAIR.sub(b"\n", data)
    return data, after_cr

"""
The one-order check (``--check-order``): every line delivered to everyone,
in one order, with several daemons serving one room.

Every message carries its number (``chat.bench.pacing``): message ``ID``
is sender ``ID % senders``'s message ``ID // senders``. While the run
sends, every client keeps, cheaply, the number of lines it read and a
running CRC-32 of their bytes; a few clients (the senders, the latency
samplers, and one other client per endpoint) also record the numbers of
the messages they read, compactly, in order. Afterwards, for each client
still connected:

- a recorded client's numbers are mapped to their positions in one
  reference order (a recorded client that sends nothing and got the most
  lines), which must only grow: so any two clients get the lines both got
  in the same relative order; each sender's lines must come in the order
  sent; every line sent by someone else must come exactly once (``lost``,
  ``duplicated``), and none of its own (``echoed``);
- in one room every client that sends nothing reads the very same bytes,
  so any other client's count and CRC must equal the reference's: then its
  figures are the reference's; if not, it is a violation, and the
  difference in line counts is counted as lost or duplicated.

The work while sending is one CRC per read on every client, and parsing on
the recorded few; the check itself is O(lines) per recorded client.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

OK = "ok"


def new_ids() -> array[int]:
    """An empty record of message numbers, four bytes each."""
    return array("I")


# The number of a ``NAME: TIMESTAMP ID …`` line; one regex over a whole read
# costs a fraction of splitting it into lines.
MESSAGE_ID = re.compile(rb"^[^:\r\n]*: \d+ (\d{1,9})\b", re.MULTILINE)


def parse_ids(complete: bytes, out: array[int]) -> None:
    """Append the number of each ``NAME: TIMESTAMP ID …`` line of ``complete`` to ``out``."""
    out.extend(map(int, MESSAGE_ID.findall(complete)))


@dataclass(frozen=True)
class Stream:
    """What one client read while the run sent: counted, and maybe recorded."""

    name: str
    own: int | None  # its sender number, None if it sends nothing
    received: int
    crc: int
    ids: array[int] | None = None


@dataclass(frozen=True)
class OrderFigures:
    """The check's verdict: ``order`` is ``ok`` or the first violation found."""

    clients: int
    recorded: int
    order: str
    lost: int
    duplicated: int
    echoed: int

    @property
    def ok(self) -> bool:
        return self.order == OK and not (self.lost or self.duplicated or self.echoed)

    def to_json(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "echoed": self.echoed,
            "order_clients": self.clients,
            "order_recorded": self.recorded,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderFigures:
        return cls(
            clients=int(data["order_clients"]),
            recorded=int(data["order_recorded"]),
            order=str(data["order"]),
            lost=int(data["lost"]),
            duplicated=int(data["duplicated"]),
            echoed=int(data["echoed"]),
        )


@dataclass
class _Tally:
    lost: int = 0
    duplicated: int = 0
    echoed: int = 0
    violation: str | None = None


class _Run:
    """What was sent: which numbers went out, and from whom."""

    def __init__(self, scheduled: int, skipped: Sequence[int], senders: Sequence[str]) -> None:
        self.senders = list(senders)
        self.was_sent = bytearray(b"\x01") * scheduled
        for ident in skipped:
            self.was_sent[ident] = 0
        count = max(1, len(self.senders))
        self.sent_by = [0] * count
        for ident, flag in enumerate(self.was_sent):
            if flag:
                self.sent_by[ident % count] += 1
        self.total = sum(self.sent_by)

    def label(self, ident: int) -> str:
        count = len(self.senders)
        return f"#{ident} ({self.senders[ident % count]}'s message {ident // count})"

    def expected(self, own: int | None) -> int:
        return self.total - (self.sent_by[own] if own is not None else 0)


def _walk(stream: Stream, ids: array[int], run: _Run, positions: array[int], ref: str) -> _Tally:
    """Check one recorded client's numbers against the reference positions."""
    count = len(run.sent_by)
    scheduled = len(run.was_sent)
    seen = bytearray(scheduled)
    last_of = [-1] * count
    last_pos = last = -1
    tally = _Tally()
    got = 0
    for ident in ids:
        if ident >= scheduled or not run.was_sent[ident]:
            continue  # not a message of this run
        if seen[ident]:
            tally.duplicated += 1
            continue
        seen[ident] = 1
        sender = ident % count
        if sender == stream.own:
            tally.echoed += 1
            continue
        got += 1
        if tally.violation is None:
            position = positions[ident]
            if ident < last_of[sender]:
                tally.violation = (
                    f"{stream.name} got {run.label(ident)} after {run.label(last_of[sender])}"
                )
            elif 0 <= position < last_pos:
                tally.violation = (
                    f"{stream.name} got {run.label(ident)} after {run.label(last)};"
                    f" {ref} got them the other way round"
                )
            elif position >= 0:
                last_pos, last = position, ident
        last_of[sender] = max(last_of[sender], ident)
    tally.lost = run.expected(stream.own) - got
    return tally


def check_order(
    streams: Sequence[Stream], scheduled: int, skipped: Sequence[int], senders: Sequence[str]
) -> OrderFigures:
    """
    The verdict over the clients still connected: ``scheduled`` messages
    numbered from 0, ``skipped`` of them never sent, ``senders`` by number.
    """
    run = _Run(scheduled, skipped, senders)
    recorded = [s for s in streams if s.ids is not None]
    quiet = [s for s in recorded if s.own is None] or recorded
    if not quiet:
        return OrderFigures(len(streams), 0, "not checked: no client recorded", 0, 0, 0)
    reference = max(quiet, key=lambda s: len(set(s.ids or ())))
    positions = array("q", [-1]) * scheduled
    for position, ident in enumerate(reference.ids or ()):
        if ident < scheduled and positions[ident] < 0:
            positions[ident] = position
    total = _Tally()
    verdicts: dict[str, _Tally] = {}
    for stream in recorded:
        assert stream.ids is not None, "only recorded streams are walked"
        verdict = _walk(stream, stream.ids, run, positions, reference.name)
        verdicts[stream.name] = verdict
        _add(total, verdict)
    same = verdicts[reference.name]
    for stream in streams:
        if stream.ids is not None:
            continue
        quiet_both = reference.own is None and stream.own is None
        if quiet_both and (stream.received, stream.crc) == (reference.received, reference.crc):
            _add(total, same)
            continue
        difference = stream.received - run.expected(stream.own)
        _add(
            total,
            _Tally(
                lost=max(0, -difference),
                duplicated=max(0, difference),
                violation=(
                    f"{stream.name} read other lines than {reference.name}"
                    f" ({stream.received} lines, {reference.name} {reference.received})"
                ),
            ),
        )
    return OrderFigures(
        clients=len(streams),
        recorded=len(recorded),
        order=total.violation or OK,
        lost=total.lost,
        duplicated=total.duplicated,
        echoed=total.echoed,
    )


def _add(total: _Tally, one: _Tally) -> None:
    total.lost += one.lost
    total.duplicated += one.duplicated
    total.echoed += one.echoed
    if total.violation is None:
        total.violation = one.violation

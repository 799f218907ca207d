"""
One turn's delivery: what the room queued, to every member, in one
``deliver`` call each.

The members that get the same lines share one joined buffer. The Python
work per (line, receiver) pair is gone; what is left is per line and per
receiver. Each line reaches exactly the members online when it was sent,
however many joined meanwhile. A member that ignores someone who spoke this
turn gets a buffer of its own, without those lines.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol, TypeAlias, TypeVar

from chat.ignores import Ignores


class Receiver(Hashable, Protocol):
    key: str | None

    def deliver(self, data: bytes) -> None: ...


R = TypeVar("R", bound=Receiver)

# A line waiting for the reactor's next turn: the member it skips, the member
# it is only for, its bytes, the membership changes before it, and the member
# whose words it carries (None for the server's own lines).
Entry: TypeAlias = tuple[R | None, R | None, bytes, int, R | None]


def deliver_turn(
    everyone: Sequence[R], queued: list[Entry[R]], came: dict[R, int], ignores: Ignores[R]
) -> None:
    """Deliver ``queued`` to ``everyone``; ``came``: who joined after which change."""
    ignoring = ignores.ignoring_any(e[4] for e in queued) if ignores else None
    if len(queued) == 1 and not came and not ignoring:
        skip, only, data, _, _ = queued[0]
        if only is not None:
            only.deliver(data)
            return
        for member in everyone:
            if member is not skip:
                member.deliver(data)
        return
    # Most members get every broadcast line: one shared buffer for them.
    # Senders (who skip their own lines), targets of private lines,
    # newcomers and whoever ignores a sender get a buffer of their own.
    shared = b"".join(entry[2] for entry in queued if entry[1] is None)
    own = {entry[0] for entry in queued} | {entry[1] for entry in queued} | came.keys()
    if ignoring:
        own |= ignoring
    for member in everyone:
        if member in own:
            ignored = ignores.keys(member) if ignoring else None
            mine = lines_for(member, queued, came.get(member, 0), ignored)
            if mine:
                member.deliver(mine)
        elif shared:
            member.deliver(shared)


def lines_for(
    member: R, queued: list[Entry[R]], since: int, ignored: dict[str, str] | None
) -> bytes:
    """The queued lines ``member`` gets, of those sent since it joined."""
    return b"".join(
        data
        for skip, only, data, changes, sender in queued
        if changes >= since
        and (only is member or (only is None and skip is not member))
        and not (ignored and sender is not None and sender.key in ignored)
    )

"""
The engine interface: what sessions, commands, the factory and the metrics
use of the room, whichever engine holds it.

``chat.room.Room`` is the in-memory engine as it stands (one daemon, nothing
else to install, no cost on its fast path). The Redis engine answers the
same calls, but a join or a rename waits for Redis: ``join`` and ``rename``
may return a Deferred instead of a result, and ``whisper``, ``say`` and
``act`` may refuse a line while the room is cut off (telling the member why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from twisted.internet.defer import Deferred

from chat.ignores import Ignores
from chat.room import Member

__all__ = ["Engine"]


class Engine(Protocol):
    """One room, as every connection of a daemon sees it."""

    # Who is told once the lines queued for this daemon's members went out.
    flushed: Callable[[], None]

    @property
    def ignores(self) -> Ignores[Member]:
        """Who ignores whom among this daemon's members (``/ignore``)."""

    @property
    def queued_bytes(self) -> int:
        """Bytes queued for this daemon's members, for the next turn."""

    def __len__(self) -> int: ...

    def names(self) -> list[str]: ...

    def online_line(self) -> str: ...

    def who_lines(self) -> list[str]: ...

    def history_lines(self) -> list[str]: ...

    def find(self, name: str) -> Member | None: ...

    def is_member(self, member: Member) -> bool: ...

    def join(self, member: Member, name: str) -> Deferred[None] | None:
        """
        Add a member under a checked name: None once it is in, or a Deferred
        that fires once it is. ``NameRejected`` (``NameTaken``), raised or as
        the Deferred's failure, if it can't have the name.
        """

    def rename(self, member: Member, name: str) -> Deferred[str] | str:
        """A new checked name for a member: the old name, now or later; ``NameRejected`` else."""

    def leave(self, member: Member) -> bool: ...

    def say(self, member: Member, text: str) -> None: ...

    def act(self, member: Member, action: str) -> None: ...

    def whisper(self, member: Member, target: Member, text: str) -> bool:
        """A private message; False if it could not be sent (the member was told why)."""

    def tell(self, member: Member, data: bytes) -> None: ...

    def hand_over(self, member: Member) -> None: ...

    def settle(self) -> None: ...

    def flush(self) -> None: ...

    def empty(self) -> None: ...

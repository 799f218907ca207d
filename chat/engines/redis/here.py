"""
The part of the Redis engine that needs no Redis: the room as this daemon
has it (its members and stand-ins for the others', ``chat.engines.redis.mirror``),
answering ``/who``, history, ``find`` and delivery to its own members.
"""

from __future__ import annotations

from collections.abc import Callable

from chat import lines
from chat.engines.redis.batches import Batches
from chat.engines.redis.mirror import Mirror, Remote
from chat.ignores import Ignores
from chat.room import Member, Room


class Here:
    """The engine's calls answered from this daemon's room."""

    mirror: Mirror
    batches: Batches

    def __init__(self, room: Room) -> None:
        self.room = room

    @property
    def ignores(self) -> Ignores[Member]:
        return self.room.ignores

    @property
    def queued_bytes(self) -> int:
        """What waits for this daemon's members: lines for the next turn, and on their way."""
        return self.room.queued_bytes + self.batches.pending_bytes

    @property
    def flushed(self) -> Callable[[], None]:
        return self.room.flushed

    @flushed.setter
    def flushed(self, told: Callable[[], None]) -> None:
        self.room.flushed = told

    def __len__(self) -> int:
        return len(self.room)

    def names(self) -> list[str]:
        return self.room.names()

    def online_line(self) -> str:
        return self.room.online_line()

    def who_lines(self) -> list[str]:
        return self.room.who_lines()

    def history_lines(self) -> list[str]:
        return [lines.history_entry(when, line) for when, line in self.mirror.history]

    def find(self, name: str) -> Member | None:
        return self.room.find(name)

    def is_member(self, member: Member) -> bool:
        return self.room.is_member(member)

    def tell(self, member: Member, data: bytes) -> None:
        self.room.tell(member, data)

    def hand_over(self, member: Member) -> None:
        self.room.hand_over(member)

    def settle(self) -> None:
        self.room.settle()

    def flush(self) -> None:
        self.room.flush()

    def empty(self) -> None:
        self.room.empty()

    def tell_everyone(self, line: str) -> None:
        data = lines.encode(line)
        for member in self.local_members():
            self.room.tell(member, data)

    def local_members(self) -> list[Member]:
        return [member for member in self.room.members() if not isinstance(member, Remote)]

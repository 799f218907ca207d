"""
Who is online in the room: members by name key, and in the online list's
order (plain Python, no I/O; ``chat.room`` tells them things).

Members are keyed by ``chat.names.name_key``, so names that look alike
are one name, and listed in the order people read names.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Protocol

from chat import lines
from chat.names import MAX_NAME_LENGTH, NameTaken, fold, name_key

__all__ = ["Member", "Roster", "key_of", "name_of"]


class Member(Protocol):
    # None until the room names it (``join``).
    name: str | None
    key: str | None

    def deliver(self, data: bytes) -> None: ...

    # The room keeps members in dicts and sets.
    def __hash__(self) -> int: ...


def name_of(member: Member) -> str:
    """The name of a member in the room: ``join`` gave it one."""
    assert member.name is not None, "not in the room"
    return member.name


def key_of(member: Member) -> str:
    """The name key of a member in the room: ``join`` gave it one."""
    assert member.key is not None, "not in the room"
    return member.key


def _shared(key: str, name: str) -> str:
    """The name itself when it is its own key: one string per member, not two."""
    return name if key == name else key


def _order(member: Member) -> str:
    return fold(name_of(member))


class Roster:
    """The members of a room, by name key and in the online list's order."""

    def __init__(self) -> None:
        self._by_key: dict[str, Member] = {}
        # The members in the online list's order: kept sorted as people come
        # and go, not sorted again for every newcomer.
        self._sorted: list[Member] = []
        # Rebuilt on every join and leave, so a broadcast can walk it while
        # a member leaves.
        self.everyone: tuple[Member, ...] = ()

    def names(self) -> list[str]:
        """Who is online, sorted the way people read a list of names."""
        return [name_of(member) for member in self._sorted]

    def online_line(self) -> str:
        """The newcomer's online list: the first names and how many more."""
        first = [name_of(member) for member in self._sorted[: lines.ONLINE_NAMES]]
        return lines.online(first, len(self._sorted))

    def holder(self, key: str) -> Member | None:
        """The member with this name key (``chat.names.name_key``), if any."""
        return self._by_key.get(key)

    def find(self, name: str) -> Member | None:
        """The member with this name, or one that looks like it."""
        if len(name) > 8 * MAX_NAME_LENGTH:  # no name is that long, even decomposed
            return None
        return self._by_key.get(name_key(name))

    def is_member(self, member: Member) -> bool:
        return member.key is not None and self._by_key.get(member.key) is member

    def free(self, name: str, member: Member | None = None) -> str:
        """The key of ``name``, which nobody but ``member`` holds; ``NameTaken`` else."""
        key = _shared(name_key(name), name)
        holder = self._by_key.get(key)
        if holder is not None and holder is not member:
            raise NameTaken(name, name_of(holder))
        return key

    def add(self, member: Member, name: str, key: str) -> None:
        member.name, member.key = name, key
        self._by_key[key] = member
        insort(self._sorted, member, key=_order)
        self.everyone = tuple(self._by_key.values())

    def remove(self, member: Member) -> None:
        del self._by_key[key_of(member)]
        self._unsort(member)
        self.everyone = tuple(self._by_key.values())

    def swap(self, member: Member, stand_in: Member) -> None:
        """``stand_in`` takes a member's name and place."""
        key = key_of(member)
        stand_in.name, stand_in.key = member.name, key
        self._by_key[key] = stand_in
        index = bisect_left(self._sorted, fold(name_of(member)), key=_order)
        self._sorted[self._sorted.index(member, index)] = stand_in
        self.everyone = tuple(self._by_key.values())

    def clear(self) -> None:
        self._by_key.clear()
        self._sorted.clear()
        self.everyone = ()

    def _unsort(self, member: Member) -> None:
        index = bisect_left(self._sorted, fold(name_of(member)), key=_order)
        assert self._sorted[index] is member
        del self._sorted[index]

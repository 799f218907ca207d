"""
Who ignores whom: plain bookkeeping for the room's ``/ignore``.

A member ignores name keys (see ``chat.names.name_key``), not connections:
the ignore follows its person through renames, and still holds if that
person leaves and comes back under the same name or one that looks like it.
It ends with ``/unignore`` or when the one who ignores leaves.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, Protocol, TypeVar

from chat.names import fold

MAX_IGNORED = 100


class Sender(Protocol):
    key: str | None


M = TypeVar("M", bound=Hashable)


class Ignores(Generic[M]):
    """For each member, the keys it ignores (with a name to show for each)."""

    __slots__ = ("_by_key", "_by_member")

    def __init__(self) -> None:
        self._by_member: dict[M, dict[str, str]] = {}
        # The other way round, for the room's flush: who ignores a key.
        self._by_key: dict[str, set[M]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def add(self, member: M, key: str, name: str) -> bool:
        """``member`` ignores ``key`` from now on; False if its list is full."""
        ignored = self._by_member.setdefault(member, {})
        if key not in ignored and len(ignored) >= MAX_IGNORED:
            return False
        ignored[key] = name
        self._by_key.setdefault(key, set()).add(member)
        return True

    def remove(self, member: M, key: str) -> str | None:
        """Stop ignoring ``key``; the name it had, or None if not ignored."""
        ignored = self._by_member.get(member)
        if ignored is None or key not in ignored:
            return None
        name = ignored.pop(key)
        if not ignored:
            del self._by_member[member]
        self._drop(key, member)
        return name

    def names(self, member: M) -> list[str]:
        """Whom ``member`` ignores, in the online list's order."""
        return sorted(self._by_member.get(member, {}).values(), key=fold)

    def keys(self, member: M) -> dict[str, str] | None:
        """What ``member`` ignores, or None: ``key in`` is all callers need."""
        return self._by_member.get(member)

    def ignoring_any(self, senders: Iterable[Sender | None]) -> set[M]:
        """The members that ignore any of ``senders`` (None stands for nobody)."""
        found: set[M] = set()
        for sender in senders:
            if sender is not None and sender.key is not None:
                found.update(self._by_key.get(sender.key, ()))
        return found

    def ignores(self, member: M, key: str) -> bool:
        return key in self._by_member.get(member, ())

    def renamed(self, old: str, new: str, name: str) -> None:
        """Whoever ignored ``old`` now ignores ``new``, shown as ``name``."""
        ignorers = self._by_key.pop(old, None) if old != new else None
        if ignorers:
            for member in ignorers:
                del self._by_member[member][old]
            self._by_key.setdefault(new, set()).update(ignorers)
        self.joined(new, name)

    def joined(self, key: str, name: str) -> None:
        """Someone ignored is back, maybe as ``Ali`` for ``ali``: show that name."""
        for member in self._by_key.get(key, ()):
            self._by_member[member][key] = name

    def forget(self, member: M) -> None:
        """``member`` has left: it ignores nobody any more."""
        for key in self._by_member.pop(member, {}):
            self._drop(key, member)

    def clear(self) -> None:
        self._by_member.clear()
        self._by_key.clear()

    def _drop(self, key: str, member: M) -> None:
        ignorers = self._by_key[key]
        ignorers.discard(member)
        if not ignorers:
            del self._by_key[key]

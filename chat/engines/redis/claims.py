"""
Names on their way through Redis: the joins and renames of this daemon's
members, from the request until Redis refuses the name (the member is
told at once) or the line comes back on the room's channel (the member is
in, or renamed, at that point of the room's order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from twisted.internet.defer import Deferred

from chat import lines
from chat.engines.redis.batches import Done, Failed, nothing
from chat.engines.redis.mirror import Remote
from chat.names import NameRejected, NameTaken, name_key
from chat.room import Member, Room, key_of, name_of

Send = Callable[[dict[str, str], Done, Failed], None]


@dataclass(slots=True)
class _Joining:
    member: Member
    name: str
    done: Deferred[None] = field(default_factory=Deferred)
    gave_up: bool = False


class Claims:
    """The joins and renames this daemon has asked Redis for."""

    def __init__(self, room: Room, send: Send, up: Callable[[], bool], daemon: str) -> None:
        self._room = room
        self._send = send
        self._up = up
        self._daemon = daemon
        self._joining: dict[str, _Joining] = {}
        # Renames on their way: the answer, and the event (with the new name).
        self._renaming: dict[Member, tuple[Deferred[str], dict[str, str]]] = {}

    def waiting(self) -> bool:
        """A join waits for Redis."""
        return bool(self._joining)

    def join(self, member: Member, name: str) -> Deferred[None]:
        key = name_key(name)
        self._free(key, name)
        joining = self._joining[key] = _Joining(member, name)
        self._send({"o": "j", "k": key, "n": name}, self._join_done(key), self._join_failed(key))
        return joining.done

    def _free(self, key: str, name: str, member: Member | None = None) -> None:
        """Refuse at once a name this daemon knows is taken, or any while cut off."""
        if not self._up():
            raise NameRejected(lines.NAME_CUT_OFF)
        holder = self._room.holder(key)
        # One of ours who left holds it until its leave is back; the leave
        # goes to Redis first, so the name is free for whoever asks next.
        leaving = isinstance(holder, Remote) and holder.daemon == self._daemon
        if holder is not None and holder is not member and not leaving:
            raise NameTaken(name, name_of(holder))
        if key in self._joining:
            raise NameTaken(name, self._joining[key].name)

    def _join_done(self, key: str) -> Done:
        def done(holder: str) -> None:
            if holder:  # someone on another daemon has it
                joining = self._joining.pop(key)
                if not joining.gave_up:
                    joining.done.errback(NameTaken(joining.name, holder))
            # else: the member joins when its join line comes back (came_back)

        return done

    def _join_failed(self, key: str) -> Failed:
        def failed() -> None:
            joining = self._joining.pop(key, None)
            if joining is not None and not joining.gave_up:
                joining.done.errback(NameRejected(lines.NAME_CUT_OFF))

        return failed

    def came_back(self, key: str, name: str) -> None:
        """One of this daemon's joins came back from the channel."""
        joining = self._joining.pop(key, None)
        if joining is None:
            return  # a name claimed again after the link came back: in already
        if joining.gave_up:
            self._send({"o": "l", "k": key, "n": name}, nothing, nothing)
            return
        stale = self._room.holder(key)
        if isinstance(stale, Remote):  # a leave Redis did not publish
            self._room.leave(stale)
        self._room.join(joining.member, name)
        joining.done.callback(None)

    def rename(self, member: Member, name: str) -> Deferred[str]:
        key = name_key(name)
        self._free(key, name, member)
        if member in self._renaming:
            raise NameRejected("wait for your last /nick to be done")
        renaming: Deferred[str] = Deferred()
        event = {"o": "r", "k": key_of(member), "n": name_of(member), "k2": key, "n2": name}
        self._renaming[member] = (renaming, event)

        def done(holder: str) -> None:
            if holder and self._renaming.get(member, (None,))[0] is renaming:
                del self._renaming[member]
                renaming.errback(NameTaken(name, holder))

        def failed() -> None:
            if self._renaming.get(member, (None,))[0] is renaming:
                del self._renaming[member]
                renaming.errback(NameRejected(lines.NAME_CUT_OFF))

        self._send(event, done, failed)
        return renaming

    def renamed(self, member: Member, old: str) -> None:
        """One of this daemon's renames came back from the channel."""
        renaming = self._renaming.pop(member, None)
        if renaming is not None:
            renaming[0].callback(old)

    def gone(self, member: Member) -> dict[str, str] | None:
        """
        A member leaves: its join, if on its way, is let go once it is
        decided; its rename on its way, if any, is returned.
        """
        for joining in self._joining.values():
            if joining.member is member:
                joining.gave_up = True
        renaming = self._renaming.pop(member, None)
        return None if renaming is None else renaming[1]

    def cut_off(self) -> None:
        """The link went: every name on its way is refused (the member may try again)."""
        for joining in list(self._joining.values()):
            self._join_failed(name_key(joining.name))()
        renaming, self._renaming = self._renaming, {}
        for waiting, _ in renaming.values():
            waiting.errback(NameRejected(lines.NAME_CUT_OFF))

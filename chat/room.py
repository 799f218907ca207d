"""
The room: who is online, who hears what, and the recent history.

Plain Python with no I/O: members are anything with a ``name``, a ``key``
and a ``deliver(bytes)`` method, so tests can use fakes that record lines.

Lines for members are queued and delivered together once per turn of the
reactor (``flush``): every member gets one ``deliver`` per turn however many
lines arrived, and the members that get the same lines share one joined
buffer. The Python work per (line, receiver) pair is gone; what is left is
per line and per receiver. Each line reaches exactly the members online
when it was sent, however many joined meanwhile. A member that ignores
someone who spoke this turn gets a buffer of its own, without those lines.

Members are keyed by ``chat.names.name_key``, so names that look alike
are one name, and listed in the order people read names.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable
from typing import Protocol, TypeAlias

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from chat import lines
from chat.ignores import Ignores
from chat.names import MAX_NAME_LENGTH, NameTaken, fold, name_key

__all__ = ["Member", "NameTaken", "Room", "key_of", "name_of"]

log = Logger()


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


# A line waiting for the reactor's next turn: the member it skips, the member
# it is only for, its bytes, the membership changes before it, and the member
# whose words it carries (None for the server's own lines).
_Anyone: TypeAlias = Member | None
_Entry: TypeAlias = tuple[_Anyone, _Anyone, bytes, int, _Anyone]


class Room:
    """One chat room, shared by every connection of a daemon."""

    def __init__(self, clock: IReactorTime, history: int = 20) -> None:
        self._clock = clock
        self._by_key: dict[str, Member] = {}
        # The members in the online list's order: kept sorted as people come
        # and go, not sorted again for every newcomer.
        self._sorted: list[Member] = []
        # Rebuilt on every join and leave, so a broadcast can walk it while
        # a member leaves.
        self._everyone: tuple[Member, ...] = ()
        self._history: deque[tuple[float, str]] = deque(maxlen=max(history, 0))
        self._queued: list[_Entry] = []
        self._flush_call: IDelayedCall | None = None
        # Who joined while lines were waiting, and when, so that a newcomer
        # gets none of the lines sent before it joined. (Whoever leaves gets
        # nothing more: it is gone, or it took its lines when it quit.)
        self._changes = 0
        self._came: dict[Member, int] = {}
        # Bytes of the lines waiting, and who is told once they are delivered.
        self.queued_bytes = 0
        self.flushed: Callable[[], None] = lambda: None
        # Who ignores whom (``/ignore``), read by ``flush``.
        self.ignores: Ignores[Member] = Ignores()

    def __len__(self) -> int:
        return len(self._everyone)

    def __contains__(self, member: object) -> bool:
        return member in self._everyone

    def names(self) -> list[str]:
        """Who is online, sorted the way people read a list of names."""
        return [name_of(member) for member in self._sorted]

    def online_line(self) -> str:
        """The newcomer's online list: the first names and how many more."""
        first = [name_of(member) for member in self._sorted[: lines.ONLINE_NAMES]]
        return lines.online(first, len(self._sorted))

    def who_lines(self) -> list[str]:
        """Everyone online, over as many lines as it takes."""
        return lines.online_lines(self.names())

    def history_lines(self) -> list[str]:
        return [lines.history_entry(when, line) for when, line in self._history]

    def find(self, name: str) -> Member | None:
        """The member with this name, or one that looks like it."""
        if len(name) > 8 * MAX_NAME_LENGTH:  # no name is that long, even decomposed
            return None
        return self._by_key.get(name_key(name))

    def join(self, member: Member, name: str) -> None:
        """Add a member under a checked name; ``NameTaken`` if someone has it."""
        key = _shared(name_key(name), name)
        holder = self._by_key.get(key)
        if holder is not None:
            raise NameTaken(name, name_of(holder))
        member.name, member.key = name, key
        self._by_key[key] = member
        insort(self._sorted, member, key=_order)
        if self.ignores:
            self.ignores.joined(key, name)
        self._everyone = tuple(self._by_key.values())
        self._changes += 1
        if self._queued:
            self._came[member] = self._changes
        self._broadcast(member, lines.encode(lines.joined(name)))
        log.info(lines.LOG_JOINED, name=name)

    def leave(self, member: Member) -> bool:
        """Take a member out, once; the others hear of it. False if not in."""
        if not self.is_member(member):
            return False
        name = name_of(member)
        del self._by_key[key_of(member)]
        self._unsort(member)
        self._everyone = tuple(self._by_key.values())
        self._came.pop(member, None)
        self.ignores.forget(member)
        self._broadcast(member, lines.encode(lines.left(name)))
        log.info(lines.LOG_LEFT, name=name)
        return True

    def empty(self) -> None:
        """Let everyone go without a word, as the server shuts down."""
        self.flush()
        self._by_key.clear()
        self._sorted.clear()
        self._everyone = ()
        self.ignores.clear()

    def rename(self, member: Member, name: str) -> str:
        """Give a member a new checked name; return the old one."""
        key = _shared(name_key(name), name)
        holder = self._by_key.get(key)
        if holder is not None and holder is not member:
            raise NameTaken(name, name_of(holder))
        old, old_key = name_of(member), key_of(member)
        del self._by_key[old_key]
        self._unsort(member)
        member.name, member.key = name, key
        self._by_key[key] = member
        insort(self._sorted, member, key=_order)
        self._everyone = tuple(self._by_key.values())
        self.ignores.renamed(old_key, key, name)
        self._broadcast(member, lines.encode(lines.renamed(old, name)))
        log.info(lines.LOG_RENAMED, old=old, new=name)
        return old

    def say(self, member: Member, text: str) -> None:
        """A message from a member to everyone else."""
        name = name_of(member)
        self._speak(member, lines.said(name, text))
        log.info(lines.LOG_SAID, name=name, words=text)

    def act(self, member: Member, action: str) -> None:
        """An action (``/me``) from a member to everyone else."""
        name = name_of(member)
        self._speak(member, lines.acted(name, action))
        log.info(lines.LOG_ACTED, name=name, action=action)

    def _speak(self, member: Member, line: str) -> None:
        """A member's ``line`` to everyone else who does not ignore it, and to the history."""
        self._remember(line)
        self._queue(member, None, lines.encode(line), member)

    def is_member(self, member: Member) -> bool:
        return member.key is not None and self._by_key.get(member.key) is member

    def tell(self, member: Member, data: bytes) -> None:
        """Lines for one member, kept in order with what the room sends it."""
        self._queue(None, member, data)

    def whisper(self, member: Member, target: Member, text: str) -> None:
        """A private message, unless the target ignores the sender."""
        if not self.ignores.ignores(target, key_of(member)):
            self.tell(target, lines.encode(lines.private_from(name_of(member), text)))

    def _unsort(self, member: Member) -> None:
        index = bisect_left(self._sorted, fold(name_of(member)), key=_order)
        assert self._sorted[index] is member
        del self._sorted[index]

    def hand_over(self, member: Member) -> None:
        """
        Deliver now what is queued for a member that is about to leave, so
        that its last lines reach it before it goes; the others still wait
        for the reactor's next turn.
        """
        if self._queued and self.is_member(member):
            since, ignored = self._came.get(member, 0), self.ignores.keys(member)
            mine = _lines_for(member, self._queued, since, ignored)
            if mine:
                member.deliver(mine)

    def _remember(self, line: str) -> None:
        if self._history.maxlen:
            self._history.append((self._clock.seconds(), line))

    def _broadcast(self, member: Member, data: bytes) -> None:
        """A server line about ``member``, for everyone else."""
        self._queue(member, None, data)

    def _queue(self, skip: _Anyone, only: _Anyone, data: bytes, sender: _Anyone = None) -> None:
        self._queued.append((skip, only, data, self._changes, sender))
        self.queued_bytes += len(data)
        if self._flush_call is None:
            self._flush_call = self._clock.callLater(0, self.flush)

    def flush(self) -> None:
        """Deliver everything queued: one ``deliver`` call per member."""
        self.queued_bytes = 0
        self._deliver_queued()
        self.flushed()

    def _deliver_queued(self) -> None:
        if self._flush_call is not None:
            if self._flush_call.active():
                self._flush_call.cancel()
            self._flush_call = None
        queued, came = self._queued, self._came
        if not queued:
            return
        self._queued, self._came = [], {}
        ignoring = self.ignores.ignoring_any(e[4] for e in queued) if self.ignores else None
        if len(queued) == 1 and not came and not ignoring:
            skip, only, data, _, _ = queued[0]
            if only is not None:
                only.deliver(data)
                return
            for member in self._everyone:
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
        for member in self._everyone:
            if member in own:
                ignored = self.ignores.keys(member) if ignoring else None
                mine = _lines_for(member, queued, came.get(member, 0), ignored)
                if mine:
                    member.deliver(mine)
            elif shared:
                member.deliver(shared)


def _lines_for(
    member: Member, queued: list[_Entry], since: int, ignored: dict[str, str] | None
) -> bytes:
    """The queued lines ``member`` gets, of those sent since it joined."""
    return b"".join(
        data
        for skip, only, data, changes, sender in queued
        if changes >= since
        and (only is member or (only is None and skip is not member))
        and not (ignored and sender is not None and sender.key in ignored)
    )

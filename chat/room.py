"""
The room: who is online, who hears what, and the recent history.

Plain Python with no I/O: members are anything with a ``name``, a ``key``
and a ``deliver(bytes)`` method, so tests can use fakes that record lines.

Lines for members are queued and delivered together once per turn of the
reactor (``flush``, and ``chat.delivery`` for how): every member gets one
``deliver`` per turn however many lines arrived.

Who is online, by name and in order, is ``chat.roster``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TypeAlias

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from chat import lines
from chat.delivery import Entry, deliver_turn, lines_for
from chat.ignores import Ignores
from chat.names import NameTaken
from chat.roster import Member, Roster, key_of, name_of

__all__ = ["Member", "NameTaken", "Room", "key_of", "name_of"]

log = Logger()

_Anyone: TypeAlias = Member | None


class Room:
    """One chat room, shared by every connection of a daemon."""

    def __init__(self, clock: IReactorTime, history: int = 20) -> None:
        self._clock = clock
        self._roster = Roster()
        self._history: deque[tuple[float, str]] = deque(maxlen=max(history, 0))
        self._queued: list[Entry[Member]] = []
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
        # Said and acted lines waiting to be logged (``_log_said``).
        self._said: list[tuple[str, dict[str, str]]] = []

    @property
    def _everyone(self) -> tuple[Member, ...]:
        # Rebuilt on every join and leave, so a broadcast can walk it while
        # a member leaves.
        return self._roster.everyone

    def __len__(self) -> int:
        return len(self._everyone)

    def __contains__(self, member: object) -> bool:
        return member in self._everyone

    def names(self) -> list[str]:
        """Who is online, sorted the way people read a list of names."""
        return self._roster.names()

    def online_line(self) -> str:
        """The newcomer's online list: the first names and how many more."""
        return self._roster.online_line()

    def who_lines(self) -> list[str]:
        """Everyone online, over as many lines as it takes."""
        return lines.online_lines(self.names())

    def history_lines(self) -> list[str]:
        return [lines.history_entry(when, line) for when, line in self._history]

    def holder(self, key: str) -> Member | None:
        """The member with this name key (``chat.names.name_key``), if any."""
        return self._roster.holder(key)

    def members(self) -> tuple[Member, ...]:
        return self._everyone

    def swap(self, member: Member, stand_in: Member) -> None:
        """
        Put ``stand_in`` in a member's place without a word: it gets the
        member's name and place, the member gets nothing more.
        """
        self._roster.swap(member, stand_in)
        self._came.pop(member, None)
        self.ignores.forget(member)

    def find(self, name: str) -> Member | None:
        """The member with this name, or one that looks like it."""
        return self._roster.find(name)

    def join(self, member: Member, name: str) -> None:
        """Add a member under a checked name; ``NameTaken`` if someone has it."""
        key = self._roster.free(name)
        self._roster.add(member, name, key)
        if self.ignores:
            self.ignores.joined(key, name)
        self._changes += 1
        if self._queued:
            self._came[member] = self._changes
        self._broadcast(member, lines.encode(lines.joined(name)))
        self._log(lines.LOG_JOINED, name=name)

    def leave(self, member: Member) -> bool:
        """Take a member out, once; the others hear of it. False if not in."""
        if not self.is_member(member):
            return False
        name = name_of(member)
        self._roster.remove(member)
        self._came.pop(member, None)
        self.ignores.forget(member)
        self._broadcast(member, lines.encode(lines.left(name)))
        self._log(lines.LOG_LEFT, name=name)
        return True

    def empty(self) -> None:
        """Let everyone go without a word, as the server shuts down."""
        self.flush()
        self._roster.clear()
        self.ignores.clear()

    def rename(self, member: Member, name: str) -> str:
        """Give a member a new checked name; return the old one."""
        key = self._roster.free(name, member)
        old, old_key = name_of(member), key_of(member)
        if self.ignores:
            self.settle()  # lines sent before the rename are judged by the names then
        self._roster.remove(member)
        self._roster.add(member, name, key)
        self.ignores.renamed(old_key, key, name)
        self._broadcast(member, lines.encode(lines.renamed(old, name)))
        self._log(lines.LOG_RENAMED, old=old, new=name)
        return old

    def say(self, member: Member, text: str) -> None:
        """A message from a member to everyone else."""
        name = name_of(member)
        self._speak(member, lines.said(name, text))
        self._said.append((lines.LOG_SAID, {"name": name, "words": text}))

    def act(self, member: Member, action: str) -> None:
        """An action (``/me``) from a member to everyone else."""
        name = name_of(member)
        self._speak(member, lines.acted(name, action))
        self._said.append((lines.LOG_ACTED, {"name": name, "action": action}))

    def _speak(self, member: Member, line: str) -> None:
        """A member's ``line`` to everyone else who does not ignore it, and to the history."""
        self._remember(line)
        self._queue(member, None, lines.encode(line), member)

    def is_member(self, member: Member) -> bool:
        return self._roster.is_member(member)

    def tell(self, member: Member, data: bytes) -> None:
        """Lines for one member, kept in order with what the room sends it."""
        self._queue(None, member, data)

    def whisper(self, member: Member, target: Member, text: str) -> bool:
        """A private message, unless the target ignores the sender (who can't tell)."""
        if not self.ignores.ignores(target, key_of(member)):
            self.tell(target, lines.encode(lines.private_from(name_of(member), text)))
        return True

    def hand_over(self, member: Member) -> None:
        """
        Deliver now what is queued for a member that is about to leave, so
        that its last lines reach it before it goes; the others still wait
        for the reactor's next turn.
        """
        if self._queued and self.is_member(member):
            since, ignored = self._came.get(member, 0), self.ignores.keys(member)
            mine = lines_for(member, self._queued, since, ignored)
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

    def settle(self) -> None:
        """
        Deliver what is queued now, before who ignores whom changes, so that
        an ``/ignore`` (or a rename into an ignored name) judges only the
        lines sent after it.
        """
        self.flush()

    def flush(self) -> None:
        """Deliver everything queued: one ``deliver`` call per member."""
        self.queued_bytes = 0
        self._deliver_queued()
        self._log_said()
        self.flushed()

    def _log(self, text: str, **fields: str) -> None:
        """A log line about the room, after the lines said before it."""
        self._log_said()
        log.info(text, **fields)

    def _log_said(self) -> None:
        """
        Log what was said and done since the last delivery. Logged once the
        lines are on their way, not before: at a chat's pace, formatting a
        log line costs more than writing the line to a hundred readers.
        """
        if self._said:
            said, self._said = self._said, []
            for text, fields in said:
                log.info(text, **fields)

    def _deliver_queued(self) -> None:
        if self._flush_call is not None:
            if self._flush_call.active():
                self._flush_call.cancel()
            self._flush_call = None
        queued, came = self._queued, self._came
        if queued:
            self._queued, self._came = [], {}
            deliver_turn(self._everyone, queued, came, self.ignores)

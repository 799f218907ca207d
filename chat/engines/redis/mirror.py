"""
This daemon's view of the room over Redis: a ``chat.room.Room`` holding
this daemon's members and a stand-in (``Remote``) for everyone else, fed
the batches every daemon publishes, in Redis's order. The room does the
delivery as it does in memory: a line reaches this daemon's members when
its batch comes back from Redis, never before, so everyone sees one order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from twisted.logger import Logger

from chat import lines
from chat.names import NameTaken
from chat.room import Member, Room, key_of

log = Logger()

Batch = dict[str, Any]


class Remote:
    """
    Someone on another daemon, or one of ours who has left, until the
    leave line comes back: named in the room, delivered nothing.
    """

    __slots__ = ("daemon", "key", "name")

    def __init__(self, daemon: str, name: str | None = None, key: str | None = None) -> None:
        self.daemon = daemon
        self.name = name
        self.key = key

    def deliver(self, data: bytes) -> None:
        """Lines for someone on another daemon: that daemon delivers them."""


class Local(Member, Protocol):
    def name_lost(self, line: str) -> None:
        """Another daemon holds this member's name now: it must choose another."""


@dataclass(frozen=True, slots=True)
class Missed:
    """The room's last lines (``P:recent``), and whether none was trimmed off yet."""

    lines: list[Batch]
    whole: bool


def _line(entry: dict[str, Any]) -> str:
    said = entry["o"] == "s"
    return lines.said(entry["n"], entry["x"]) if said else lines.acted(entry["n"], entry["x"])


class Mirror:
    """Applies the room's batches, in order, to this daemon's room."""

    def __init__(self, room: Room, me: str, history: int) -> None:
        self.room = room
        self.me = me
        self.history: deque[tuple[float, str]] = deque(maxlen=max(history, 0))
        self.last_seq = 0
        # The engine's part: one of our joins, or renames, came back; one of
        # our members was taken out by another daemon.
        self.own_join: Callable[[str, str], None] = lambda key, name: None
        self.own_rename: Callable[[Member, str], None] = lambda member, old: None
        self.own_lost: Callable[[Member], None] = lambda member: None
        # Some lines said while this daemon was cut off can't be had any more.
        self.lost: Callable[[], None] = lambda: None
        # Others' members that Redis lost with its data (it came back empty):
        # kept, without a word, until their daemon claims them again, or
        # ``grace`` seconds (``later``) if it does not: then they leave.
        self._unclaimed: dict[str, Remote] = {}
        self.grace = 10.0
        self.later: Callable[[float, Callable[[], None]], object] = lambda seconds, call: None

    def apply(self, batch: Batch) -> None:
        """One batch from the channel; one seen already (or older) is skipped."""
        if batch["s"] <= self.last_seq:
            return
        self.last_seq = batch["s"]
        daemon, when = batch["d"], batch["t"]
        for event in batch["e"]:
            kind = event["o"]
            if kind == "j":
                self._join(daemon, event["k"], event["n"])
            elif kind == "l":
                self._leave(event["k"])
            elif kind == "r":
                self._rename(daemon, event)
            elif kind == "p":
                self._private(daemon, event)
            else:
                self._speak(daemon, event, when)

    def _join(self, daemon: str, key: str, name: str) -> None:
        if daemon == self.me:
            self.own_join(key, name)
        elif self.room.holder(key) is None:
            self.room.join(Remote(daemon), name)
        else:
            self._claimed(daemon, key, name)

    def _claimed(self, daemon: str, key: str, name: str) -> None:
        """A name Redis lost is claimed again: by its holder (no word), or by someone else."""
        kept = self._unclaimed.pop(key, None)
        if kept is None:
            return
        if kept.daemon != daemon:
            self.room.leave(kept)
            self.room.join(Remote(daemon), name)
        elif kept.name != name:
            self.room.rename(kept, name)

    def _unclaimed_gone(self, unclaimed: dict[str, Remote]) -> None:
        """Members Redis lost whose daemon did not claim them again in time: they leave."""
        if unclaimed is not self._unclaimed:
            return  # the room was read again since
        for kept in list(unclaimed.values()):
            if self.room.is_member(kept):
                self.room.leave(kept)
        unclaimed.clear()

    def _leave(self, key: str) -> None:
        self._unclaimed.pop(key, None)
        holder = self.room.holder(key)
        if isinstance(holder, Remote):
            self.room.leave(holder)
        elif holder is not None:
            self.own_lost(holder)

    def _rename(self, daemon: str, event: dict[str, Any]) -> None:
        holder = self.room.holder(event["k"])
        if holder is None:
            return
        try:
            old = self.room.rename(holder, event["n2"])
        except NameTaken:
            log.warn(
                "Redis: {old} renamed to a name held here: {new}", old=event["n"], new=event["n2"]
            )
            return
        if daemon == self.me:
            self.own_rename(holder, old)

    def _sender(self, daemon: str, event: dict[str, Any]) -> Member:
        """The member whose line this is, or a stand-in if it is gone already."""
        return self.room.holder(event["k"]) or Remote(daemon, event["n"], event["k"])

    def _speak(self, daemon: str, event: dict[str, Any], when: float, keep: bool = True) -> None:
        if keep and self.history.maxlen:
            self.history.append((when, _line(event)))
        sender = self._sender(daemon, event)
        if event["o"] == "s":
            self.room.say(sender, event["x"])
        else:
            self.room.act(sender, event["x"])

    def _private(self, daemon: str, event: dict[str, Any]) -> None:
        target = self.room.holder(event["to"])
        if target is not None and not isinstance(target, Remote):
            self.room.whisper(self._sender(daemon, event), target, event["x"])

    def resync(
        self, seq: int, names: dict[str, tuple[str, str]], history: list[Batch], recent: Missed
    ) -> None:
        """
        The room as Redis has it now (after the link came back): whoever left
        or came meanwhile is announced, the lines missed are delivered.
        """
        emptied = seq < self.last_seq  # Redis lost its data: the numbers started again
        self._unclaimed = {}
        for member in self.room.members():
            if isinstance(member, Remote):
                held = names.get(member.key or "")
                if held is None and emptied and member.daemon != self.me:
                    self._unclaimed[key_of(member)] = member
                elif held is None or held[1] != member.daemon:
                    self.room.leave(member)
                elif held[0] != member.name:
                    self.room.rename(member, held[0])
        for key, (name, daemon) in names.items():
            if daemon != self.me and self.room.holder(key) is None:
                self.room.join(Remote(daemon), name)
        if self._unclaimed:
            unclaimed = self._unclaimed
            self.later(self.grace, lambda: self._unclaimed_gone(unclaimed))
        if self.last_seq:
            self._missed(seq, recent)
        self.history.clear()
        self.history.extend((entry["t"], _line(entry)) for entry in history)
        self.last_seq = seq

    def _missed(self, seq: int, recent: Missed) -> None:
        """The lines said after ``last_seq``, to this daemon's members; or that some are lost."""
        missed = [entry for entry in recent.lines if self.last_seq < entry["s"] <= seq]
        if not recent.whole and recent.lines and recent.lines[0]["s"] > self.last_seq:
            self.lost()  # trimmed off before this daemon came back for them
        for entry in missed:
            if entry["o"] == "p":
                self._private("", entry)
            else:
                self._speak("", entry, entry["t"], keep=False)

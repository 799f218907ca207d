"""
The Redis engine: the room's calls (``chat.engines.base.Engine``) for one
daemon of many on one Redis (docs/scaling.md).

What members do is queued and sent once per reactor turn, as one script
(``scripts.PUBLISH``) that claims names, keeps the history and publishes the
batch: Redis carries one command per daemon per turn, whatever the number of
users. Nothing reaches this daemon's members until it comes back from the
channel (``chat.engines.redis.mirror``), so Redis's order is everyone's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from chat import lines
from chat.engines.redis import scripts
from chat.engines.redis.address import RedisAddress
from chat.engines.redis.batches import Batches, Done, Failed, nothing
from chat.engines.redis.collector import RedisCollector
from chat.engines.redis.here import Here
from chat.engines.redis.leases import Leases, LeaseTimes
from chat.engines.redis.link import REPLY_TIMEOUT, Link
from chat.engines.redis.mirror import Mirror, Remote
from chat.engines.redis.stats import LinkStats
from chat.engines.redis.sync import Sync
from chat.names import NameRejected, NameTaken, name_key
from chat.room import Member, Room, key_of, name_of

log = Logger()
DEFAULT_LEASES = LeaseTimes()


@dataclass(slots=True)
class _Joining:
    member: Member
    name: str
    done: Deferred[None] = field(default_factory=Deferred)
    gave_up: bool = False


class RedisEngine(Here):
    """One room across daemons, for the sessions of this one."""

    def __init__(
        self,
        clock: IReactorTime,
        history: int,
        address: RedisAddress,
        prefix: str,
        daemon: str,
        leases: LeaseTimes = DEFAULT_LEASES,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> None:
        super().__init__(Room(clock, 0))
        self.daemon = daemon
        self.keys = scripts.Keys(prefix)
        self.stats = LinkStats()
        self._clock = clock
        self._cap = history
        self.mirror = Mirror(self.room, daemon, history)
        self.mirror.own_join = self._came_back
        self.mirror.own_rename = self._renamed
        self.mirror.own_lost = lambda member: self.link.cut()
        self.link = Link(clock, address, self.keys.channel, self, reply_timeout)
        self.leases = Leases(clock, self.link, self.keys, daemon, leases)
        self.sync = Sync(self)
        self.up = False
        self.told_cut_off = False
        self.batches = Batches(clock, self.link, self.keys, daemon, history, self.stats)
        self.batches.sent = lambda: self.changed()
        self.batches.seen = lambda: self.mirror.last_seq
        self.batches.released = lambda: self.room.flushed()
        self._joining: dict[str, _Joining] = {}
        # Renames on their way: the answer, and the new name.
        self._renaming: dict[Member, tuple[Deferred[str], dict[str, str]]] = {}
        # Told after every batch sent or received (tests wait on it).
        self.changed: Callable[[], None] = lambda: None

    # What goes through Redis.

    def join(self, member: Member, name: str) -> Deferred[None]:
        key = name_key(name)
        self._free(key, name)
        joining = self._joining[key] = _Joining(member, name)
        self._send({"o": "j", "k": key, "n": name}, self._join_done(key), self._join_failed(key))
        return joining.done

    def _free(self, key: str, name: str, member: Member | None = None) -> None:
        """Refuse at once a name this daemon knows is taken, or any while cut off."""
        if not self.up:
            raise NameRejected(lines.NAME_CUT_OFF)
        holder = self.room.holder(key)
        # One of ours who left holds it until its leave is back; the leave
        # goes to Redis first, so the name is free for whoever asks next.
        leaving = isinstance(holder, Remote) and holder.daemon == self.daemon
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
            # else: the member joins when its join line comes back (_came_back)

        return done

    def _join_failed(self, key: str) -> Failed:
        def failed() -> None:
            joining = self._joining.pop(key, None)
            if joining is not None and not joining.gave_up:
                joining.done.errback(NameRejected(lines.NAME_CUT_OFF))

        return failed

    def _came_back(self, key: str, name: str) -> None:
        joining = self._joining.pop(key, None)
        if joining is None:
            return  # a name claimed again after the link came back: in already
        if joining.gave_up:
            self._send({"o": "l", "k": key, "n": name}, nothing, nothing)
            return
        stale = self.room.holder(key)
        if isinstance(stale, Remote):  # a leave Redis did not publish
            self.room.leave(stale)
        self.room.join(joining.member, name)
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

    def _renamed(self, member: Member, old: str) -> None:
        renaming = self._renaming.pop(member, None)
        if renaming is not None:
            renaming[0].callback(old)

    def leave(self, member: Member) -> bool:
        for joining in self._joining.values():
            if joining.member is member:
                joining.gave_up = True
        renaming = self._renaming.pop(member, None)
        if not self.room.is_member(member):
            return False
        event = {"o": "l", "k": key_of(member), "n": name_of(member)}
        if renaming is not None:  # it leaves under whichever name Redis gave it
            event.update(k2=renaming[1]["k2"], n2=renaming[1]["n2"])
        # Its place is kept, silently, until the leave line comes back.
        self.room.swap(member, Remote(self.daemon))
        self._send(event, nothing, nothing)
        return True

    def say(self, member: Member, text: str) -> None:
        self._speak(member, "s", text)

    def act(self, member: Member, action: str) -> None:
        self._speak(member, "a", action)

    def _speak(self, member: Member, kind: str, text: str, to: str | None = None) -> bool:
        if not self.up:
            self.room.tell(member, lines.encode(lines.not_sent(text)))
            return False
        event = {"o": kind, "k": key_of(member), "n": name_of(member), "x": text}
        if to is not None:
            event["to"] = to

        def failed() -> None:
            if self.room.is_member(member):
                self.room.tell(member, lines.encode(lines.maybe_not_sent(text)))

        self._send(event, nothing, failed)
        return True

    def whisper(self, member: Member, target: Member, text: str) -> bool:
        return self._speak(member, "p", text, key_of(target))

    def _send(self, event: dict[str, str], done: Done, failed: Failed) -> None:
        self.batches.send(event, done, failed)

    def idle(self) -> bool:
        """Nothing waits to be sent, nor for Redis's answer."""
        return self.batches.idle() and not self._joining

    # The link's news.

    def message(self, text: str) -> None:
        batch = json.loads(text)
        self.stats.received_batches += 1
        self.stats.received_lines += len(batch["e"])
        self.stats.lag(self._clock.seconds() - batch["t"])
        if not self.sync.held(batch):
            try:
                self.mirror.apply(batch)
            except Exception:
                # This daemon's view is wrong somewhere: read the room again.
                log.failure("Redis: a batch could not be applied; making the room whole again")
                self.link.cut()
            self.batches.delivered(self.mirror.last_seq)
        self.changed()

    def link_up(self) -> None:
        self.sync.start()

    def link_down(self, reason: str) -> None:
        self.sync.stop()
        if self.up:
            self.stats.links_lost += 1
            log.warn(lines.LOG_REDIS_DOWN, url=str(self.link.address), reason=reason)
        self.up = self.stats.up = False
        self.batches.forget()
        for joining in list(self._joining.values()):
            self._join_failed(name_key(joining.name))()
        renaming, self._renaming = self._renaming, {}
        for waiting, _ in renaming.values():
            waiting.errback(NameRejected(lines.NAME_CUT_OFF))
        if not self.told_cut_off:
            self.told_cut_off = True
            self.tell_everyone(lines.CUT_OFF)
        self.changed()

    def collector(self) -> RedisCollector:
        """The link's numbers for ``--metrics``."""
        return RedisCollector(self.stats)

    def room_clock(self) -> float:
        return self._clock.seconds()

    def room_clock_call(self, seconds: float, call: Callable[[], None]) -> None:
        self._clock.callLater(seconds, call)

    # Start and stop, with the daemon.

    def start(self) -> None:
        self.link.start()
        self.leases.start()

    def stop(self) -> Deferred[None]:
        """Free this daemon's names (the others see its users leave), then close."""
        self.leases.stop()
        done: Deferred[Any] = self.leases.reap(self.daemon)
        done.addCallback(lambda _: self.link.command("DEL", self.keys.lease(self.daemon)))
        done.addErrback(lambda _: None)
        done.addBoth(lambda _: self.link.stop())
        return done

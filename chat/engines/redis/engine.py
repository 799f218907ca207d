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
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from chat import lines
from chat.engines.redis import scripts
from chat.engines.redis.address import RedisAddress
from chat.engines.redis.batches import Batches, Done, Failed, nothing
from chat.engines.redis.claims import Claims
from chat.engines.redis.collector import RedisCollector
from chat.engines.redis.here import Here
from chat.engines.redis.leases import Leases, LeaseTimes
from chat.engines.redis.link import REPLY_TIMEOUT, RETRY_MOST, Link
from chat.engines.redis.mirror import Mirror, Remote
from chat.engines.redis.stats import LinkStats
from chat.engines.redis.sync import Sync
from chat.room import Member, Room, key_of, name_of

log = Logger()
DEFAULT_LEASES = LeaseTimes()


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
        self.mirror.own_lost = lambda member: self.link.cut()
        self.mirror.lost = lambda: self.tell_everyone(lines.LINES_LOST)
        # As long as a live daemon may take to claim its names again.
        self.mirror.grace = max(leases.ttl + leases.every, 2 * RETRY_MOST)
        self.mirror.later = self._later
        self.link = Link(clock, address, self.keys.channel, self, reply_timeout)
        self.leases = Leases(clock, self.link, self.keys, daemon, leases)
        self.sync = Sync(self)
        self.up = False
        self.told_cut_off = False
        self.batches = Batches(clock, self.link, self.keys, daemon, history, self.stats)
        self.batches.sent = lambda: self.changed()
        self.batches.seen = lambda: self.mirror.last_seq
        self.batches.released = lambda: self.room.flushed()
        # Joins and renames on their way, told when they come back.
        self.claims = Claims(self.room, self._send, lambda: self.up, daemon)
        self.mirror.own_join = self.claims.came_back
        self.mirror.own_rename = self.claims.renamed
        # Told after every batch sent or received (tests wait on it).
        self.changed: Callable[[], None] = lambda: None

    # What goes through Redis.

    def join(self, member: Member, name: str) -> Deferred[None]:
        return self.claims.join(member, name)

    def rename(self, member: Member, name: str) -> Deferred[str]:
        return self.claims.rename(member, name)

    def leave(self, member: Member) -> bool:
        renaming = self.claims.gone(member)
        if not self.room.is_member(member):
            return False
        event = {"o": "l", "k": key_of(member), "n": name_of(member)}
        if renaming is not None:  # it leaves under whichever name Redis gave it
            event.update(k2=renaming["k2"], n2=renaming["n2"])
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
        return self.batches.idle() and not self.claims.waiting()

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
        self.claims.cut_off()
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

    def _later(self, seconds: float, call: Callable[[], None]) -> None:
        """``call`` in ``seconds``; the room may change then (tests wait on ``changed``)."""

        def then() -> None:
            call()
            self.changed()

        self._clock.callLater(seconds, then)

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

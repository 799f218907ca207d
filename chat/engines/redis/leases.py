"""
Who is alive: each daemon keeps a lease key in Redis, set again every
``every`` seconds with a time to live of ``ttl``; at each beat it also
reaps the daemons whose lease is gone (one script, atomic: whichever daemon
runs it first announces each dead daemon's users leaving, once).

With the defaults a daemon that dies without a word is reaped within
``ttl + every`` = 10 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from chat import lines
from chat.engines.redis import scripts
from chat.engines.redis.link import Link

log = Logger()


@dataclass(frozen=True, slots=True)
class LeaseTimes:
    ttl: float = 8.0
    every: float = 2.0


class Leases:
    def __init__(
        self,
        clock: IReactorTime,
        link: Link,
        keys: scripts.Keys,
        daemon: str,
        times: LeaseTimes,
    ) -> None:
        self._clock = clock
        self._link = link
        self._keys = keys
        self._daemon = daemon
        self._times = times
        self._beat = LoopingCall(self.beat)
        self._beat.clock = clock

    def start(self) -> None:
        self._beat.start(self._times.every, now=False)

    def stop(self) -> None:
        if self._beat.running:
            self._beat.stop()

    def renew(self) -> Any:
        """Set the lease again; a Deferred that fires once Redis has it."""
        milliseconds = int(self._times.ttl * 1000)
        return self._link.command("SET", self._keys.lease(self._daemon), "1", "PX", milliseconds)

    def beat(self) -> None:
        if not self._link.up:
            return
        self.renew().addErrback(lambda _: None)
        self.reap("").addErrback(lambda _: None)
        self._link.ping_channel()

    def reap(self, daemon: str) -> Any:
        """Free the names of ``daemon`` ("": of every daemon whose lease is gone)."""
        keys = [self._keys.names, self._keys.daemons, self._keys.seq]
        args = [self._keys.channel, self._keys.prefix, self._clock.seconds(), daemon, self._daemon]
        return self._link.run(scripts.REAP, keys, args).addCallback(self._reaped)

    def _reaped(self, gone: list[Any]) -> None:
        for dead, count in zip(gone[::2], gone[1::2], strict=True):
            if dead != self._daemon:
                log.info(lines.LOG_REAPED, daemon=dead, count=count)

"""
What this daemon's members do in one turn of the reactor, sent to Redis as
one script (``scripts.PUBLISH``): one command per daemon per busy turn,
whatever the number of lines or users (docs/scaling.md).

One batch is on its way at a time: what the members do until it is back
on the channel (and so delivered here) goes in the next. Under load the
batches grow with the time a delivery takes, rather than multiply into
batches of a line or two that each cost a whole delivery to every member,
as in memory the lines read during one turn's delivery go together in the
next.

The lines on their way (queued, sent, or published and not yet back on the
channel) are counted in ``pending_bytes``: they are part of what the daemon
holds for its members' next turns, so the pressure on everyone's output
(``chat.pressure``) stops the reading while they come to a turn's limit, as
it does in memory, and the batches stay that small; a Redis that takes
lines but does not answer costs no memory beyond that either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import txredisapi
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from chat import lines
from chat.engines.redis import scripts
from chat.engines.redis.link import Link
from chat.engines.redis.stats import LinkStats

log = Logger()

# What to do with an event's outcome: its result ("" or why not), or that
# the link failed under it.
Done = Callable[[str], None]
Failed = Callable[[], None]


# Seconds between two log lines about batches Redis refused.
QUIET = 1.0


def nothing(*_: object) -> None:
    pass


def size(event: dict[str, str]) -> int:
    """About the bytes an event costs, in the batch and in the lines it becomes."""
    return sum(len(value) for value in event.values())


class Batches:
    def __init__(
        self,
        clock: IReactorTime,
        link: Link,
        keys: scripts.Keys,
        daemon: str,
        history: int,
        stats: LinkStats,
    ) -> None:
        self._clock = clock
        self.link = link
        self.keys = keys
        self.daemon = daemon
        self._cap = history
        self.stats = stats
        self._outgoing: list[tuple[dict[str, str], Done, Failed]] = []
        self._send_call: IDelayedCall | None = None
        self.in_flight = 0
        # Lines kept in Redis for a daemon back from a cut (``scripts.REPLAY``).
        self.replay = scripts.REPLAY
        # The number of the last batch published, and who is told of each answer.
        self.last_published = 0
        self.sent: Callable[[], None] = lambda: None
        # Bytes of the lines on their way; of those published, by batch
        # number, until the batch is back (``delivered``). The engine tells
        # the number of the last batch back, and is told when bytes are freed.
        self.pending_bytes = 0
        self._unseen: dict[int, int] = {}
        self.seen: Callable[[], int] = lambda: 0
        self.released: Callable[[], None] = lambda: None
        self._refusals = Refusals(clock)

    def idle(self) -> bool:
        return not self._outgoing and self.in_flight == 0

    def send(self, event: dict[str, str], done: Done, failed: Failed) -> None:
        self._outgoing.append((event, done, failed))
        self.pending_bytes += size(event)
        self._next()

    def _next(self) -> None:
        """Publish what waits at the end of this turn, unless a batch is on its way."""
        waiting = self.in_flight or self._unseen
        if self._outgoing and not waiting and self._send_call is None:
            self._send_call = self._clock.callLater(0, self._publish)

    def _publish(self) -> None:
        self._send_call = None
        batch, self._outgoing = self._outgoing, []
        events = json.dumps([event for event, _, _ in batch], ensure_ascii=False)
        keys = self.keys
        sent = self.link.run(
            scripts.PUBLISH,
            [keys.names, keys.history, keys.seq, keys.on(self.daemon), keys.daemons, keys.recent],
            [keys.channel, self.daemon, self._cap, self._clock.seconds(), events, self.replay],
        )
        self.in_flight += 1
        sent.addCallbacks(
            self._published,
            self._not_published,
            callbackArgs=(batch,),
            errbackArgs=(batch,),
        )

    def _published(self, reply: list[Any], batch: list[tuple[Any, Done, Failed]]) -> None:
        self.in_flight -= 1
        seq, refused = int(reply[0]), dict(zip(reply[1::2], reply[2::2], strict=True))
        if seq:
            self.last_published = seq
            self.stats.published_batches += 1
            self.stats.published_lines += len(batch) - len(refused)
        for number, (_, done, _) in enumerate(batch, 1):
            done(refused.get(number, ""))
        if seq > self.seen():
            self._unseen[seq] = self._unseen.get(seq, 0) + _bytes(batch)
        else:
            self._release(_bytes(batch))
        self.sent()
        self._next()

    def _not_published(self, failure: Failure, batch: list[tuple[Any, Done, Failed]]) -> None:
        self.in_flight -= 1
        refused = failure.check(txredisapi.ResponseError) is not None
        # A lost link is logged once by the link; Redis refusing (out of
        # memory, a read-only replica, a script error) fails every batch
        # meanwhile, so is logged sparingly.
        if refused:
            self._refusals.refused(failure.getErrorMessage())
        for _, _, failed in batch:
            failed()
        self._release(_bytes(batch))
        if refused:
            # What the batch carried (a leave, a name) is made good when the
            # room is made whole again, once Redis takes writes.
            self.link.cut()
        self.sent()
        self._next()

    def delivered(self, seq: int) -> None:
        """The batches up to ``seq`` are back from the channel: their lines are the room's now."""
        back = [number for number in self._unseen if number <= seq]
        if back:
            self._release(sum(self._unseen.pop(number) for number in back))
            self._next()

    def forget(self) -> None:
        """The link is down: no batch published will come back."""
        self._release(sum(self._unseen.values()))
        self._unseen.clear()
        self._next()

    def _release(self, freed: int) -> None:
        self.pending_bytes -= freed
        self.released()


def _bytes(batch: list[tuple[dict[str, str], Done, Failed]]) -> int:
    return sum(size(event) for event, _, _ in batch)


class Refusals:
    """Batches Redis refused: the first is logged, the rest of its second counted."""

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._quiet: IDelayedCall | None = None
        self._count = 0

    def refused(self, reason: str) -> None:
        if self._quiet is not None:
            self._count += 1
            return
        log.warn(lines.LOG_REDIS_REFUSED_BATCH, reason=reason)
        self._quiet = self._clock.callLater(QUIET, self._summarise)

    def _summarise(self) -> None:
        self._quiet = None
        if self._count:
            log.warn(lines.LOG_REDIS_REFUSED_MORE, count=self._count)
            self._count = 0
            self._quiet = self._clock.callLater(QUIET, self._summarise)

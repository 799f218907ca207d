"""
What this daemon's members do in one turn of the reactor, sent to Redis as
one script (``scripts.PUBLISH``): one command per daemon per busy turn,
whatever the number of lines or users (docs/scaling.md).
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


def nothing(*_: object) -> None:
    pass


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
        # About the bytes of the lines sent and not answered yet, which
        # count toward the pressure on the reading (``chat.pressure``).
        self.waiting_bytes = 0
        self._outgoing_bytes = 0
        # Lines kept in Redis for a daemon back from a cut (``scripts.REPLAY``).
        self.replay = scripts.REPLAY
        # The number of the last batch published, and who is told of each answer.
        self.last_published = 0
        self.sent: Callable[[], None] = lambda: None

    def idle(self) -> bool:
        return not self._outgoing and self.in_flight == 0

    def send(self, event: dict[str, str], done: Done, failed: Failed) -> None:
        self._outgoing.append((event, done, failed))
        size = sum(len(value) for value in event.values())
        self._outgoing_bytes += size
        self.waiting_bytes += size
        if self._send_call is None:
            self._send_call = self._clock.callLater(0, self._publish)

    def _publish(self) -> None:
        self._send_call = None
        batch, self._outgoing = self._outgoing, []
        size, self._outgoing_bytes = self._outgoing_bytes, 0
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
            callbackArgs=(batch, size),
            errbackArgs=(batch, size),
        )

    def _published(
        self, reply: list[Any], batch: list[tuple[Any, Done, Failed]], size: int
    ) -> None:
        self.in_flight -= 1
        self.waiting_bytes -= size
        seq, results = int(reply[0]), reply[1:]
        if seq:
            self.last_published = seq
            self.stats.published_batches += 1
            self.stats.published_lines += sum(1 for result in results if not result)
        for (_, done, _), result in zip(batch, results, strict=True):
            done(result or "")
        self.sent()

    def _not_published(
        self, failure: Failure, batch: list[tuple[Any, Done, Failed]], size: int
    ) -> None:
        self.in_flight -= 1
        self.waiting_bytes -= size
        reason = failure.getErrorMessage()
        log.debug("Redis: a batch was not published: {reason}", reason=reason)
        for _, _, failed in batch:
            failed()
        if failure.check(txredisapi.ResponseError):
            # Redis refused it (a read-only replica, a script error): what
            # it carried (a leave, a name) is made good when the room is
            # made whole again, once Redis takes writes.
            log.warn(lines.LOG_REDIS_BATCH_REFUSED, reason=reason)
            self.link.cut()
        self.sent()

"""
Output that piles up for many clients at once stops the reading
(docs/protocol.md §5).

Every line a client sends becomes a line for everyone else, so a burst from
many senders at once multiplies: 500 clients sending ten lines of 1 kB
each is 2.5 GB to deliver. Rather than buffer that or drop the readers it
is for, the daemon stops reading from every client while

- the lines waiting for the reactor's next turn already come to
  ``TURN_LIMIT`` bytes for each member (or half of --max-send-queue, if
  that is less), or
- many clients (more than one in ``BACKLOG_SHARE``, and more than one)
  have output piling up in their transports that came within the last
  ``FRESH`` seconds,

and reads on, client by client in the order they were stopped, once
neither holds. TCP pushes back on the senders meanwhile. A client that
takes nothing of its backlog for ``FRESH`` seconds no longer holds the
others up, and one alone never does: it is either gone or too slow, and
cut at ``--max-send-queue``, or it catches up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime

# Bytes a turn may queue for each member before reading stops until the
# turn's lines are delivered.
TURN_LIMIT = 64 * 1024
# Seconds a client's backlog holds up the reading.
FRESH = 1.0
# Seconds a backlog may hold the reading at most, however much of it the
# client keeps taking: a client that trickles can't hold the room for ever.
LONGEST_HOLD = 3 * FRESH
# One client in this many with a fresh backlog stops the reading.
BACKLOG_SHARE = 16


class Reader(Protocol):
    def read_on(self) -> None:
        """Start reading again (if nothing else holds the reading)."""

    def held(self) -> int:
        """Bytes waiting to be sent to this client."""


def turn_limit(send_queue: int) -> int:
    """What a turn may queue for each member: never more than half a send queue."""
    return min(TURN_LIMIT, send_queue // 2) if send_queue else TURN_LIMIT


class Pressure:
    def __init__(
        self,
        clock: IReactorTime,
        queued_bytes: Callable[[], int],
        connections: Callable[[], int],
        turn_limit: int = TURN_LIMIT,
    ) -> None:
        self._clock = clock
        self._turn_limit = turn_limit
        self._queued_bytes = queued_bytes
        self._connections = connections
        self._waiting: dict[Reader, None] = {}  # in the order they stopped
        # Backlogged clients, oldest first: since when, how much they held
        # then, and when their backlog began.
        self._fresh: dict[Reader, tuple[float, int, float]] = {}
        self._expiry: IDelayedCall | None = None

    @property
    def holding(self) -> bool:
        """Whether reading is stopped for now."""
        if self._queued_bytes() >= self._turn_limit:
            return True
        return len(self._fresh) > max(1, self._connections() // BACKLOG_SHARE)

    def wait(self, reader: Reader) -> None:
        """``reader`` stopped reading; it is told to read on when it may."""
        self._waiting[reader] = None

    def backlogged(self, client: Reader) -> None:
        """Output began to pile up in a client's transport."""
        if client not in self._fresh:
            now = self._clock.seconds()
            self._fresh[client] = (now, client.held(), now)
        if self._expiry is None:
            self._expiry = self._clock.callLater(FRESH, self._expire)

    def drained(self, client: Reader) -> None:
        """A client's transport sent all it held."""
        if self._fresh.pop(client, None) is not None:
            self.changed()

    def forget(self, client: Reader) -> None:
        """A client is gone."""
        self._waiting.pop(client, None)
        self.drained(client)

    def changed(self) -> None:
        """Something that holds the reading may have gone (a turn was delivered)."""
        while self._waiting and not self.holding:
            reader = next(iter(self._waiting))
            del self._waiting[reader]
            reader.read_on()

    def stop(self) -> None:
        if self._expiry is not None and self._expiry.active():
            self._expiry.cancel()
        self._expiry = None

    def _expire(self) -> None:
        """
        Backlogs older than ``FRESH`` seconds hold nobody up any more, but for
        those of clients that took some of it meanwhile: they are behind, not
        gone, and are given another ``FRESH`` seconds, up to ``LONGEST_HOLD``.
        """
        self._expiry = None
        now = self._clock.seconds()
        while self._fresh:
            client, (since, held, began) = next(iter(self._fresh.items()))
            if now - since < FRESH:
                self._expiry = self._clock.callLater(since + FRESH - now, self._expire)
                break
            del self._fresh[client]
            still = client.held()
            if still < held and now + FRESH - began <= LONGEST_HOLD:
                self._fresh[client] = (now, still, began)
        self.changed()

"""
Pacing: the open-loop send schedule.

Sending is open-loop: a timer works out how many messages are due by now
and writes them, whatever the server has delivered so far.

Each message is ``TIME_NS ID PADDING``, ``--msg-size`` bytes in all,
where ``TIME_NS`` is the real-time clock in nanoseconds when it was sent
(``chat.bench.arrival``: the clock the kernel stamps received segments
with), so a receiver subtracts it from the time its socket got the line to
get the latency through the server. ``ID`` numbers the run's messages from 0 in the order they are
written; message ``ID`` comes from sender ``ID % senders`` and is that
sender's message number ``ID // senders`` (``chat.bench.order``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall

from chat.bench.arrival import CLOCK_NS
from chat.bench.client import BenchClient


def make_message(timestamp_ns: int, ident: int, size: int) -> bytes:
    """One message line: the timestamp, its number, padding up to ``size`` bytes."""
    stamp = b"%d %d" % (timestamp_ns, ident)
    padding = size - len(stamp) - 1
    if padding <= 0:
        return stamp + b"\n"
    return stamp + b" " + b"x" * padding + b"\n"


class Pacer:
    """
    Open-loop sender: at each tick, writes every message due by now.

    Messages go round-robin over the senders; replies are never waited for,
    so a slow server shows up as latency and loss, not as a lower rate.
    """

    def __init__(
        self,
        clock: IReactorTime,
        senders: Sequence[BenchClient],
        rate: float,
        duration: float,
        msg_size: int,
        now_ns: Callable[[], int] = CLOCK_NS,
    ) -> None:
        self.clock = clock
        self.senders = list(senders)
        self.rate = rate
        self.duration = duration
        self.msg_size = msg_size
        self.now_ns = now_ns
        self.scheduled = 0
        self.sent = 0
        self.max_lag = 0.0
        self.skipped: list[int] = []  # numbers not sent: their sender was gone
        self.started = 0.0
        self.done: Deferred[None] = Deferred()
        self._loop = LoopingCall(self._tick)
        self._loop.clock = clock

    def start(self) -> Deferred[None]:
        """Start sending; the result fires once ``duration`` has passed."""
        self.started = self.clock.seconds()
        interval = max(0.001, min(0.01, 1.0 / self.rate)) if self.rate > 0 else 0.01
        self._loop.start(interval, now=True)
        return self.done

    def elapsed(self) -> float:
        return self.clock.seconds() - self.started

    def _tick(self) -> None:
        elapsed = min(self.elapsed(), self.duration)
        due = int(elapsed * self.rate)
        if due > self.scheduled and self.rate > 0:
            lag = elapsed - (self.scheduled + 1) / self.rate
            self.max_lag = max(self.max_lag, lag)
        senders = self.senders
        count = len(senders)
        while self.scheduled < due:
            ident = self.scheduled
            sender = senders[ident % count]
            self.scheduled += 1
            if sender.connected:
                sender.send_message(make_message(self.now_ns(), ident, self.msg_size))
                self.sent += 1
            else:
                self.skipped.append(ident)
        if elapsed >= self.duration:
            self._loop.stop()
            self.done.callback(None)

"""
The attack scenarios of ``benchmarks/hostile.py``: telnet commands
streamed flat out (``telnet``), one host joining and leaving over and over
(``churn``).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from hostile_crowd import Lines, drain, settle
from hostile_daemon import Daemon, Memory
from hostile_load import Client, Loop, connect_all

# Telnet commands streamed flat out.

PING = re.compile(rb"\na\d: (\d+) ")
IAC_NOP = b"\xff\xf1"


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank: a value that was observed."""
    return ordered[max(math.ceil(fraction * len(ordered) - 1e-9), 1) - 1]


class Pings:
    """B's side of the round trip: now minus the send time each line carries."""

    __slots__ = ("lines", "samples")

    def __init__(self) -> None:
        self.lines = Lines(PING)
        self.samples: list[float] = []

    def __call__(self, client: Client, data: bytes) -> None:
        now = time.monotonic_ns()
        for stamp in self.lines.feed(data):
            self.samples.append((now - int(stamp)) / 1e6)


def round_trips(
    loop: Loop, senders: list[Client], pings: Pings, seconds: float, per_second: float
) -> dict[str, Any]:
    """Each sender says a timestamped line ``per_second`` times a second; B times them."""
    first = len(pings.samples)
    start = time.monotonic()
    step = 1 / per_second
    due = [start + step * i / len(senders) for i in range(len(senders))]
    sent = [0]

    def tick() -> None:
        now = time.monotonic()
        if now - start >= seconds:
            return
        for index, sender in enumerate(senders):
            if now >= due[index]:
                sender.send(b"%d ping\n" % time.monotonic_ns())
                due[index] += step
                sent[0] += 1

    loop.run(lambda: False, seconds, tick, 0.001)
    loop.run(lambda: len(pings.samples) - first >= sent[0], 5.0)
    samples = sorted(pings.samples[first:])
    figures: dict[str, Any] = {"sent": sent[0], "received": len(samples)}
    if samples:
        figures.update(
            p50_ms=round(percentile(samples, 0.5), 2),
            p99_ms=round(percentile(samples, 0.99), 2),
            max_ms=round(samples[-1], 2),
        )
    return figures


def telnet(
    daemon: Daemon,
    stop_kib: int,
    streamers: int = 20,
    pingers: int = 4,
    quiet_seconds: float = 5.0,
    seconds: float = 15.0,
) -> dict[str, Any]:
    """
    A's line to B, timed: first with ``streamers`` clients connected but
    quiet, then while they stream ``IAC NOP`` as fast as the daemon takes it.
    ``pingers`` A's send 4 lines a second each, within flood control.
    """
    loop = Loop()
    port = daemon.port
    pings = Pings()
    (bob,) = connect_all(loop, port, ["bob"], lambda n: Client(loop, port, n, pings))
    senders = connect_all(loop, port, [f"a{i}" for i in range(pingers)])
    floods = connect_all(loop, port, [f"t{i:02d}" for i in range(streamers)])
    settle(loop, [bob, *senders, *floods])
    quiet = round_trips(loop, senders, pings, quiet_seconds, 4)
    memory = Memory(daemon, stop_kib)
    memory.start()
    for client in floods:
        client.flood(IAC_NOP * 32768)
    drain(loop, 1.0, memory.sample)
    flooded = round_trips(loop, senders, pings, seconds, 4)
    result = memory.finish()
    for client in floods:
        client.stream = None
    result.update(
        streamers=streamers,
        quiet=quiet,
        flooded=flooded,
        flood_mib=round(sum(c.sent_bytes for c in floods) / 2**20, 1),
        dropped=sum(c.closed for c in [bob, *senders, *floods]),
    )
    loop.close()
    return result


# One host joins and leaves over and over.

CHURN_LINE = re.compile(rb"\nlooper (is joined|has left)")


class Churn:
    """What the watcher sees of the looper."""

    __slots__ = ("joined", "left", "lines")

    def __init__(self) -> None:
        self.lines = Lines(CHURN_LINE)
        self.joined = 0
        self.left = 0

    def __call__(self, client: Client, data: bytes) -> None:
        for what in self.lines.feed(data):
            if what == b"is joined":
                self.joined += 1
            else:
                self.left += 1


def churn(daemon: Daemon, stop_kib: int, seconds: float = 30.0) -> dict[str, Any]:
    """
    One client connects, sends ``looper`` and ``/quit`` in one write, waits
    for the daemon to close, and again, for ``seconds``; a watcher
    connected before counts the join and leave lines it gets.
    """
    loop = Loop()
    port = daemon.port
    seen = Churn()
    (watcher,) = connect_all(loop, port, ["watcher"], lambda n: Client(loop, port, n, seen))
    memory = Memory(daemon, stop_kib)
    memory.start()
    tally = {"attempts": 0, "joined": 0, "refused": 0, "other": 0}
    current: list[Client] = []

    def again() -> None:
        memory.sample()
        if current and not current[0].closed:
            return
        if current:
            looper = current.pop()
            if looper.registered:
                tally["joined"] += 1
            elif looper.error and looper.error.startswith("error: too many"):
                tally["refused"] += 1
            else:
                tally["other"] += 1
        looper = Client(loop, port, "looper", then=b"/quit\n")
        looper.reset = True
        current.append(looper)
        tally["attempts"] += 1

    start = time.monotonic()
    loop.run(lambda: memory.stopped, seconds, again, 0.001)
    elapsed = time.monotonic() - start
    drain(loop, 1.0)  # the last leave lines
    result = memory.finish()
    result.update(
        seconds=round(elapsed, 1),
        pairs_seen=min(seen.joined, seen.left),
        joins_seen=seen.joined,
        leaves_seen=seen.left,
        watcher_dropped=watcher.closed,
        **tally,
    )
    loop.close()
    return result

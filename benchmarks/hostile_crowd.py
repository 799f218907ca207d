"""
The crowd scenarios of ``benchmarks/hostile.py``: everyone sends a burst at
once (``burst``), clients that never read ask for the whole room (``who``);
and what every scenario uses to read its clients' lines. Each scenario runs
against one freshly started daemon and returns a dict of its figures.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from hostile_daemon import Daemon, Memory
from hostile_load import Client, Loop, connect_all

DIGITS = [b"%d" % digit for digit in range(10)]


class Lines:
    """
    The complete lines of a client's stream, each chunk's searched with one
    regular expression at C speed: ``pattern.findall`` over the lines
    completed so far (each found line starts with its ``\\n``).
    """

    __slots__ = ("pattern", "rest")

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern = pattern
        self.rest = b"\n"

    def feed(self, data: bytes) -> list[Any]:
        data = self.rest + data
        end = data.rfind(b"\n")
        self.rest = data[end:]
        return self.pattern.findall(data, 0, end)


def settle(loop: Loop, clients: list[Client], quiet: float = 0.5, timeout: float = 60.0) -> None:
    """Run until no client has read anything for ``quiet`` seconds (join lines)."""
    last = [-1, time.monotonic()]

    def still() -> bool:
        total = sum(c.received for c in clients)
        now = time.monotonic()
        if total != last[0]:
            last[:] = [total, now]
        return now - last[1] >= quiet

    loop.run(still, timeout, interval=0.1)


def drain(loop: Loop, seconds: float, every: Callable[[], None] | None = None) -> None:
    loop.run(lambda: False, seconds, every)


# Everyone sends a burst at once.

BURST_LINE = re.compile(rb"\n(c\d{4}|probe): (\d) ")


class Order:
    """What one burst client has received: lines per sender, and any out of order."""

    __slots__ = ("bad", "done", "got", "lines", "owed", "probe_at", "received")

    def __init__(self, owed: int, done: list[int]) -> None:
        self.lines = Lines(BURST_LINE)
        self.got: dict[bytes, int] = {}
        self.owed = owed
        self.received = 0
        self.done = done  # shared: how many clients have all they are owed
        self.bad = 0
        self.probe_at = 0.0

    def __call__(self, client: object, data: bytes) -> None:
        got = self.got
        found = self.lines.feed(data)
        if not found:
            return
        for key, seq in found:
            seen = got.get(key, 0)
            if seen >= 10 or seq != DIGITS[seen]:
                self.bad += 1
            got[key] = seen + 1
        if not self.probe_at and b"probe" in got:
            self.probe_at = time.monotonic()
        before = self.received
        self.received += len(found)
        if before < self.owed <= self.received:
            self.done[0] += 1


def burst(daemon: Daemon, stop_kib: int, clients: int, timeout: float = 120.0) -> dict[str, Any]:
    """
    ``clients`` clients each send 10 lines of 1,000 bytes at once, all
    reading; a probe sends one short line just after, and ``watch`` (who
    sends nothing) times its arrival.
    """
    loop = Loop()
    done = [0]
    names = [f"c{i:04d}" for i in range(clients)]
    orders = {name: Order(10 * (clients - 1) + 1, done) for name in names}
    orders["watch"] = Order(10 * clients + 1, done)
    crowd = connect_all(loop, daemon.port, names, lambda n: Client(loop, daemon.port, n, orders[n]))
    watch, probe = connect_all(
        loop, daemon.port, ["watch", "probe"], lambda n: Client(loop, daemon.port, n, orders.get(n))
    )
    readers = [*crowd, watch]
    settle(loop, readers)
    lines = b"".join(b"%d %s\n" % (seq, b"x" * 998) for seq in range(10))
    memory = Memory(daemon, stop_kib)
    memory.start()
    start = time.monotonic()
    cpu = time.process_time()
    for client in crowd:
        client.send(lines)
    probe.send(b"0 a normal line\n")
    sent_probe = time.monotonic()
    gone = [0, 0.0]

    def finished() -> bool:
        now = time.monotonic()
        if now >= gone[1]:  # counting the closed is O(clients): now and then
            gone[:] = [
                sum(c.closed and orders[c.name].received < orders[c.name].owed for c in readers),
                now + 0.05,
            ]
        return memory.stopped or done[0] + gone[0] >= len(readers)

    completed = loop.run(finished, timeout, memory.sample)
    elapsed = time.monotonic() - start
    cpu = time.process_time() - cpu
    result = memory.finish()
    dropped = [c for c in readers if c.closed]
    probe_at = orders["watch"].probe_at
    result.update(
        clients=clients,
        delivered_lines=sum(o.received for o in orders.values()),
        owed_lines=sum(o.owed for o in orders.values()),
        out_of_order=sum(o.bad for o in orders.values()),
        dropped=len(dropped),
        dropped_why=sorted({c.error or "" for c in dropped})[:3],
        seconds=round(elapsed, 2),
        load_cpu_percent=round(100 * cpu / elapsed),
        completed=completed and not memory.stopped,
        probe_ms=round((probe_at - sent_probe) * 1000, 1) if probe_at else None,
    )
    loop.close()
    return result


# Clients that never read ask for the whole room.

LONG = "_" + "x" * 26  # names of 32 characters
ROOM_LINE = re.compile(rb"\n(?:r0000_x+: (\d) |n\d{4}_x+ (has left))")


class Room:
    """What one reader has received: the talker's lines in order, and leave lines."""

    __slots__ = ("bad", "left", "lines", "said")

    def __init__(self) -> None:
        self.lines = Lines(ROOM_LINE)
        self.said = 0
        self.left = 0
        self.bad = 0

    def __call__(self, client: object, data: bytes) -> None:
        for seq, left in self.lines.feed(data):
            if left:
                self.left += 1
            else:
                if self.said >= 10 or seq != DIGITS[self.said]:
                    self.bad += 1
                self.said += 1


def who(
    daemon: Daemon,
    stop_kib: int,
    asks: int = 10,
    readers: int = 3000,
    silent: int = 100,
    rcvbuf: int = 4096,
) -> dict[str, Any]:
    """
    ``silent`` clients that stopped reading (SO_RCVBUF ``rcvbuf``) each send
    ``/who`` ``asks`` times in a room of ``readers`` readers, as one of the
    readers says ten lines. It ends once every reader has those lines and
    every silent client is dropped (with the leave lines), or after the
    time flood control needs for the asks and 15 seconds more.
    """
    loop = Loop()
    port = daemon.port
    names = [f"r{i:04d}{LONG}" for i in range(readers)]
    room_of = {name: Room() for name in names}
    crowd = connect_all(loop, port, names, lambda n: Client(loop, port, n, room_of[n]))
    quiet = connect_all(
        loop,
        port,
        [f"n{i:04d}{LONG}" for i in range(silent)],
        lambda n: Client(loop, port, n, rcvbuf=rcvbuf),
    )
    for client in quiet:
        client.stop_reading()
    settle(loop, crowd)
    memory = Memory(daemon, stop_kib)
    memory.start()
    start = time.monotonic()
    for client in quiet:
        client.send(b"/who\n" * asks)
    crowd[0].send(b"".join(b"%d %s\n" % (seq, b"y" * 98) for seq in range(10)))
    rooms = [room_of[c.name] for c in crowd[1:]]
    check = [0.0, False]

    def finished() -> bool:
        now = time.monotonic()
        if now >= check[0]:
            dropped = sum(c.closed for c in quiet)
            check[:] = [
                now + 0.05,
                dropped == silent and all(r.said >= 10 and r.left >= silent for r in rooms),
            ]
        return memory.stopped or bool(check[1])

    completed = loop.run(finished, max(asks - 10, 0) / 5 + 15, memory.sample)
    result = memory.finish()
    dropped = sum(c.closed for c in quiet)
    result.update(
        readers=readers,
        silent=silent,
        asks=asks,
        silent_dropped=dropped,
        readers_dropped=sum(c.closed for c in crowd),
        readers_missing_lines=sum(max(10 - r.said, 0) + max(dropped - r.left, 0) for r in rooms),
        out_of_order=sum(r.bad for r in rooms),
        seconds=round(time.monotonic() - start, 2),
        completed=completed and not memory.stopped,
    )
    loop.close()
    return result

"""
What the benchmark measures, cheaply: the tool has to stay cheaper than the
server it measures.

- Counting: a registered client only adds ``data.count(b"\\n")`` of every
  chunk it reads to a shared ``Tally``; lines are never split or decoded.
- Latency is sampled: a few receivers, spread evenly over the client list
  (and so over the server's broadcast order), split their chunks into lines
  and parse the timestamp of every message. Their number is chosen so that
  at most ``--sample-budget`` lines per second are parsed; every message of
  every sender is seen by each of them, so the sample has no bias towards
  early or late lines within a read.
"""

from __future__ import annotations

import math
import resource
from collections.abc import Sequence
from typing import TypeVar

# A parsed timestamp older than this is someone else's text, not a message
# of ours (e.g. "bob: 12 apples").
PLAUSIBLE_NS = 3600 * 10**9
MAX_SAMPLES = 2_000_000

Item = TypeVar("Item")


class Tally:
    """Counters shared by every client: one attribute add per chunk read."""

    __slots__ = ("latencies", "lines")

    def __init__(self) -> None:
        self.lines = 0
        self.latencies: list[int] = []


def parse_latencies(lines: Sequence[bytes], now_ns: int, out: list[int]) -> None:
    """Append ``now_ns - timestamp`` for each ``NAME: TIMESTAMP …`` line."""
    for line in lines:
        start = line.find(b": ")
        if start < 0:
            continue
        start += 2
        end = line.find(b" ", start)
        try:
            sent = int(line[start:end] if end > 0 else line[start:])
        except ValueError:
            continue
        delay = now_ns - sent
        if 0 <= delay < PLAUSIBLE_NS:
            out.append(delay)


def percentile(ordered: Sequence[int], fraction: float) -> int:
    """
    Nearest-rank percentile of an already sorted sequence.

    Nearest rank returns a value that was observed, so ``p99`` of a hundred
    samples is the 99th, not an interpolation towards the maximum.
    """
    if not ordered:
        raise ValueError("no samples")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction out of range: {fraction}")
    # The small slack keeps 0.07 * 100 (7.000000000000001) at rank 7.
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[max(rank, 1) - 1]


def pick_spread(items: Sequence[Item], count: int) -> list[Item]:
    """``count`` items spread evenly over ``items`` (first and last included)."""
    total = len(items)
    count = max(0, min(count, total))
    if count == 0:
        return []
    if count == 1:
        return [items[0]]
    return [items[round(i * (total - 1) / (count - 1))] for i in range(count)]


def sampler_count(rate: float, receivers: int, budget: float) -> int:
    """How many receivers may parse every line within ``budget`` lines/s."""
    if rate <= 0:
        return min(1, receivers)
    return max(1, min(receivers, int(budget // rate)))


def read_rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, or None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds() -> float:
    """User plus system CPU time used by this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

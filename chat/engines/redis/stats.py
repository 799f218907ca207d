"""What the Redis link did, for ``--metrics`` (``chat.engines.redis.collector``)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

# Upper bounds, in seconds, of the publish-to-delivery lag histogram.
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(slots=True)
class LinkStats:
    up: bool = False
    published_lines: int = 0
    received_lines: int = 0
    published_batches: int = 0
    received_batches: int = 0
    links_lost: int = 0
    lag_counts: list[int] = field(default_factory=lambda: [0] * (len(LAG_BUCKETS) + 1))
    lag_sum: float = 0.0

    def lag(self, seconds: float) -> None:
        """A batch arrived ``seconds`` after it was published."""
        seconds = max(seconds, 0.0)
        self.lag_counts[bisect_left(LAG_BUCKETS, seconds)] += 1
        self.lag_sum += seconds

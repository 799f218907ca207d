"""The Redis link's numbers, for ``--metrics``: read from ``LinkStats`` at each scrape."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import accumulate

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from chat.engines.redis.stats import LAG_BUCKETS, LinkStats


class RedisCollector(Collector):
    def __init__(self, stats: LinkStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        yield GaugeMetricFamily(
            "chatroom_redis_up",
            "1 while the link to Redis is up and the room whole, else 0.",
            value=int(stats.up),
        )
        for name, documentation, value in [
            ("chatroom_redis_published_lines", "Lines published to Redis.", stats.published_lines),
            ("chatroom_redis_received_lines", "Lines received from Redis.", stats.received_lines),
            (
                "chatroom_redis_published_batches",
                "Batches published (one per reactor turn with lines).",
                stats.published_batches,
            ),
            ("chatroom_redis_received_batches", "Batches received.", stats.received_batches),
            ("chatroom_redis_links_lost", "Times the link to Redis was lost.", stats.links_lost),
        ]:
            yield CounterMetricFamily(name, documentation, value=value)
        counts = list(accumulate(stats.lag_counts))
        bounds = [f"{bound:g}" for bound in LAG_BUCKETS] + ["+Inf"]
        yield HistogramMetricFamily(
            "chatroom_redis_lag_seconds",
            "Seconds from a batch's publish (on any daemon) to its delivery here.",
            buckets=list(zip(bounds, counts, strict=True)),
            sum_value=stats.lag_sum,
        )

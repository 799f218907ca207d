"""
The benchmark's measurement (chat/bench/measure.py): line counts, latency
parsing, percentiles, the choice of samplers and the server's memory.
"""

from __future__ import annotations

import os

from twisted.trial.unittest import SynchronousTestCase

from chat.bench.measure import (
    percentile,
    pick_spread,
    read_rss_kib,
    sampler_count,
)


class PercentileTests(SynchronousTestCase):
    def test_nearest_rank(self) -> None:
        """Percentiles of 1..100 are the observed values at ranks 50, 90, 99, 100."""
        values = list(range(1, 101))
        self.assertEqual([percentile(values, f) for f in (0.5, 0.9, 0.99, 1.0)], [50, 90, 99, 100])

    def test_rank_rounding(self) -> None:
        """A product such as 0.07 * 100 that floats round up still gives rank 7."""
        self.assertEqual(percentile(list(range(1, 101)), 0.07), 7)

    def test_small_samples(self) -> None:
        """With few samples p99 is the largest and p50 the lower middle one."""
        self.assertEqual(percentile([4], 0.5), 4)
        self.assertEqual(percentile([1, 2, 3], 0.99), 3)
        self.assertEqual(percentile([1, 2, 3, 4], 0.5), 2)

    def test_empty_or_bad_fraction(self) -> None:
        """No samples, or a fraction outside (0, 1], is an error, not a guess."""
        self.assertRaises(ValueError, percentile, [], 0.5)
        self.assertRaises(ValueError, percentile, [1], 0)
        self.assertRaises(ValueError, percentile, [1], 1.5)


class ChoiceTests(SynchronousTestCase):
    def test_pick_spread(self) -> None:
        """Samplers are spread from the first client to the last."""
        self.assertEqual(pick_spread(range(10), 3), [0, 4, 9])
        self.assertEqual(pick_spread(range(3), 5), [0, 1, 2])
        self.assertEqual(pick_spread(range(3), 1), [0])
        self.assertEqual(pick_spread([], 2), [])

    def test_sampler_count(self) -> None:
        """The number of samplers keeps parsed lines per second within budget."""
        self.assertEqual(sampler_count(1000, 200, 20000), 20)
        self.assertEqual(sampler_count(10, 200, 20000), 200)
        self.assertEqual(sampler_count(50000, 200, 20000), 1)
        self.assertEqual(sampler_count(0, 200, 20000), 1)


class ReadingTests(SynchronousTestCase):
    def test_own_rss(self) -> None:
        """This process's VmRSS is read; a missing process gives None."""
        self.assertGreater(read_rss_kib(os.getpid()) or 0, 0)
        self.assertIsNone(read_rss_kib(0))

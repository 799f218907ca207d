"""SPEC §5: flood control is a token bucket per client."""

from twisted.trial.unittest import SynchronousTestCase

from chat.limits import Limits, TokenBucket


class LimitsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """The defaults are those of the spec's table."""
        self.assertEqual(
            Limits(),
            Limits(
                max_line_length=1024,
                max_clients=10000,
                max_per_ip=0,
                rate=5,
                burst=10,
                max_send_queue=262144,
                registration_timeout=60,
                idle_timeout=0,
                history=20,
            ),
        )


class TokenBucketTests(SynchronousTestCase):
    def test_burst_then_wait(self) -> None:
        """The first burst of lines costs no wait; after the last of them, 1/rate."""
        bucket = TokenBucket(rate=5, burst=10, now=0)
        self.assertEqual([bucket.spend(0) for _ in range(9)], [0.0] * 9)
        self.assertAlmostEqual(bucket.spend(0), 0.2)

    def test_refills_at_rate(self) -> None:
        """Tokens come back at ``rate`` a second, up to ``burst``."""
        bucket = TokenBucket(rate=5, burst=10, now=0)
        for _ in range(10):
            bucket.spend(0)
        self.assertEqual(bucket.spend(1.0), 0.0)  # 5 tokens back, 4 left
        self.assertEqual([bucket.spend(100) for _ in range(9)], [0.0] * 9)

    def test_burst_of_zero_is_one(self) -> None:
        """A burst below one still lets one line through at a time."""
        bucket = TokenBucket(rate=2, burst=0, now=0)
        self.assertAlmostEqual(bucket.spend(0), 0.5)

"""docs/protocol.md §5: flood control is a token bucket per client."""

from dataclasses import asdict

from twisted.trial.unittest import SynchronousTestCase

from chat.limits import Limits, TokenBucket


class LimitsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """The defaults are those of the spec's table."""
        self.assertEqual(
            asdict(Limits()),
            {
                "max_line_length": 1024,
                "max_clients": 10000,
                "max_per_ip": 16,
                "connect_burst": 20,
                "connect_rate": 20,
                "rate": 5,
                "burst": 10,
                "max_send_queue": 262144,
                "registration_timeout": 60,
                "idle_timeout": 0,
                "history": 20,
                "unframed_pause": 0.5,
            },
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

    def test_take_only_what_is_there(self) -> None:
        """take() pays for one thing while a token is left, and refuses without paying."""
        bucket = TokenBucket(rate=1 / 60, burst=2, now=0)
        self.assertEqual([bucket.take(0) for _ in range(3)], [True, True, False])
        self.assertFalse(bucket.take(59))
        self.assertTrue(bucket.take(60))
        self.assertFalse(bucket.full(60))
        self.assertTrue(bucket.full(180))

    def test_cost(self) -> None:
        """A cost of several lines is paid at once."""
        bucket = TokenBucket(rate=5, burst=10, now=0)
        self.assertEqual(bucket.spend(0, cost=9), 0)
        self.assertAlmostEqual(bucket.spend(0, cost=0.5), 0.1)

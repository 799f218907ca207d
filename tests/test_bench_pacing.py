"""
The benchmark's open-loop pacing (chat/bench/pacing.py) over StringTransport
with a Clock, and the message it sends.
"""

from __future__ import annotations

from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from chat.bench.pacing import Pacer, make_message
from tests.benchclients import registered_client


class MessageTests(SynchronousTestCase):
    def test_make_message_size(self) -> None:
        """A message is exactly msg-size bytes before its LF: the time, its number, padding."""
        message = make_message(123456789, 42, 64)
        self.assertEqual(len(message), 65)
        self.assertTrue(message.startswith(b"123456789 42 x"))
        self.assertTrue(message.endswith(b"x\n"))

    def test_make_message_too_small(self) -> None:
        """A size smaller than the timestamp still carries the whole timestamp and number."""
        self.assertEqual(make_message(123456789, 7, 4), b"123456789 7\n")


class PacerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        connected = [registered_client() for _ in range(2)]
        self.senders = [client for client, _ in connected]
        self.transports = [transport for _, transport in connected]

    def now_ns(self) -> int:
        return int(self.clock.seconds() * 1e9)

    def test_rate_and_round_robin(self) -> None:
        """Ten messages a second for one second go out five per sender, on time."""
        pacer = Pacer(self.clock, self.senders, 10, 1.0, 32, self.now_ns)
        done = pacer.start()
        self.clock.pump([0.01] * 55)
        self.assertEqual(pacer.sent, 5)
        self.assertNoResult(done)
        self.clock.pump([0.01] * 50)
        self.assertIsNone(self.successResultOf(done))
        self.assertEqual(pacer.sent, 10)
        lines = [transport.value().splitlines() for transport in self.transports]
        self.assertEqual([len(x) for x in lines], [5, 5])
        self.assertTrue(all(len(line) == 32 for x in lines for line in x))
        first = int(lines[0][0].split()[0])
        self.assertTrue(100_000_000 <= first <= 110_000_000, first)
        numbers = [[int(line.split()[1]) for line in x] for x in lines]
        self.assertEqual(numbers, [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]])

    def test_open_loop_catches_up(self) -> None:
        """A late tick writes every message due by then instead of dropping them."""
        pacer = Pacer(self.clock, self.senders, 100, 1.0, 32, self.now_ns)
        pacer.start()
        self.clock.advance(0.5)
        self.assertEqual(pacer.sent, 50)
        self.assertGreater(pacer.max_lag, 0.4)

    def test_stops_after_duration(self) -> None:
        """Nothing more is sent once the duration has passed."""
        pacer = Pacer(self.clock, self.senders, 10, 1.0, 32, self.now_ns)
        pacer.start()
        self.clock.pump([0.1] * 30)
        self.assertEqual(pacer.sent, 10)

    def test_lost_sender_not_counted(self) -> None:
        """Messages due on a closed connection are not counted as sent."""
        self.senders[1].connectionLost(Failure(ConnectionDone()))
        pacer = Pacer(self.clock, self.senders, 10, 1.0, 32, self.now_ns)
        pacer.start()
        self.clock.pump([0.1] * 11)
        self.assertEqual((pacer.scheduled, pacer.sent), (10, 5))
        self.assertEqual(pacer.skipped, [1, 3, 5, 7, 9])

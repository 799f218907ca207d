"""docs/protocol.md §5: output that piles up for everyone stops the reading, not the readers."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat.pressure import FRESH, LONGEST_HOLD, TURN_LIMIT, Pressure, turn_limit
from tests.harness import Harness


class Reader:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name
        self.backlog = 100_000

    def read_on(self) -> None:
        self.log.append(self.name)

    def held(self) -> int:
        return self.backlog


class PressureTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.queued = 0
        self.connections = 3
        self.pressure = Pressure(self.clock, lambda: self.queued, lambda: self.connections)
        self.woken: list[str] = []
        self.a, self.b, self.c = (Reader(self.woken, name) for name in "abc")

    def test_a_full_turn_holds_until_delivered(self) -> None:
        """A turn's worth of queued lines holds the reading until the turn is delivered."""
        self.queued = TURN_LIMIT
        self.assertTrue(self.pressure.holding)
        self.pressure.wait(self.a)
        self.pressure.wait(self.b)
        self.pressure.changed()
        self.assertEqual(self.woken, [])
        self.queued = 0
        self.pressure.changed()
        self.assertEqual(self.woken, ["a", "b"])

    def test_readers_woken_in_order_while_it_holds_off(self) -> None:
        """Readers read on in the order they stopped, and only while nothing holds them."""

        class Greedy(Reader):
            def read_on(inner) -> None:  # noqa: N805
                super().read_on()
                self.queued = TURN_LIMIT  # its lines fill the turn again

        greedy = Greedy(self.woken, "greedy")
        self.queued = TURN_LIMIT
        for reader in (greedy, self.a):
            self.pressure.wait(reader)
        self.queued = 0
        self.pressure.changed()
        self.assertEqual(self.woken, ["greedy"])
        self.queued = 0
        self.pressure.changed()
        self.assertEqual(self.woken, ["greedy", "a"])

    def test_one_backlog_alone_holds_nothing(self) -> None:
        """One client falling behind never holds up the others."""
        self.pressure.backlogged(self.a)
        self.assertFalse(self.pressure.holding)

    def test_many_backlogs_hold(self) -> None:
        """Backlogs at many clients at once hold the reading until they drain."""
        self.pressure.backlogged(self.a)
        self.pressure.backlogged(self.b)
        self.assertTrue(self.pressure.holding)
        self.pressure.wait(self.c)
        self.pressure.drained(self.a)
        self.assertEqual(self.woken, ["c"])

    def test_share_of_the_room(self) -> None:
        """In a big room, more than one client in 16 must be behind at once."""
        self.connections = 320
        for n in range(20):
            self.pressure.backlogged(Reader(self.woken, str(n)))
        self.assertFalse(self.pressure.holding)
        self.pressure.backlogged(self.a)
        self.assertTrue(self.pressure.holding)

    def test_stale_backlogs_stop_holding(self) -> None:
        """A backlog older than FRESH seconds holds nobody up: that client is just slow."""
        self.pressure.backlogged(self.a)
        self.clock.advance(FRESH / 2)
        self.pressure.backlogged(self.b)
        self.pressure.wait(self.c)
        self.clock.advance(FRESH / 2)
        self.assertFalse(self.pressure.holding)
        self.assertEqual(self.woken, ["c"])
        self.clock.advance(FRESH)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_turn_limit_under_a_small_send_queue(self) -> None:
        """A turn never queues more than half a small --max-send-queue for each member."""
        self.assertEqual(turn_limit(32768), 16384)
        self.assertEqual(turn_limit(262144), TURN_LIMIT)
        self.assertEqual(turn_limit(0), TURN_LIMIT)
        server = Harness(max_send_queue=32768, rate=0)
        soheil, _ali = server.chatters("soheil", "ali")
        soheil.send(b"".join(b"x" * 1000 + b"\n" for _ in range(40)))
        self.assertLess(server.room.queued_bytes, 16384 + 1024)

    def test_draining_backlogs_keep_holding(self) -> None:
        """A client that took some of its backlog within FRESH seconds still holds the reading."""
        self.pressure.backlogged(self.a)
        self.pressure.backlogged(self.b)
        self.a.backlog -= 1
        self.clock.advance(FRESH)
        self.assertFalse(self.pressure.holding)  # b took nothing: one backlog left
        self.pressure.backlogged(self.c)
        self.assertTrue(self.pressure.holding)
        self.clock.advance(FRESH)  # a took nothing more
        self.assertFalse(self.pressure.holding)

    def test_trickling_holds_no_longer_than_the_longest_hold(self) -> None:
        """Clients that keep taking a little of their backlog hold the reading for a while only."""
        self.pressure.backlogged(self.a)
        self.pressure.backlogged(self.b)
        for _ in range(int(LONGEST_HOLD / FRESH) - 1):
            self.a.backlog -= 1
            self.b.backlog -= 1
            self.clock.advance(FRESH)
            self.assertTrue(self.pressure.holding)
        self.a.backlog -= 1
        self.b.backlog -= 1
        self.clock.advance(FRESH)
        self.assertFalse(self.pressure.holding)

    def test_forget(self) -> None:
        """A client that is gone is neither woken nor counted."""
        self.pressure.backlogged(self.a)
        self.pressure.backlogged(self.b)
        self.pressure.wait(self.c)
        self.pressure.forget(self.c)
        self.pressure.forget(self.b)
        self.assertFalse(self.pressure.holding)
        self.assertEqual(self.woken, [])


class BurstTests(SynchronousTestCase):
    """Everyone sends a burst of long lines in the same moment (issue: memory grew as K²)."""

    SENDERS = 40

    def burst(self, server: Harness) -> list:
        clients = server.chatters(*[f"user{n}" for n in range(self.SENDERS)])
        server.clock.advance(10)  # a full flood-control bucket again after registering
        for n, client in enumerate(clients):
            client.send(b"".join(b"%02d-%d " % (n, i) + b"x" * 990 + b"\n" for i in range(10)))
        return clients

    def test_a_turn_holds_at_most_its_limit(self) -> None:
        """However many send at once, one turn queues about TURN_LIMIT bytes for each member."""
        server = Harness()
        self.burst(server)
        self.assertLess(server.room.queued_bytes, TURN_LIMIT + 2048)

    def test_everything_arrives_in_order(self) -> None:
        """Held senders are read on turn by turn: every line reaches every other client in order."""
        server = Harness()
        clients = self.burst(server)
        received: list[list[str]] = [[] for _ in clients]
        for _ in range(1000):
            server.clock.advance(0)
            for got, client in zip(received, clients, strict=True):
                got.extend(client.take())
            if all(len(got) == 10 * (self.SENDERS - 1) for got in received):
                break
        for n, got in enumerate(received):
            self.assertEqual(len(got), 10 * (self.SENDERS - 1))
            for sender in range(self.SENDERS):
                if sender != n:
                    mine = [line for line in got if line.startswith(f"user{sender}: {sender:02}-")]
                    self.assertEqual(
                        [line.split()[1] for line in mine], [f"{sender:02}-{i}" for i in range(10)]
                    )
        self.assertFalse([c for c in clients if c.transport.disconnected])

"""The counters behind the metrics: lines, bytes, flood delays, drops by reason."""

from twisted.trial.unittest import SynchronousTestCase

from chat.stats import DropReason
from tests.harness import Harness


class StatsTests(SynchronousTestCase):
    def test_lines_and_bytes(self) -> None:
        """Lines in, and lines and bytes out, are counted."""
        server = Harness()
        soheil, _ali, _hasan = server.chatters("soheil", "ali", "hasan")
        before = server.factory.stats.lines_in, server.factory.stats.lines_out
        out_bytes = server.factory.stats.bytes_out
        soheil.send("hello")
        server.room.flush()
        counted = server.factory.stats
        self.assertEqual((counted.lines_in, counted.lines_out), (before[0] + 1, before[1] + 2))
        self.assertEqual(counted.bytes_out, out_bytes + 2 * len(b"soheil: hello\r\n"))

    def test_a_shared_buffer_counts_for_every_member(self) -> None:
        """A turn's lines, written to many as one buffer and to some as their own, all count."""
        server = Harness()
        soheil, ali, _hasan, _sara = server.chatters("soheil", "ali", "hasan", "sara")
        before = server.factory.stats.lines_out
        soheil.send("one")
        ali.send("two")
        soheil.send("/msg sara psst")
        server.room.flush()
        # one and two to hasan and sara, two to soheil, one to ali; psst to
        # sara and, as "[private to sara] psst", to soheil
        self.assertEqual(server.factory.stats.lines_out, before + 4 + 1 + 1 + 2)

    def test_flood_delays(self) -> None:
        """Each pause for flood control is counted."""
        server = Harness(rate=1, burst=2)
        (soheil,) = server.chatters("soheil")
        server.clock.advance(10)
        soheil.send(b"a\nb\nc\n")
        self.assertEqual(server.factory.stats.flood_delays, 1)

    def test_drops_by_reason(self) -> None:
        """Drops and refusals are counted by reason."""
        server = Harness(max_clients=2, idle_timeout=5, max_send_queue=10, rate=0)
        soheil, ali = server.chatters("soheil", "ali")
        server.connect()
        ali.producer.pauseProducing()
        for _ in range(2):
            soheil.send("x" * 20)
            server.room.flush()
        server.clock.advance(5)
        self.assertEqual(
            dict(server.factory.stats.drops),
            {DropReason.SERVER_FULL: 1, DropReason.SLOW_READER: 1, DropReason.IDLE: 1},
        )

"""docs/protocol.md §5: how many connections one address may hold and open."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from chat.admission import REFUSAL_LOG_INTERVAL, Admission, RefusalLog, address_key
from chat.limits import CLOSE_GRACE, Limits
from tests.harness import Harness, logged

FULL = "error: too many connections from your address"
THROTTLED = "error: too many new connections from your address, try again in a minute"


class AddressKeyTests(SynchronousTestCase):
    def test_ipv4(self) -> None:
        """An IPv4 address is a host of its own."""
        self.assertEqual(address_key("192.0.2.7"), "192.0.2.7")

    def test_ipv6_by_its_64(self) -> None:
        """IPv6 addresses in one /64 count as one host; another /64 is another."""
        self.assertEqual(address_key("2001:db8:1:2::7"), "2001:db8:1:2::/64")
        self.assertEqual(address_key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64")
        self.assertNotEqual(address_key("2001:db8:1:3::7"), address_key("2001:db8:1:2::7"))

    def test_ipv4_mapped(self) -> None:
        """An IPv4 client of a dual-stack socket counts as its IPv4 address."""
        self.assertEqual(address_key("::ffff:192.0.2.7"), "192.0.2.7")

    def test_scoped_and_odd(self) -> None:
        """A link-local address counts as itself, zone and all; no address is kept as it is."""
        self.assertEqual(address_key("fe80::1%eth0"), "fe80::1%eth0")
        self.assertNotEqual(address_key("fe80::2%eth0"), address_key("fe80::1%eth0"))
        self.assertEqual(address_key("not:an:address"), "not:an:address")


class AdmissionTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()

    def test_connect_burst_then_rate(self) -> None:
        """--connect-burst new connections at once, then --connect-rate a minute."""
        admission = Admission(Limits(max_per_ip=0, connect_burst=3, connect_rate=2), self.clock)
        self.assertEqual([admission.refusal("a") for _ in range(3)], [None] * 3)
        refused = admission.refusal("a")
        assert refused is not None
        self.assertEqual(refused[1], THROTTLED)
        self.assertIsNone(admission.refusal("b"))
        self.clock.advance(29)
        self.assertIsNotNone(admission.refusal("a"))
        self.clock.advance(1)
        self.assertIsNone(admission.refusal("a"))

    def test_throttle_off(self) -> None:
        """--connect-burst 0 or --connect-rate 0 turns the throttle off."""
        for limits in (Limits(connect_burst=0), Limits(connect_rate=0)):
            admission = Admission(limits, self.clock)
            self.assertFalse([r for _ in range(100) if (r := admission.refusal("a"))])

    def test_forgets_sooner_when_many_come_fast(self) -> None:
        """Addresses arriving by the thousand are forgotten without waiting for the minute."""
        admission = Admission(Limits(connect_burst=2, connect_rate=60), self.clock)
        most = 0
        for n in range(20000):
            admission.refusal(f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::1")
            most = max(most, len(admission._new))
            self.clock.advance(0.01)
        self.assertLess(most, 3000)

    def test_forgets_quiet_addresses(self) -> None:
        """An address whose allowance is whole again is forgotten, so memory stays bounded."""
        admission = Admission(Limits(connect_burst=2, connect_rate=60), self.clock)
        for n in range(1000):
            admission.refusal(f"10.0.{n >> 8}.{n & 255}")
        self.clock.advance(120)
        admission.refusal("192.0.2.1")
        self.assertEqual(len(admission._new), 1)


class AdmissionOnTheWireTests(SynchronousTestCase):
    def test_per_address_default(self) -> None:
        """By default one address may hold 16 connections; the 17th is refused and closed."""
        server = Harness(connect_burst=0)
        clients = [server.connect("192.0.2.7") for _ in range(16)]
        self.assertFalse([c for c in clients if c.closing])
        refused = server.connect("192.0.2.7")
        self.assertEqual(refused.take(), [FULL])
        self.assertTrue(refused.closing)
        clients[0].disconnect()
        self.assertEqual(server.connect("192.0.2.7").take(), ["Please enter your name:"])

    def test_ipv6_neighbours_share(self) -> None:
        """Addresses of one IPv6 /64 share one allowance."""
        server = Harness(max_per_ip=2, connect_burst=0)
        server.connect("2001:db8::1"), server.connect("2001:db8::2")
        self.assertEqual(server.connect("2001:db8::3").take(), [FULL])

    def test_join_and_quit_loop(self) -> None:
        """A host looping connect, name, /quit is announced --connect-burst times, then refused."""
        server = Harness()
        (ali,) = server.chatters("ali")
        for n in range(50):
            looper = server.connect("192.0.2.7")
            looper.send(f"bot{n}")
            looper.send("/quit")
            if looper.closing:
                looper.finish_close()
        joins = [line for line in ali.take() if line.endswith("is joined to the chatroom!")]
        self.assertEqual(len(joins), 20)
        server.clock.advance(60)
        looper = server.connect("192.0.2.7")
        self.assertEqual(looper.take(), ["Please enter your name:"])

    def test_refused_connection_cut_if_it_does_not_close(self) -> None:
        """A refused connection that does not close (TLS, no handshake) is cut after a grace."""
        server = Harness(max_per_ip=1, connect_burst=0)
        server.connect("192.0.2.7")
        refused = server.connect("192.0.2.7")
        self.assertTrue(refused.closing)
        server.clock.advance(CLOSE_GRACE - 0.01)
        self.assertFalse(refused.transport.disconnected)
        server.clock.advance(0.01)
        self.assertTrue(refused.transport.disconnected)

    def test_refused_connection_that_closes_leaves_no_timer(self) -> None:
        """A refused connection that closes in time leaves nothing behind."""
        server = Harness(max_per_ip=1, connect_burst=0)
        server.connect("192.0.2.7")
        refused = server.connect("192.0.2.7")
        refused.finish_close()
        server.clock.advance(CLOSE_GRACE)
        self.assertFalse(refused.transport.disconnected)

    def test_refusals_counted(self) -> None:
        """Each refusal is counted by its reason, for the metrics."""
        server = Harness(max_per_ip=1, connect_burst=2, connect_rate=1)
        server.connect("192.0.2.7").disconnect()
        first = server.connect("192.0.2.7")
        server.connect("192.0.2.7")  # one at a time
        first.disconnect()
        server.connect("192.0.2.7")  # two were opened this minute
        self.assertEqual(server.factory.stats.drops, {"max_per_ip": 1, "connect_rate": 1})


class RefusalLogTests(SynchronousTestCase):
    def test_once_a_second_with_a_count(self) -> None:
        """The first refusal is logged; the rest of that second become one line with a count."""
        clock = Clock()
        refusals = RefusalLog(clock)
        with capturedLogs() as events:
            for n in range(1000):
                refusals.refused(f"192.0.2.7:{n}", FULL)
            clock.advance(REFUSAL_LOG_INTERVAL)
            refusals.refused("192.0.2.7:1", FULL)
            clock.advance(REFUSAL_LOG_INTERVAL)
            clock.advance(REFUSAL_LOG_INTERVAL)
        self.assertEqual(
            logged(events),
            [
                f"connection from 192.0.2.7:0 refused: {FULL}",
                f"999 more connection(s) refused in the last second: {FULL}",
                f"1 more connection(s) refused in the last second: {FULL}",
            ],
        )
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_each_reason_apart(self) -> None:
        """Each reason has its own second."""
        refusals = RefusalLog(Clock())
        with capturedLogs() as events:
            refusals.refused("a", FULL)
            refusals.refused("b", THROTTLED)
        self.assertEqual(len(events), 2)

    def test_stop_says_what_is_counted(self) -> None:
        """At shutdown the refusals still counted are logged, and no timer is left."""
        clock = Clock()
        refusals = RefusalLog(clock)
        with capturedLogs() as events:
            refusals.refused("a", FULL)
            refusals.refused("b", FULL)
            refusals.stop()
        self.assertEqual(len(events), 2)
        self.assertEqual(clock.getDelayedCalls(), [])

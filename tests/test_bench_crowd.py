"""
The benchmark's crowd (chat/bench/crowd.py) with a Clock: bounded waits,
connecting over several endpoints or against a server that refuses, and
the choice of senders.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat import lines
from chat.bench.client import BenchClient
from chat.bench.crowd import Run, connect_all, pick_senders, wait_until
from chat.bench.measure import Tally
from chat.bench.options import parse_arguments
from tests.benchclients import OneHostServer


class WaitTests(SynchronousTestCase):
    def test_condition_met(self) -> None:
        """The wait ends True as soon as the condition holds."""
        clock = Clock()
        state = {"ready": False}
        waiting = wait_until(clock, lambda: state["ready"], 5.0, 0.1)
        clock.advance(0.1)
        self.assertNoResult(waiting)
        state["ready"] = True
        clock.advance(0.1)
        self.assertTrue(self.successResultOf(waiting))

    def test_timeout(self) -> None:
        """The wait ends False after its timeout when the condition never holds."""
        clock = Clock()
        waiting = wait_until(clock, lambda: False, 1.0, 0.1)
        clock.pump([0.1] * 9)
        self.assertNoResult(waiting)
        clock.pump([0.1] * 2)
        self.assertFalse(self.successResultOf(waiting))


class ConnectTests(SynchronousTestCase):
    def test_other_refusal(self) -> None:
        """A refusal that is not about the address (a full server) gives no such advice."""
        run = Run(parse_arguments(["--clients", "3"]))
        server = OneHostServer(1, lines.SERVER_FULL)
        self.successResultOf(Deferred.fromCoroutine(connect_all(Clock(), [server], run)))
        self.assertIsNone(run.refused)
        self.assertIn(lines.SERVER_FULL, run.error or "")


class EndpointTests(SynchronousTestCase):
    def test_round_robin(self) -> None:
        """Client i connects through endpoint i modulo the number of endpoints."""
        run = Run(parse_arguments(["--clients", "5"]))
        servers = [OneHostServer(5, ""), OneHostServer(5, "")]
        self.successResultOf(Deferred.fromCoroutine(connect_all(Clock(), servers, run)))
        self.assertEqual([len(server.transports) for server in servers], [3, 2])
        self.assertEqual([c.via for c in run.clients], [0, 1, 0, 1, 0])
        self.assertEqual(servers[1].transports[0].value(), b"b00001\n")

    def test_senders_alternate(self) -> None:
        """Senders are taken in turn from each endpoint's clients, in their order."""
        vias = [0, 0, 0, 1, 0, 1]
        clients = [BenchClient(f"c{i}", Tally(), via=via) for i, via in enumerate(vias)]
        names = [c.name for c in pick_senders(clients, 5)]
        self.assertEqual(names, ["c0", "c3", "c1", "c5", "c2"])
        self.assertEqual(len(pick_senders(clients, 10)), 6)
        self.assertEqual(pick_senders(clients[:3], 2), clients[:2])

"""
The benchmark's crowd (chat/bench/crowd.py) with a Clock: bounded waits,
and connecting against a server that refuses.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat import lines
from chat.bench.crowd import Run, connect_all, wait_until
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
        self.successResultOf(Deferred.fromCoroutine(connect_all(Clock(), server, run)))
        self.assertIsNone(run.refused)
        self.assertIn(lines.SERVER_FULL, run.error or "")

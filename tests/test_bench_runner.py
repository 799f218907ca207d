"""
Whole benchmark runs (chat/bench/runner.py) against in-memory servers with a
Clock: the open-files limit, and the advice when one address is refused.
"""

from __future__ import annotations

import resource

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat import lines
from chat.bench.crowd import Run
from chat.bench.options import parse_arguments
from chat.bench.runner import bench
from tests.benchclients import OneHostServer


class OneAddressTests(SynchronousTestCase):
    def run_bench(self, refusal: str) -> tuple[SystemExit, OneHostServer]:
        """A bench of five clients against a server that takes two from this address."""
        clock = Clock()
        server = OneHostServer(2, refusal)
        options = parse_arguments(["--clients", "5", "--quit-timeout", "1"])
        running = Deferred.fromCoroutine(bench(clock, Run(options), [server]))
        clock.pump([0.1] * 20)
        stopped = self.failureResultOf(running, SystemExit).value
        assert isinstance(stopped, SystemExit)
        return stopped, server

    def test_per_address_cap(self) -> None:
        """Refused by the per-address cap, the bench stops with one line on the options to use."""
        stopped, server = self.run_bench(lines.TOO_MANY_FROM_ADDRESS)
        message = str(stopped.code)
        self.assertIn(lines.TOO_MANY_FROM_ADDRESS, message)
        self.assertIn("start it with --max-per-ip 0 --connect-burst 0", message)
        self.assertNotIn("\n", message)
        self.assertEqual(len(server.transports), 3)
        self.assertEqual(server.transports[0].value(), b"b00000\n/quit\n")

    def test_throttle(self) -> None:
        """Refused by the connection throttle, the bench stops with the same advice."""
        stopped, _ = self.run_bench(lines.TOO_MANY_NEW_FROM_ADDRESS)
        self.assertIn("--max-per-ip 0 --connect-burst 0", str(stopped.code))


class OpenFilesTests(SynchronousTestCase):
    def test_open_files_limit(self) -> None:
        """A run raises the soft open-files limit to the hard one and reports it."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        lowered = 64 if hard == resource.RLIM_INFINITY else min(64, hard - 1)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
        clock = Clock()
        options = parse_arguments(
            ["--clients", "2", "--duration", "0", "--drain", "0", "--quit-timeout", "1"]
        )
        running = Deferred.fromCoroutine(bench(clock, Run(options), [OneHostServer(2, "")]))
        clock.pump([0.1] * 20)
        result = self.successResultOf(running)
        current, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.assertEqual((result.mode, result.connected), ("load", 2))
        self.assertEqual(result.open_files_limit, current)
        if hard != resource.RLIM_INFINITY:
            self.assertEqual(current, hard)

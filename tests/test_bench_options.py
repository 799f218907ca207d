"""
The benchmark's command-line options (chat/bench/options.py).
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from chat.bench.options import parse_arguments


class OptionTests(SynchronousTestCase):
    def test_idle_sets_clients(self) -> None:
        """--idle N means N clients."""
        self.assertEqual(parse_arguments(["--idle", "7"]).clients, 7)

    def test_bad_prefix(self) -> None:
        """A name prefix the server would refuse is a usage error."""
        self.assertRaises(SystemExit, parse_arguments, ["--prefix", "a b"])

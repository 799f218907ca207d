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

    def test_connect_repeated(self) -> None:
        """--connect may be given once per daemon; without it the default endpoint is used."""
        options = parse_arguments(["--connect", "tcp:a:1", "--connect", "unix:/x"])
        self.assertEqual(options.connect, ["tcp:a:1", "unix:/x"])
        self.assertEqual(parse_arguments([]).connect, ["tcp:host=127.0.0.1:port=5050"])
        self.assertFalse(parse_arguments([]).check_order)

"""
The hostile-load benchmark's own logic (benchmarks/hostile*.py) with no
daemon and no sockets: its arguments, its line reading and its tables;
and the per-address options benchmarks/run.py gives our daemon.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

sys.path.append(str(Path(__file__).resolve().parent.parent / "benchmarks"))

import hostile
import run
from hostile_crowd import BURST_LINE, Lines, Order

from chat.bench.result import BenchResult

BURST_STREAM = (
    b"watch is joined to the chatroom!\r\n"
    b"c0001: 0 xxxx\r\nc0002: 0 xxxx\r\nc0001: 1 xxxx\r\nprobe: 0 a normal line\r\n"
)


class ArgumentTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """By default every scenario runs twice, on this daemon and on d86128a's."""
        options = hostile.parse_arguments([])
        self.assertEqual(options.scenario, list(hostile.SCENARIOS))
        self.assertEqual((options.runs, options.old, options.no_old), (2, "d86128a", False))

    def test_unknown_scenario(self) -> None:
        """A scenario that does not exist is a usage error."""
        self.assertRaises(SystemExit, hostile.parse_arguments, ["--scenario", "nope"])


class LinesTests(SynchronousTestCase):
    def test_any_split(self) -> None:
        """However the stream is cut, each matching line is found once, when complete."""
        for cut in range(len(BURST_STREAM) + 1):
            lines = Lines(BURST_LINE)
            found = lines.feed(BURST_STREAM[:cut]) + lines.feed(BURST_STREAM[cut:])
            self.assertEqual(
                found, [(b"c0001", b"0"), (b"c0002", b"0"), (b"c0001", b"1"), (b"probe", b"0")]
            )

    def test_order(self) -> None:
        """A receiver counts its lines, is done once it has all, and spots a line out of order."""
        done = [0]
        order = Order(4, done)
        order(None, BURST_STREAM)
        self.assertEqual((order.received, order.bad, done), (4, 0, [1]))
        order(None, b"c0002: 2 skipped 1\r\n")
        self.assertEqual((order.bad, done), (1, [1]))


def burst_result(**changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "scenario": "burst500",
        "daemon": "now",
        "run": 1,
        "clients": 500,
        "rss_growth_mib": 4.9,
        "stopped_over_mib": None,
        "delivered_lines": 2500501,
        "owed_lines": 2500501,
        "out_of_order": 0,
        "dropped": 0,
        "seconds": 2.3,
        "completed": True,
        "probe_ms": 2160.0,
        "load_cpu_percent": 60,
    }
    result.update(changes)
    return result


class TableTests(SynchronousTestCase):
    def test_burst_rows(self) -> None:
        """A burst table has a header, and one row a run; a stopped run says so."""
        stopped = burst_result(
            daemon="d86128a",
            stopped_over_mib=4096,
            delivered_lines=40000,
            completed=False,
            seconds=12.3,
            probe_ms=None,
        )
        text = hostile.table([burst_result(), stopped]).splitlines()
        self.assertEqual(len(text), 4)
        self.assertEqual({line.count("|") for line in text}, {11})
        self.assertIn("| now | 1 | 500 | 4.9 MiB | 2,500,501 / 2,500,501 |", text[2])
        self.assertIn("RSS past 4,096 MiB: stopped", text[3])
        self.assertIn("not in 12.3 s | — |", text[3])

    def test_churn_limit(self) -> None:
        """Churn's limit is --connect-burst plus --connect-rate a minute, for this daemon only."""
        result = {
            "scenario": "churn",
            "run": 1,
            "seconds": 30.0,
            "attempts": 141630,
            "pairs_seen": 29,
        }
        now, old = hostile.table(
            [{**result, "daemon": "now", "new": True}, {**result, "daemon": "x", "new": False}]
        ).splitlines()[2:]
        self.assertTrue(now.endswith("| 29 | 1.0 | 30 |"), now)
        self.assertTrue(old.endswith("| none |"), old)


class RunTests(SynchronousTestCase):
    def test_our_daemon(self) -> None:
        """Our daemon's command line gets the per-address limits off."""
        command = run.one_host(["twistd", "-n", "chatroom", "--rate", "0"])
        self.assertEqual(command[-4:], ["--max-per-ip", "0", "--connect-burst", "0"])

    def test_set_already(self) -> None:
        """An option the command line sets is left as it is."""
        command = run.one_host(["twistd", "chatroom", "--max-per-ip=4"])
        self.assertEqual(command, ["twistd", "chatroom", "--max-per-ip=4", "--connect-burst", "0"])

    def test_other_server(self) -> None:
        """Another server's command line (the textbook baseline) is left alone."""
        command = ["python", "benchmarks/textbook_chat.py", "5071"]
        self.assertEqual(run.one_host(command), command)


class RunTableTests(SynchronousTestCase):
    def test_load_row(self) -> None:
        """A load run's --json output, read as the typed result, gives its table row."""
        result = BenchResult.from_json(
            {
                "mode": "load",
                "endpoint": "tcp:host=127.0.0.1:port=5070",
                "clients": 200,
                "connected": 200,
                "connect_seconds": 0.5,
                "open_files_limit": 1024,
                "settled": True,
                "senders": 20,
                "rate": 800.0,
                "duration": 5.0,
                "msg_size": 64,
                "sent": 4000,
                "max_send_lag_ms": 1.0,
                "expected": 796000,
                "received": 796000,
                "load_seconds": 5.1,
                "deliveries_per_second": 156078.4,
                "loss": 0.0,
                "latency_ms": {"samples": 10, "receivers": 1, "p50": 1.5, "p90": 2.0,
                               "p99": 3.25, "max": 4.0},
                "still_connected": 200,
                "cpu_percent": 95.0,
                "bench_bottleneck": True,
                "held": True,
            }
        )  # fmt: skip
        self.assertEqual(
            run.load_row("ramp", result),
            "| ramp | 200/200 | 20 | 800 | 156,078 | 0.00 % | 1.5 | 3.25 | yes | 95 % (!) |",
        )

    def test_memory_row(self) -> None:
        """An idle run without the server's memory gives its row with None for the figures."""
        result = BenchResult.from_json(
            {
                "mode": "idle",
                "endpoint": "tcp:host=127.0.0.1:port=5070",
                "clients": 8000,
                "connected": 8000,
                "connect_seconds": 4.25,
                "open_files_limit": 1048576,
                "settled": True,
                "hold_seconds": 5.0,
                "still_connected": 8000,
                "cpu_percent": 3.0,
                "bench_bottleneck": False,
                "held": True,
            }
        )
        self.assertEqual(run.memory_row(result), "| 8000 | 4.2 s | None | None | None | yes |")

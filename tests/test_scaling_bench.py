"""
The scaling benchmark's own logic (benchmarks/scaling.py and
benchmarks/scaling_report.py) with no daemon and no sockets: the command
lines it starts, what it accepts as held, and its table of targets.
"""

from __future__ import annotations

import sys
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

sys.path.append(str(Path(__file__).resolve().parent.parent / "benchmarks"))

import scaling
from scaling_report import Measured, highest_held, summary_row

from chat.bench.result import BenchResult


def load_result(rate: float, held: bool, order: str | None = None, lost: int = 0) -> BenchResult:
    """A 1,000-client load run's result as chatroom-bench prints it."""
    data: dict[str, object] = {
        "mode": "load",
        "endpoint": "tcp:host=127.0.0.1:port=5070 tcp:host=127.0.0.1:port=5071",
        "clients": 1000,
        "connected": 1000,
        "connect_seconds": 1.0,
        "open_files_limit": 1048576,
        "senders": 50,
        "rate": rate,
        "duration": 10.0,
        "msg_size": 64,
        "sent": int(rate * 10),
        "max_send_lag_ms": 1.0,
        "expected": int(rate * 10 * 999),
        "received": int(rate * 10 * 999) - lost,
        "load_seconds": 10.5,
        "deliveries_per_second": rate * 999,
        "loss": 0.0,
        "latency_ms": {"samples": 10, "receivers": 1, "p50": 1.0, "p90": 2.0, "p99": 3.0},
        "still_connected": 1000,
        "cpu_percent": 50.0,
        "bench_bottleneck": False,
        "held": held,
    }
    if order is not None:
        data.update(
            order=order,
            lost=lost,
            duplicated=0,
            echoed=0,
            order_clients=1000,
            order_recorded=60,
        )
    return BenchResult.from_json(data)


class CommandTests(SynchronousTestCase):
    def test_daemon_command(self) -> None:
        """A daemon runs with flood control and the per-address limits off, and --redis if given."""
        command = scaling.daemon_command(5071, "unix:///tmp/x/redis.sock")
        self.assertEqual(command[1:5], ["-n", "--pidfile=", "chatroom", "--rate"])
        self.assertIn("tcp:5071:interface=127.0.0.1", command)
        self.assertEqual(command[-6:-4], ["--redis", "unix:///tmp/x/redis.sock"])
        self.assertEqual(command[-4:], ["--max-per-ip", "0", "--connect-burst", "0"])
        self.assertNotIn("--redis", scaling.daemon_command(5070, None))

    def test_redis_command(self) -> None:
        """The Redis of a scenario listens on a unix socket only and saves nothing."""
        command = scaling.redis_command(Path("/tmp/d"), "redis-server")
        self.assertIn("/tmp/d/redis.sock", command)
        for option, value in [("--port", "0"), ("--save", ""), ("--appendonly", "no")]:
            self.assertEqual(command[command.index(option) + 1], value)


class AcceptTests(SynchronousTestCase):
    def test_order_accepted(self) -> None:
        """A two-daemon step counts only if held and every line came, once, in one order."""
        self.assertTrue(scaling.order_accepted(load_result(800, True, "ok")))
        self.assertFalse(scaling.order_accepted(load_result(800, True, "ok", lost=1)))
        self.assertFalse(scaling.order_accepted(load_result(800, True, "b1 got #2 after #3")))
        self.assertFalse(scaling.order_accepted(load_result(800, False, "ok")))
        self.assertFalse(scaling.order_accepted(load_result(800, True)))

    def test_highest_held(self) -> None:
        """A ramp's figure is the highest rate of its accepted steps."""
        ramp = [load_result(rate, held) for rate, held in [(400, True), (800, True), (1600, False)]]
        self.assertEqual(highest_held(ramp, lambda r: r.outcome.held), 800)
        self.assertEqual(highest_held(ramp[2:], lambda r: r.outcome.held), 0)

    def test_order_row(self) -> None:
        """The two-daemon row ends with the order check's verdict, lost and duplicated."""
        text = scaling.order_row("two", load_result(800, True, "ok", lost=3))
        self.assertTrue(text.startswith("| two | 1000/1000 | 50 | 800 |"), text)
        self.assertTrue(text.endswith("| yes | 50 % | ok | 3 | 0 |"), text)


class SummaryTests(SynchronousTestCase):
    def test_targets(self) -> None:
        """Each target is judged: 80 % of the rate, p99 within 2 ms, 3,200 msg/s in one order."""
        measured = Measured(1, held_rate={"standalone": 6400, "--redis": 3200})
        measured.p99_ms = {"standalone": 3.0, "--redis": 4.5}
        measured.two_rate, measured.two_order = 3200, "ok"
        self.assertEqual(
            summary_row(measured),
            "| 1 | 6,400 | 3,200 | 50 % (**missed**) | 3.0 | 4.5 | +1.50 (met)"
            " | 3,200 (met) | ok |",
        )

    def test_without_redis(self) -> None:
        """Without the --redis scenarios their cells are dashes."""
        measured = Measured(2, held_rate={"standalone": 6400}, p99_ms={"standalone": 3.0})
        self.assertEqual(
            summary_row(measured), "| 2 | 6,400 | - | - | 3.0 | - | - | 0 (**missed**) | - |"
        )

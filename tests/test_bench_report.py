"""
The benchmark's plain-text summary (chat/bench/report.py).
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from chat.bench.report import format_summary
from chat.bench.result import BenchResult


class ReportTests(SynchronousTestCase):
    def result(self, **changes: object) -> BenchResult:
        result: dict[str, object] = {
            "mode": "load",
            "endpoint": "tcp:host=127.0.0.1:port=5050",
            "open_files_limit": 1024,
            "clients": 10,
            "connected": 10,
            "connect_seconds": 0.01,
            "senders": 2,
            "rate": 20.0,
            "duration": 1.0,
            "msg_size": 64,
            "sent": 20,
            "max_send_lag_ms": 0.5,
            "expected": 180,
            "received": 171,
            "load_seconds": 1.0,
            "deliveries_per_second": 171.0,
            "loss": 0.05,
            "latency_ms": {"samples": 0, "receivers": 1},
            "still_connected": 10,
            "cpu_percent": 12.0,
            "bench_bottleneck": False,
            "held": True,
        }
        result.update(changes)
        return BenchResult.from_json(result)

    def test_summary_figures(self) -> None:
        """The summary shows the counts, the loss in percent and the verdict."""
        text = format_summary(self.result())
        self.assertIn("expected    180", text)
        self.assertIn("5.00 %", text)
        self.assertIn("verdict     held", text)
        self.assertNotIn("warning", text)

    def test_order_row(self) -> None:
        """With the order check, the summary gives its verdict and counts."""
        checked = self.result(
            order="ok", lost=0, duplicated=2, echoed=0, order_clients=10, order_recorded=3
        )
        text = format_summary(checked)
        row = "order       ok; lost 0, duplicated 2, echoed 0 (10 clients, 3 recorded)"
        self.assertIn(row, text)
        self.assertNotIn("order", format_summary(self.result()))

    def test_bottleneck_warning(self) -> None:
        """A busy benchmark says it may be the bottleneck."""
        text = format_summary(self.result(bench_bottleneck=True, cpu_percent=97.0, held=False))
        self.assertIn("NOT held", text)
        self.assertIn("warning: the benchmark itself used 97 %", text)

    def test_idle_summary(self) -> None:
        """The idle report gives the server's memory per client."""
        text = format_summary(
            BenchResult.from_json(
                {
                    "mode": "idle",
                    "endpoint": "tcp:host=127.0.0.1:port=5050",
                    "open_files_limit": 1024,
                    "clients": 4,
                    "connected": 4,
                    "connect_seconds": 0.01,
                    "hold_seconds": 1.0,
                    "still_connected": 4,
                    "server_rss_kib_before": 1000,
                    "server_rss_kib_after": 1040,
                    "server_kib_per_client": 10.0,
                    "cpu_percent": 1.0,
                    "bench_bottleneck": False,
                    "held": True,
                }
            )
        )
        self.assertIn("per client  10.0 KiB", text)

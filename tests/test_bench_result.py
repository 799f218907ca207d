"""
The benchmark's typed result (chat/bench/result.py) and its ``--json`` form:
the same keys, in the same order, as the object scripts have always read.
"""

from __future__ import annotations

from dataclasses import replace

from twisted.trial.unittest import SynchronousTestCase

from chat.bench.order import OrderFigures
from chat.bench.result import (
    BenchResult,
    IdleFigures,
    Latency,
    LoadFigures,
    Outcome,
    ServerMemory,
)

OUTCOME = Outcome(still_connected=10, cpu_percent=12.0, bench_bottleneck=False, held=True)


def load_result(latency: Latency) -> BenchResult:
    """A load run of ten clients, two of them sending."""
    figures = LoadFigures(
        senders=2,
        rate=20.0,
        duration=1.0,
        msg_size=64,
        sent=20,
        max_send_lag_ms=0.5,
        expected=180,
        received=180,
        load_seconds=1.2,
        deliveries_per_second=150.0,
        loss=0.0,
        latency_ms=latency,
    )
    return BenchResult("tcp:port=5050", 10, 10, 0.01, 1024, figures, OUTCOME, settled=True)


class LatencyTests(SynchronousTestCase):
    def test_of_sorted_nanoseconds(self) -> None:
        """Latencies in ns become p50, p90, p99 and max in ms, rounded to the microsecond."""
        latency = Latency.of([n * 1_000_000 for n in range(1, 101)], 3)
        self.assertEqual(latency, Latency(100, 3, 50.0, 90.0, 99.0, 100.0))

    def test_no_samples(self) -> None:
        """With no samples only the counts are given, in JSON too."""
        self.assertEqual(Latency.of([], 2).to_json(), {"samples": 0, "receivers": 2, "stamped": 0})

    def test_stamped_receivers_read_back(self) -> None:
        """How many receivers were timed by their socket is kept, in JSON and back."""
        latency = Latency.of([1_000_000, 3_000_000], 4, stamped=3)
        self.assertEqual(latency.to_json()["stamped"], 3)
        self.assertEqual(Latency.from_json(latency.to_json()), latency)


class JsonTests(SynchronousTestCase):
    def test_load_keys(self) -> None:
        """A load run's JSON has the keys it always had, in order (new ones last), read back."""
        result = load_result(Latency.of([1_000_000], 1))
        data = result.to_json()
        self.assertEqual(
            list(data),
            [
                "mode",
                "endpoint",
                "clients",
                "connected",
                "connect_seconds",
                "open_files_limit",
                "settled",
                "senders",
                "rate",
                "duration",
                "msg_size",
                "sent",
                "max_send_lag_ms",
                "expected",
                "received",
                "load_seconds",
                "deliveries_per_second",
                "loss",
                "latency_ms",
                "still_connected",
                "cpu_percent",
                "bench_bottleneck",
                "held",
            ],
        )
        self.assertEqual(data["mode"], "load")
        self.assertEqual(
            list(data["latency_ms"]),
            ["samples", "receivers", "p50", "p90", "p99", "max", "stamped"],
        )
        self.assertEqual(BenchResult.from_json(data), result)

    def test_order_keys(self) -> None:
        """With the order check, its keys follow the latency and read back equal."""
        plain = load_result(Latency.of([1_000_000], 1))
        order = OrderFigures(10, 4, "ok", 0, 0, 0)
        assert isinstance(plain.figures, LoadFigures), "a load result"
        result = replace(plain, figures=replace(plain.figures, order=order))
        data = result.to_json()
        keys = list(data)
        start = keys.index("latency_ms") + 1
        self.assertEqual(
            keys[start : start + 6],
            ["order", "lost", "duplicated", "echoed", "order_clients", "order_recorded"],
        )
        self.assertEqual(BenchResult.from_json(data), result)

    def test_idle_keys(self) -> None:
        """An idle run's JSON gives the server's memory only when it was asked for."""
        memory = ServerMemory(1000, 1040, 10.0)
        result = BenchResult(
            "tcp:port=5050", 4, 4, 0.01, 1024, IdleFigures(1.0, memory), OUTCOME, error="x"
        )
        data = result.to_json()
        self.assertEqual(
            list(data),
            [
                "mode",
                "endpoint",
                "clients",
                "connected",
                "connect_seconds",
                "open_files_limit",
                "error",
                "hold_seconds",
                "still_connected",
                "cpu_percent",
                "bench_bottleneck",
                "held",
                "server_rss_kib_before",
                "server_rss_kib_after",
                "server_kib_per_client",
            ],
        )
        self.assertEqual(BenchResult.from_json(data), result)
        unasked = BenchResult("tcp:port=5050", 4, 0, 0.01, 1024, IdleFigures(1.0), OUTCOME)
        self.assertNotIn("server_rss_kib_before", unasked.to_json())
        self.assertNotIn("settled", unasked.to_json())
        self.assertEqual(BenchResult.from_json(unasked.to_json()), unasked)

"""
One short real run of chatroom-bench against a real daemon: correctness
of its counts only, never speed.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.wire import child_environment, running_daemon

BENCH = [sys.executable, "-c", "from chat.bench.main import main; main()"]


def run_bench(*options: str, timeout: float = 60.0) -> dict[str, object]:
    """Run the benchmark with --json and return what it printed."""
    finished = subprocess.run(
        [*BENCH, "--json", *options],
        capture_output=True,
        env=child_environment(),
        timeout=timeout,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()
    return json.loads(finished.stdout)


def test_every_message_counted() -> None:
    """Ten clients, two senders: every client registers and every delivery arrives."""
    with running_daemon("--rate", "0") as daemon:
        result = run_bench(
            "--connect",
            f"tcp:host={daemon.host}:port={daemon.port}",
            "--clients",
            "10",
            "--senders",
            "2",
            "--rate",
            "20",
            "--duration",
            "1",
            "--drain",
            "10",
        )
    assert result["connected"] == 10
    assert result["still_connected"] == 10
    assert result["sent"] == 20
    assert result["expected"] == 20 * 9
    assert result["received"] == result["expected"]
    assert result["loss"] == 0
    latency = result["latency_ms"]
    assert isinstance(latency, dict)
    assert latency["samples"] == result["expected"]

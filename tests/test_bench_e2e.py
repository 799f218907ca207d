"""
One short real run of chatroom-bench against a real daemon: correctness
of its counts only, never speed.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.wire import Daemon, child_environment, running_daemon

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


def two_senders(*daemons: Daemon, clients: int, drain: int) -> list[str]:
    """The options of a one-second run at 20 msg/s from two senders, order checked."""
    options = ["--check-order", "--clients", str(clients), "--senders", "2", "--rate", "20"]
    for daemon in daemons:
        options += ["--connect", f"tcp:host={daemon.host}:port={daemon.port}"]
    return [*options, "--duration", "1", "--drain", str(drain), "--settle", str(drain)]


def test_every_message_counted() -> None:
    """Ten clients, two senders: every client registers and every line arrives, in one order."""
    with running_daemon("--rate", "0") as daemon:
        result = run_bench(*two_senders(daemon, clients=10, drain=10))
    assert result["connected"] == 10
    assert result["still_connected"] == 10
    assert result["sent"] == 20
    assert result["expected"] == 20 * 9
    assert result["received"] == result["expected"]
    assert result["loss"] == 0
    latency = result["latency_ms"]
    assert isinstance(latency, dict)
    assert latency["samples"] == result["expected"]
    assert (result["order"], result["lost"], result["duplicated"], result["echoed"]) == (
        "ok",
        0,
        0,
        0,
    )


def test_order_check_across_two_rooms() -> None:
    """Two separate daemons are two rooms: the order check counts the other room's lines lost."""
    with running_daemon("--rate", "0") as one, running_daemon("--rate", "0") as other:
        result = run_bench(*two_senders(one, other, clients=6, drain=1))
    assert result["connected"] == 6
    assert result["endpoint"] == (
        f"tcp:host={one.host}:port={one.port} tcp:host={other.host}:port={other.port}"
    )
    # Each of the six misses the ten lines of the other room's sender.
    assert result["sent"] == 20
    assert result["received"] == 2 * 10 * 2
    assert (result["lost"], result["duplicated"], result["echoed"]) == (60, 0, 0)
    assert result["order"] == "ok"

"""
The hostile-load figures of docs/performance.md: this checkout's daemon and
an earlier one (``--old``, by default the commit before the hardening) side
by side, each scenario on a fresh daemon, all load from 127.0.0.1.

    python benchmarks/hostile.py                      # every scenario, twice
    python benchmarks/hostile.py --scenario burst500 --runs 1

Scenarios (``--scenario``, any of them, in this order by default):

- ``burst500``, ``burst1000``: that many clients each send 10 lines of
  1,000 bytes at once, all reading; the daemon's peak RSS growth, whether
  every line reached every other client in order, who was dropped, and how
  late a normal user's line sent just after the burst arrived;
- ``who``: 100 clients that never read (SO_RCVBUF 4096) each send ``/who``
  ten times (``--who-asks``) in a room of 3,000 readers with 32-character
  names, as a reader says ten lines;
- ``telnet``: a normal user's round trip (A sends, B receives) while 20
  clients stream ``IAC NOP`` flat out;
- ``churn``: one client loops ``NAME`` + ``/quit`` for ``--churn-seconds``;
  how many join+leave pairs the others see.

This daemon runs with ``--max-per-ip 0 --connect-burst 0`` for all but
``churn``, which measures the defaults: from one host, thousands of
connections are exactly what those limits refuse. The old daemon knows
neither option and runs with its defaults. The daemon is pinned to
``--server-core``, this process to ``--load-core``. A daemon whose RSS
passes ``--stop-mib`` is killed and reported as stopped.

A markdown table per scenario goes to standard output; progress and each
run's figures, as JSON, to stderr. The parts: ``hostile_load`` (the client
sockets), ``hostile_daemon`` (the daemon and its memory), ``hostile_crowd``
(burst, who) and ``hostile_attacks`` (telnet, churn).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hostile_attacks
import hostile_crowd
from hostile_daemon import ROOT, Daemon, unpack

OLD = "d86128a"
SCENARIOS = ("burst500", "burst1000", "who", "telnet", "churn")
UNTHROTTLED = ["--max-per-ip", "0", "--connect-burst", "0"]
# The daemon's defaults (chat/limits.py), which churn measures.
CONNECT_BURST = 20
CONNECT_RATE = 20


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def run_one(
    name: str, options: argparse.Namespace, tree: Path, new: bool, log: Path
) -> dict[str, Any]:
    """One scenario against one fresh daemon."""
    stop_kib = options.stop_mib * 1024
    flags = [] if name == "churn" or not new else UNTHROTTLED
    daemon = Daemon(tree, options.port, flags, options.server_core, log)
    daemon.start()
    try:
        if name.startswith("burst"):
            result = hostile_crowd.burst(daemon, stop_kib, int(name[5:]))
        elif name == "who":
            result = hostile_crowd.who(daemon, stop_kib, options.who_asks)
        elif name == "telnet":
            result = hostile_attacks.telnet(daemon, stop_kib)
        else:
            result = hostile_attacks.churn(daemon, stop_kib, options.churn_seconds)
    finally:
        daemon.kill()
    result.update(options=" ".join(flags), new=new)
    return result


def growth(result: dict[str, Any]) -> str:
    """Peak RSS growth, or how far it got before it was stopped."""
    if result["stopped_over_mib"]:
        return f"RSS past {result['stopped_over_mib']:,} MiB: stopped"
    return f"{result['rss_growth_mib']:,.1f} MiB"


def burst_row(r: dict[str, Any]) -> list[str]:
    probe = "—" if r["probe_ms"] is None else f"{r['probe_ms'] / 1000:.2f} s"
    return [
        str(r["clients"]),
        growth(r),
        f"{r['delivered_lines']:,} / {r['owed_lines']:,}",
        str(r["out_of_order"]),
        str(r["dropped"]),
        f"{r['seconds']:.1f} s" if r["completed"] else f"not in {r['seconds']:.1f} s",
        probe,
        f"{r['load_cpu_percent']} %",
    ]


def who_row(r: dict[str, Any]) -> list[str]:
    return [
        str(r["asks"]),
        growth(r),
        f"{r['kernel_tcp_growth_mib']:,.0f} MiB",
        f"{r['silent_dropped']}/{r['silent']}",
        str(r["readers_dropped"]),
        str(r["readers_missing_lines"]),
        f"{r['seconds']:.1f} s" if r["completed"] else f"not in {r['seconds']:.0f} s",
    ]


def trip(figures: dict[str, Any]) -> str:
    if "p50_ms" not in figures:
        return "no samples"
    return f"{figures['p50_ms']} / {figures['p99_ms']} / {figures['max_ms']}"


def telnet_row(r: dict[str, Any]) -> list[str]:
    lost = sum(r[phase]["sent"] - r[phase]["received"] for phase in ("quiet", "flooded"))
    return [trip(r["quiet"]), trip(r["flooded"]), str(lost), f"{r['flood_mib']:,.0f}"]


def churn_row(r: dict[str, Any]) -> list[str]:
    minutes = r["seconds"] / 60
    limit = f"{CONNECT_BURST + CONNECT_RATE * minutes:.0f}" if r["new"] else "none"
    return [
        f"{r['seconds']:.0f} s",
        f"{r['attempts']:,}",
        f"{r['pairs_seen']:,}",
        f"{r['pairs_seen'] / r['seconds']:,.1f}",
        limit,
    ]


HEADERS = {
    "burst": (
        "clients",
        "peak RSS growth",
        "lines delivered / owed",
        "out of order",
        "dropped",
        "all delivered in",
        "a normal line's delay",
        "load's CPU",
    ),
    "who": (
        "/who each",
        "peak RSS growth",
        "kernel TCP buffers",
        "silent dropped",
        "readers dropped",
        "readers' lines missing",
        "all silent dropped in",
    ),
    "telnet": (
        "round trip, quiet (p50 / p99 / max ms)",
        "with 20 streaming IAC NOP",
        "lines lost",
        "IAC NOP sent (MiB)",
    ),
    "churn": ("looped for", "connections", "join+leave pairs seen", "pairs a second", "limit"),
}
ROWS = {"burst": burst_row, "who": who_row, "telnet": telnet_row, "churn": churn_row}


def table(results: list[dict[str, Any]]) -> str:
    """One markdown table of a scenario's runs."""
    kind = "burst" if results[0]["scenario"].startswith("burst") else results[0]["scenario"]
    header = ("daemon", "run", *HEADERS[kind])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        cells = [result["daemon"], str(result["run"]), *ROWS[kind](result)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    add("--runs", type=int, default=2, help="runs of each scenario on each daemon")
    add("--old", default=OLD, help="the commit to compare with (default: %(default)s)")
    add("--no-old", action="store_true", help="measure this checkout only")
    add("--port", type=int, default=5090)
    add("--stop-mib", type=int, default=4096, help="kill a daemon whose RSS passes this")
    add("--who-asks", type=int, default=10, help="/who per silent client (who)")
    add("--churn-seconds", type=float, default=30.0)
    add("--server-core", type=int, default=0)
    add("--load-core", type=int, default=1)
    add("--json", action="store_true", help="one JSON object per run instead of tables")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    raise_open_files_limit()
    os.sched_setaffinity(0, {options.load_core})
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        trees = [("now", ROOT, True)]
        if not options.no_old:
            trees.append((options.old, unpack(options.old, Path(scratch)), False))
        results: list[dict[str, Any]] = []
        for name in options.scenario:
            for attempt in range(options.runs):
                for label, tree, new in trees:
                    print(f"{name} run {attempt + 1}: {label}", file=sys.stderr, flush=True)
                    log = Path(scratch) / f"{name}-{attempt}-{new}.log"
                    result = run_one(name, options, tree, new, log)
                    result.update(scenario=name, daemon=label, run=attempt + 1)
                    print(json.dumps(result), file=sys.stderr, flush=True)
                    results.append(result)
    if options.json:
        for result in results:
            print(json.dumps(result))
        return
    for name in options.scenario:
        print(f"### {name}\n")
        print(table([r for r in results if r["scenario"] == name]))
        print()


if __name__ == "__main__":
    main()

"""
Latency at moderate load, this daemon beside the textbook Twisted chat, in
one run:

    python benchmarks/latency.py --runs 3

Each run starts every server afresh for each scenario (pinned to core 0,
the load to core 1, as ``benchmarks/run.py`` does) and takes, in turn:

- 200 clients, 20 senders, 50 msg/s in all;
- 1,000 clients, 50 senders, 20 msg/s in all.

Our daemon runs with its default options (but for the per-address limits,
which refuse a thousand clients from one host). With ``--strace``,
``strace -c -f`` is attached to each server in the 200-client scenario,
and the syscalls it made are printed per line delivered. With
``--before DIR``, the daemon of another checkout runs beside them, under
the same bench:

    git worktree add /tmp/before COMMIT
    python benchmarks/latency.py --runs 3 --strace --before /tmp/before

It prints a markdown table of p50, p99 and the worst delivery per run.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinned import ROOT, Server, bench, load_options, one_host
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol
from twisted.internet.task import react
from twisted.python.failure import Failure

from chat.bench.result import BenchResult, LoadFigures

SCENARIOS = [(200, 20, 50), (1000, 50, 20)]


def servers(port: int, before: Path | None) -> list[tuple[str, list[str], Path]]:
    """The servers, named, each listening on ``port``, and the checkout each runs from."""
    python = sys.executable
    twistd = str(Path(python).parent / "twistd")
    description = f"tcp:{port}:interface=127.0.0.1"
    ours = one_host([twistd, "-n", "--pidfile=", "chatroom", "--port", description])
    textbook = [python, str(ROOT / "benchmarks" / "textbook_chat.py"), str(port)]
    chosen = [("chatroom", ours, ROOT), ("textbook", textbook, ROOT)]
    if before is not None:
        chosen.insert(1, (f"chatroom at {before.name}", ours, before))
    return chosen


class Tracer(ProcessProtocol):
    """``strace -c`` attached to a running server, every thread, until told to stop."""

    def __init__(self, reactor: Any, pid: int, output: Path) -> None:
        self.ended: Deferred[None] = Deferred()
        self._attached: Deferred[None] = Deferred()
        self._process = reactor.spawnProcess(
            self, "strace", ["strace", "-c", "-f", "-o", str(output), "-p", str(pid)], env=None
        )

    async def attached(self) -> None:
        await self._attached

    def errReceived(self, data: bytes) -> None:
        if b"attached" in data and not self._attached.called:
            self._attached.callback(None)

    def processEnded(self, reason: Failure) -> None:
        if not self._attached.called:
            self._attached.errback(reason)
        self.ended.callback(None)

    async def stop(self) -> None:
        """Detach; ``strace`` writes its table and the server runs on."""
        self._process.signalProcess("INT")
        await self.ended


def syscall_counts(report: str) -> dict[str, int]:
    """Calls per syscall from ``strace -c``'s table."""
    counts: dict[str, int] = {}
    for line in report.splitlines():
        fields = line.split()
        if len(fields) >= 5 and re.fullmatch(r"[\d.]+", fields[0]) and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


def figures_of(result: BenchResult) -> LoadFigures:
    figures = result.figures
    assert isinstance(figures, LoadFigures), "a latency scenario runs in load mode"
    return figures


def row(run: int, server: str, clients: int, rate: int, result: BenchResult) -> str:
    figures = figures_of(result)
    latency = figures.latency_ms
    return (
        f"| {run} | {server} | {clients} / {figures.senders} / {rate} msg/s"
        f" | {figures.received:,} | {figures.loss * 100:.2f} %"
        f" | {latency.p50} | {latency.p99} | {latency.highest} |"
    )


async def measure(reactor: Any, options: argparse.Namespace) -> None:
    rows: list[str] = []
    calls: list[str] = []
    plan = [(run, scenario, False) for run in range(1, options.runs + 1) for scenario in SCENARIOS]
    if options.strace:
        plan.append((1, SCENARIOS[0], True))
    for run, (clients, senders, rate), strace in plan:
        for name, command, root in servers(options.port, options.before):
            print(f"run {run}: {name}, {clients} clients", file=sys.stderr)
            load = load_options(clients, senders, rate, options.duration)
            server = Server(reactor, command, f"tcp:host=127.0.0.1:port={options.port}", root)
            if strace:
                trace = Path(tempfile.mkdtemp(prefix="latency-")) / "strace"
                result = await traced(reactor, server, trace, load)
                calls.append(calls_row(name, trace, figures_of(result).received))
            else:
                result = await once(reactor, server, load)
                rows.append(row(run, name, clients, rate, result))
    print(
        "| run | server | clients / senders / rate | lines delivered | loss | p50 ms"
        " | p99 ms | worst ms |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if calls:
        print()
        print("| server | syscalls per line delivered | the most frequent, per line |")
        print("|---|---:|---|")
        print("\n".join(calls))


async def once(reactor: Any, server: Server, load: list[str]) -> BenchResult:
    """One scenario on a fresh server."""
    await server.start()
    try:
        return await bench(reactor, [server.endpoint], *load)
    finally:
        await server.stop()


async def traced(reactor: Any, server: Server, trace: Path, load: list[str]) -> BenchResult:
    """One scenario on a fresh server with ``strace -c`` attached while the load runs."""
    tracer = Tracer(reactor, await server.start(), trace)
    try:
        await tracer.attached()
        return await bench(reactor, [server.endpoint], *load)
    finally:
        await tracer.stop()
        await server.stop()


def calls_row(name: str, trace: Path, delivered: int) -> str:
    counts = syscall_counts(trace.read_text())
    total = counts.pop("total", 0)
    busiest = sorted(counts.items(), key=lambda item: -item[1])[:6]
    each = ", ".join(f"{call} {count / max(delivered, 1):.2f}" for call, count in busiest)
    return f"| {name} | {total / max(delivered, 1):.2f} | {each} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=5072)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument("--strace", action="store_true", help="count syscalls per line")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (git worktree add DIR COMMIT) whose daemon runs beside, same bench",
    )
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    react(measure, [options])


if __name__ == "__main__":
    main()

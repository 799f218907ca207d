"""
Run the scenarios of the performance table against one server command line.

    python benchmarks/run.py --port 5070 -- \\
        twistd -n --pidfile= chatroom --port tcp:5070:interface=127.0.0.1 --rate 0
    python benchmarks/run.py --port 5071 -- python benchmarks/textbook_chat.py 5071

Our daemon (a ``chatroom`` command line) gets ``--max-per-ip 0
--connect-burst 0`` added unless the command sets them: every client comes
from this one host, which is just what those limits refuse.

The server is started afresh for each scenario, pinned with ``taskset -c 0``;
each chatroom-bench run is pinned with ``taskset -c 1``, so the two never
compete for a core (``benchmarks/pinned.py``). The scenarios:

- 200 clients, 20 senders; 1,000 clients, 50 senders: the rate doubles each
  step until a step is not held (or ``--max-rate``);
- 200 clients, 20 senders at 50 msg/s, for its latency;
- 8,000 idle clients, for the server's memory per client.

It prints markdown tables on standard output; the progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from pinned import LOAD_HEADER, Server, bench, latency_options, load_row, one_host, ramp
from twisted.internet.task import react

from chat.bench.result import BenchResult, IdleFigures, ServerMemory


def memory_row(result: BenchResult) -> str:
    """The row of the idle-clients table."""
    figures = result.figures
    assert isinstance(figures, IdleFigures), "the memory scenario runs in idle mode"
    memory = figures.memory or ServerMemory(None, None)
    return (
        f"| {result.connected} | {result.connect_seconds:.1f} s"
        f" | {memory.rss_kib_before} | {memory.rss_kib_after} | {memory.kib_per_client}"
        f" | {'yes' if result.outcome.held else 'no'} |"
    )


async def scenarios(reactor: Any, options: argparse.Namespace) -> None:
    """Each scenario on a fresh server; the tables at the end."""
    rows: list[str] = []
    memory: list[str] = []
    server_endpoint = f"tcp:host={options.host}:port={options.port}"
    ramps = [("200 clients / 20 senders", 200, 20), ("1,000 clients / 50 senders", 1000, 50)]
    for name, clients, senders in ramps:
        print(f"{name}: doubling the rate", file=sys.stderr)
        server = Server(reactor, options.server, server_endpoint)
        await server.start()
        try:
            results = await ramp(reactor, [server_endpoint], clients, senders, options)
            rows += [load_row(name, result) for result in results]
        finally:
            await server.stop()

    print("latency at 200 clients / 50 msg/s", file=sys.stderr)
    server = Server(reactor, options.server, server_endpoint)
    await server.start()
    try:
        result = await bench(reactor, [server_endpoint], *latency_options(options))
        rows.append(load_row("latency, 200 clients / 50 msg/s", result))
    finally:
        await server.stop()

    print(f"{options.idle} idle clients", file=sys.stderr)
    server = Server(reactor, options.server, server_endpoint)
    pid = await server.start()
    try:
        result = await bench(
            reactor,
            [server_endpoint],
            "--idle",
            str(options.idle),
            "--pid",
            str(pid),
            "--duration",
            "5",
        )
        memory.append(memory_row(result))
    finally:
        await server.stop()

    print(LOAD_HEADER)
    print("\n".join(rows))
    print()
    print(
        "| idle clients | connect time | server RSS before (KiB)"
        " | after (KiB) | KiB per client | held |"
    )
    print("|---:|---:|---:|---:|---:|---|")
    print("\n".join(memory))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5070, help="where the server command listens")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of sending per step")
    parser.add_argument("--start-rate", type=int, default=100)
    parser.add_argument("--max-rate", type=int, default=204800)
    parser.add_argument("--idle", type=int, default=8000)
    parser.add_argument(
        "server", nargs=argparse.REMAINDER, help="the server command line, after --"
    )
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if options.server[:1] == ["--"]:
        options.server = options.server[1:]
    if not options.server:
        parser.error("give the server command line after --")
    options.server = one_host(options.server)
    react(scenarios, [options])


if __name__ == "__main__":
    main()

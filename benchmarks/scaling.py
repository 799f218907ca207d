"""
The scaling benchmark (docs/scaling.md): our daemon alone, with ``--redis``,
and two daemons on one Redis, in one run on this machine.

    python benchmarks/scaling.py --duration 10 --runs 3

Every server of a scenario (a redis-server of the script's own, in a
temporary directory on a unix socket with persistence off, and the daemons,
``--rate 0 --max-per-ip 0 --connect-burst 0``) runs on core 0
(``taskset -c 0``) and chatroom-bench on core 1, as in benchmarks/run.py:
with two cores, the servers share one and the load has the other, so two
daemons show what one Redis room costs, not what a second core would buy.
Each scenario gets fresh servers and a fresh Redis. The scenarios:

- standalone, then one daemon with ``--redis``: 1,000 clients / 50 senders,
  the rate doubling each step until a step is not held; 200 clients / 20
  senders at 50 msg/s, for the latency;
- two daemons on one Redis, 1,000 clients split between them (and the
  senders), the rate doubling until a step is not held or fails
  chatroom-bench's ``--check-order`` (every line to everyone, once, in one
  order).

``--no-redis`` runs the standalone scenarios, and the two-daemon ramp on two
standalone daemons: two rooms, which the order check must report as lost
lines; it checks the tools, not the daemon. Markdown tables go to standard
output; the progress goes to stderr.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinned import (
    LOAD_HEADER,
    ROOT,
    Server,
    ServerFailed,
    bench,
    environment,
    held,
    latency_options,
    load_cells,
    load_row,
    one_host,
    ramp,
    row,
)
from scaling_report import Measured, highest_held, p99, summary
from twisted.internet.task import react

from chat.bench.result import BenchResult, LoadFigures

ORDER_HEADER = (
    "| scenario | clients left | senders | msg/s | deliveries/s | loss | p50 ms"
    " | p99 ms | held | bench CPU | order | lost | duplicated |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|"
)


def twistd() -> str:
    """The twistd of this Python, where there is one."""
    beside = Path(sys.executable).parent / "twistd"
    return str(beside) if beside.exists() else "twistd"


def daemon_command(port: int, redis: str | None) -> list[str]:
    """Our daemon on ``port``, flood control off, with ``--redis`` if given."""
    command = [twistd(), "-n", "--pidfile=", "chatroom", "--rate", "0"]
    command += ["--port", f"tcp:{port}:interface=127.0.0.1"]
    if redis is not None:
        command += ["--redis", redis]
    return one_host(command)


def redis_command(directory: Path, redis_server: str) -> list[str]:
    """A redis-server of our own: a unix socket in ``directory``, nothing saved."""
    socket = directory / "redis.sock"
    return [
        redis_server,
        *("--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700"),
        *("--save", "", "--appendonly", "no", "--dir", str(directory)),
    ]


def has_redis_option() -> bool:
    """Whether this checkout's daemon knows ``--redis``."""
    found = subprocess.run(
        [twistd(), "chatroom", "--help"],
        capture_output=True,
        env=environment(),
        cwd=ROOT,
        check=False,
    )
    return b"--redis" in found.stdout


def order_accepted(result: BenchResult) -> bool:
    """Held, and every line delivered to everyone, once, in one order."""
    figures = result.figures
    return (
        result.outcome.held
        and isinstance(figures, LoadFigures)
        and figures.order is not None
        and figures.order.ok
    )


def order_row(name: str, result: BenchResult) -> str:
    """A row of the two-daemon table: the load cells and the order check's."""
    figures = result.figures
    assert isinstance(figures, LoadFigures) and figures.order, "an order-checked load run"
    order = figures.order
    return row([*load_cells(name, result), order.order, f"{order.lost}", f"{order.duplicated}"])


class Deployment:
    """A scenario's servers: maybe a Redis, and one or two daemons on it."""

    def __init__(self, reactor: Any, options: argparse.Namespace, daemons: int, redis: bool):
        self.reactor = reactor
        self.options = options
        self.daemons = daemons
        self.redis = redis
        self.servers: list[Server] = []
        self.endpoints: list[str] = []
        self.directory = tempfile.TemporaryDirectory(prefix="chatroom-scaling-")

    async def __aenter__(self) -> list[str]:
        try:
            await self.start_all()
        except BaseException:
            await self.__aexit__()
            raise
        return self.endpoints

    async def start_all(self) -> None:
        """Redis first, if any, then the daemons on it."""
        url = None
        if self.redis:
            path = Path(self.directory.name)
            socket = f"unix:{path / 'redis.sock'}"
            await self.start(redis_command(path, self.options.redis_server), socket)
            url = f"unix://{path / 'redis.sock'}"
        for index in range(self.daemons):
            port = self.options.port + index
            endpoint = f"tcp:host=127.0.0.1:port={port}"
            await self.start(daemon_command(port, url), endpoint)
            self.endpoints.append(endpoint)

    async def start(self, command: list[str], endpoint: str) -> None:
        server = Server(self.reactor, command, endpoint)
        await server.start()
        self.servers.append(server)

    async def __aexit__(self, *exc_info: object) -> None:
        for server in reversed(self.servers):
            await server.stop()
        self.directory.cleanup()


async def one_run(reactor: Any, options: argparse.Namespace, run: int) -> Measured:
    """Every scenario once; the rows and the figures the targets are judged on."""
    measured = Measured(run)
    crowd = f"{options.clients:,} clients / {options.senders} senders"
    kinds = [("standalone", False)] + ([] if options.no_redis else [("--redis", True)])
    for kind, redis in kinds:
        name = f"run {run}, {kind}, {crowd}"
        print(f"{name}: doubling the rate", file=sys.stderr)
        async with Deployment(reactor, options, 1, redis) as endpoints:
            results = await ramp(reactor, endpoints, options.clients, options.senders, options)
        measured.held_rate[kind] = highest_held(results, held)
        measured.rows += [load_row(name, result) for result in results]
        name = f"run {run}, {kind}, latency 200 clients / 50 msg/s"
        print(name, file=sys.stderr)
        async with Deployment(reactor, options, 1, redis) as endpoints:
            result = await bench(reactor, endpoints, *latency_options(options))
        measured.p99_ms[kind] = p99(result)
        measured.rows.append(load_row(name, result))
    two = "two daemons on one Redis" if not options.no_redis else "two standalone daemons"
    name = f"run {run}, {two}, {crowd}"
    print(f"{name}: doubling the rate, order checked", file=sys.stderr)
    # Two rooms never settle nor drain: no need to wait the default 30 and 10 s.
    extra = ["--check-order", *(["--settle", "2", "--drain", "2"] if options.no_redis else [])]
    async with Deployment(reactor, options, 2, not options.no_redis) as endpoints:
        results = await ramp(
            reactor,
            endpoints,
            options.clients,
            options.senders,
            options,
            *extra,
            accept=order_accepted,
        )
    measured.two_rate = highest_held(results, order_accepted)
    last = results[-1].figures if results else None
    if isinstance(last, LoadFigures) and last.order is not None:
        measured.two_order = last.order.order
    measured.order_rows += [order_row(name, result) for result in results]
    return measured


async def scenarios(reactor: Any, options: argparse.Namespace) -> None:
    """``--runs`` runs of every scenario; the tables at the end."""
    runs = []
    try:
        for run in range(1, options.runs + 1):
            runs.append(await one_run(reactor, options, run))
    except ServerFailed as failed:
        raise SystemExit(f"scaling.py: a server did not start: {failed}") from None
    print(LOAD_HEADER)
    print("\n".join(line for measured in runs for line in measured.rows))
    print()
    print(ORDER_HEADER)
    print("\n".join(line for measured in runs for line in measured.order_rows))
    print()
    print(summary(runs))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--port", type=int, default=5070, help="the first daemon's port; the second's is next")
    add("--duration", type=float, default=10.0, help="seconds of sending per step")
    add("--start-rate", type=int, default=400)
    add("--max-rate", type=int, default=204800)
    add("--clients", type=int, default=1000, help="clients of the rate ramps")
    add("--senders", type=int, default=50, help="senders of the rate ramps")
    add("--runs", type=int, default=1, help="how many times to run every scenario")
    add("--redis-server", default="redis-server", help="the redis-server program")
    add("--no-redis", action="store_true", help="check the tools: standalone daemons only")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not options.no_redis:
        if shutil.which(options.redis_server) is None:
            parser.error(f"{options.redis_server} not found (install redis-server)")
        if not has_redis_option():
            parser.error(
                "this checkout's daemon has no --redis option (the Redis engine is not in it);"
                " --no-redis runs the standalone scenarios only"
            )
    react(scenarios, [options])


if __name__ == "__main__":
    main()

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
compete for a core. The scenarios:

- 200 clients, 20 senders; 1,000 clients, 50 senders: the rate doubles each
  step until a step is not held (or ``--max-rate``);
- 200 clients, 20 senders at 50 msg/s, for its latency;
- 8,000 idle clients, for the server's memory per client.

It prints markdown tables on standard output; the progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import clientFromString, connectProtocol
from twisted.internet.protocol import ProcessProtocol, Protocol
from twisted.internet.task import deferLater, react
from twisted.internet.utils import getProcessOutputAndValue
from twisted.python.failure import Failure

ROOT = Path(__file__).resolve().parent.parent
# The result's types come from this checkout, as does the bench that is run.
sys.path.insert(0, str(ROOT))

from chat.bench.result import BenchResult, IdleFigures, LoadFigures, ServerMemory  # noqa: E402

BENCH = ["-c", "from chat.bench.main import main; main()"]
# The per-address limits off: thousands of clients from one host.
ONE_HOST = {"--max-per-ip": "0", "--connect-burst": "0"}


def one_host(command: Sequence[str]) -> list[str]:
    """Our daemon's command line with the per-address limits off, unless it sets them."""
    command = list(command)
    if "chatroom" not in command:
        return command  # another server, such as the textbook one
    for option, value in ONE_HOST.items():
        if not any(arg == option or arg.startswith(option + "=") for arg in command):
            command += [option, value]
    return command


def environment() -> dict[str, str]:
    """Ours, with this checkout first on the path so ``twistd chatroom`` finds it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class ServerProcess(ProcessProtocol):
    """The server under test; its output is thrown away, its end is awaited."""

    def __init__(self) -> None:
        self.ended: Deferred[None] = Deferred()

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(None)


async def wait_listening(reactor: Any, endpoint: str, timeout: float) -> None:
    """Connect until the server accepts, for at most ``timeout`` seconds."""
    deadline = reactor.seconds() + timeout
    while True:
        try:
            protocol = await connectProtocol(clientFromString(reactor, endpoint), Protocol())
        except Exception:
            if reactor.seconds() > deadline:
                raise
            await deferLater(reactor, 0.2, lambda: None)
        else:
            protocol.transport.abortConnection()
            return


class Server:
    """Start and stop one pinned server process."""

    def __init__(self, reactor: Any, command: Sequence[str], endpoint: str) -> None:
        self.reactor = reactor
        self.command = list(command)
        self.endpoint = endpoint
        self.protocol = ServerProcess()
        self.process: Any = None

    async def start(self) -> int:
        self.process = self.reactor.spawnProcess(
            self.protocol,
            "taskset",
            ["taskset", "-c", "0", *self.command],
            env=environment(),
            path=str(ROOT),
        )
        await wait_listening(self.reactor, self.endpoint, 30.0)
        return self.process.pid

    async def stop(self) -> None:
        if self.process.pid is None:
            return
        self.process.signalProcess("TERM")
        killer = self.reactor.callLater(10, self._kill)
        await self.protocol.ended
        if killer.active():
            killer.cancel()

    def _kill(self) -> None:
        if self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGKILL)


async def bench(reactor: Any, endpoint: str, *options: str) -> BenchResult:
    """One pinned chatroom-bench run; its result, read from its JSON."""
    out, err, code = await getProcessOutputAndValue(
        "taskset",
        ["-c", "1", sys.executable, *BENCH, "--json", "--connect", endpoint, *options],
        env=environment(),
        path=str(ROOT),
        reactor=reactor,
    )
    if code != 0 or not out.strip():
        raise RuntimeError(f"chatroom-bench failed ({code}): {err.decode()[-2000:]}")
    result = BenchResult.from_json(json.loads(out))
    print(f"  {' '.join(options)}: held={result.outcome.held}", file=sys.stderr)
    return result


def load_row(name: str, result: BenchResult) -> str:
    """One row of the load table."""
    figures, outcome = result.figures, result.outcome
    assert isinstance(figures, LoadFigures), "a load scenario runs in load mode"
    latency = figures.latency_ms
    p50 = "-" if latency.p50 is None else latency.p50
    p99 = "-" if latency.p99 is None else latency.p99
    return (
        f"| {name} | {outcome.still_connected}/{result.clients}"
        f" | {figures.senders}"
        f" | {figures.rate:g} | {figures.deliveries_per_second:,.0f}"
        f" | {figures.loss * 100:.2f} % | {p50}"
        f" | {p99} | {'yes' if outcome.held else 'no'}"
        f" | {outcome.cpu_percent:.0f} %{' (!)' if outcome.bench_bottleneck else ''} |"
    )


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
    duration = str(options.duration)
    ramps = [("200 clients / 20 senders", 200, 20), ("1,000 clients / 50 senders", 1000, 50)]
    for name, clients, senders in ramps:
        print(f"{name}: doubling the rate", file=sys.stderr)
        server = Server(reactor, options.server, server_endpoint)
        await server.start()
        try:
            rate = options.start_rate
            step = 0
            while rate <= options.max_rate:
                result = await bench(
                    reactor,
                    server_endpoint,
                    "--clients",
                    str(clients),
                    "--senders",
                    str(senders),
                    "--rate",
                    str(rate),
                    "--duration",
                    duration,
                    "--prefix",
                    f"r{step}",
                )
                rows.append(load_row(name, result))
                if not result.outcome.held or result.outcome.still_connected < clients:
                    break
                rate *= 2
                step += 1
        finally:
            await server.stop()

    print("latency at 200 clients / 50 msg/s", file=sys.stderr)
    server = Server(reactor, options.server, server_endpoint)
    await server.start()
    try:
        result = await bench(
            reactor,
            server_endpoint,
            "--clients",
            "200",
            "--senders",
            "20",
            "--rate",
            "50",
            "--duration",
            duration,
        )
        rows.append(load_row("latency, 200 clients / 50 msg/s", result))
    finally:
        await server.stop()

    print(f"{options.idle} idle clients", file=sys.stderr)
    server = Server(reactor, options.server, server_endpoint)
    pid = await server.start()
    try:
        result = await bench(
            reactor,
            server_endpoint,
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

    print(
        "| scenario | clients left | senders | msg/s | deliveries/s | loss | p50 ms"
        " | p99 ms | held | bench CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
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

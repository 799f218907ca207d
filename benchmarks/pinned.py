"""
What benchmarks/run.py and benchmarks/scaling.py share: servers started
pinned to core 0 (``taskset -c 0``), chatroom-bench runs pinned to core 1,
so the two never compete for a core; the rate ramp; the load table.

Our daemon (a ``chatroom`` command line) gets ``--max-per-ip 0
--connect-burst 0`` added unless the command sets them: every client comes
from this one host, which is just what those limits refuse.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import clientFromString, connectProtocol
from twisted.internet.protocol import ProcessProtocol, Protocol
from twisted.internet.task import deferLater
from twisted.internet.utils import getProcessOutputAndValue
from twisted.python.failure import Failure

ROOT = Path(__file__).resolve().parent.parent
# The result's types come from this checkout, as does the bench that is run.
sys.path.insert(0, str(ROOT))

from chat.bench.result import BenchResult, LoadFigures  # noqa: E402

BENCH = ["-c", "from chat.bench.main import main; main()"]
# The per-address limits off: thousands of clients from one host.
ONE_HOST = {"--max-per-ip": "0", "--connect-burst": "0"}
SERVER_CORE = "0"
BENCH_CORE = "1"
OUTPUT_KEPT = 4000
LOAD_HEADER = (
    "| scenario | clients left | senders | msg/s | deliveries/s | loss | p50 ms"
    " | p99 ms | held | bench CPU |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
)


def one_host(command: Sequence[str]) -> list[str]:
    """Our daemon's command line with the per-address limits off, unless it sets them."""
    command = list(command)
    if "chatroom" not in command:
        return command  # another server, such as the textbook one
    for option, value in ONE_HOST.items():
        if not any(arg == option or arg.startswith(option + "=") for arg in command):
            command += [option, value]
    return command


def environment(root: Path = ROOT) -> dict[str, str]:
    """Ours, with a checkout (this one) first on the path so ``twistd chatroom`` finds it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


class ServerProcess(ProcessProtocol):
    """The server under test: the tail of its output is kept, its end is awaited."""

    def __init__(self) -> None:
        self.ended: Deferred[None] = Deferred()
        self.output = b""

    def outReceived(self, data: bytes) -> None:
        self.output = (self.output + data)[-OUTPUT_KEPT:]

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(None)


async def wait_listening(
    reactor: Any, endpoint: str, timeout: float, gone: Callable[[], bool] = lambda: False
) -> None:
    """Connect until the server accepts, for at most ``timeout`` seconds or until it is gone."""
    deadline = reactor.seconds() + timeout
    while True:
        try:
            protocol = await connectProtocol(clientFromString(reactor, endpoint), Protocol())
        except Exception:
            if gone() or reactor.seconds() > deadline:
                raise
            await deferLater(reactor, 0.2, lambda: None)
        else:
            protocol.transport.abortConnection()
            return


class ServerFailed(Exception):
    """A server under test ended before it listened."""


class Server:
    """Start and stop one server process pinned to core 0."""

    def __init__(
        self, reactor: Any, command: Sequence[str], endpoint: str, root: Path = ROOT
    ) -> None:
        self.reactor = reactor
        self.command = list(command)
        self.endpoint = endpoint
        self.root = root  # the checkout whose daemon it runs
        self.protocol = ServerProcess()
        self.process: Any = None

    async def start(self) -> int:
        """Start it and wait until it accepts connections; its pid."""
        self.process = self.reactor.spawnProcess(
            self.protocol,
            "taskset",
            ["taskset", "-c", SERVER_CORE, *self.command],
            env=environment(self.root),
            path=str(self.root),
        )
        try:
            await wait_listening(
                self.reactor, self.endpoint, 30.0, lambda: self.protocol.ended.called
            )
        except Exception as error:
            await self.stop()
            output = self.protocol.output.decode("utf-8", "replace").strip()
            raise ServerFailed(
                f"{' '.join(self.command)} did not listen on {self.endpoint}"
                f" ({error or type(error).__name__}); its output:\n{output}"
            ) from None
        return int(self.process.pid)

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


async def bench(reactor: Any, endpoints: Sequence[str], *options: str) -> BenchResult:
    """One chatroom-bench run pinned to core 1; its result, read from its JSON."""
    connects = [arg for endpoint in endpoints for arg in ("--connect", endpoint)]
    out, err, code = await getProcessOutputAndValue(
        "taskset",
        ["-c", BENCH_CORE, sys.executable, *BENCH, "--json", *connects, *options],
        env=environment(),
        path=str(ROOT),
        reactor=reactor,
    )
    if code != 0 or not out.strip():
        raise RuntimeError(f"chatroom-bench failed ({code}): {err.decode()[-2000:]}")
    result = BenchResult.from_json(json.loads(out))
    print(f"  {' '.join(options)}: held={result.outcome.held}", file=sys.stderr)
    return result


def held(result: BenchResult) -> bool:
    """The bench's own verdict."""
    return result.outcome.held


async def ramp(
    reactor: Any,
    endpoints: Sequence[str],
    clients: int,
    senders: int,
    options: argparse.Namespace,
    *extra: str,
    accept: Callable[[BenchResult], bool] = held,
) -> list[BenchResult]:
    """From ``--start-rate``, double the rate until a step is not accepted (or ``--max-rate``)."""
    results = []
    rate = options.start_rate
    step = 0
    while rate <= options.max_rate:
        load = load_options(clients, senders, rate, options.duration)
        result = await bench(reactor, endpoints, *load, "--prefix", f"r{step}", *extra)
        results.append(result)
        if not accept(result) or result.outcome.still_connected < clients:
            break
        rate *= 2
        step += 1
    return results


def load_options(clients: int, senders: int, rate: float, duration: float) -> list[str]:
    """chatroom-bench's options for one load step."""
    return [
        *("--clients", str(clients), "--senders", str(senders)),
        *("--rate", f"{rate:g}", "--duration", str(duration)),
    ]


def latency_options(options: argparse.Namespace) -> list[str]:
    """The latency scenario: 200 clients, 20 senders, 50 msg/s."""
    return load_options(200, 20, 50, options.duration)


def load_cells(name: str, result: BenchResult) -> list[str]:
    """The cells of one row of the load table."""
    figures, outcome = result.figures, result.outcome
    assert isinstance(figures, LoadFigures), "a load scenario runs in load mode"
    latency = figures.latency_ms
    return [
        name,
        f"{outcome.still_connected}/{result.clients}",
        f"{figures.senders}",
        f"{figures.rate:g}",
        f"{figures.deliveries_per_second:,.0f}",
        f"{figures.loss * 100:.2f} %",
        "-" if latency.p50 is None else f"{latency.p50}",
        "-" if latency.p99 is None else f"{latency.p99}",
        "yes" if outcome.held else "no",
        f"{outcome.cpu_percent:.0f} %{' (!)' if outcome.bench_bottleneck else ''}",
    ]


def row(cells: Sequence[str]) -> str:
    """One markdown table row."""
    return "| " + " | ".join(cells) + " |"


def load_row(name: str, result: BenchResult) -> str:
    """One row of the load table."""
    return row(load_cells(name, result))

"""
chatroom-bench: a load generator for the chatroom line protocol.

It connects ``--clients`` clients (a bounded number connecting at once, so
the server's listen backlog never overflows), registers them as ``b00000``,
``b00001`` …, and has ``--senders`` of them send ``--rate`` messages per
second in total for ``--duration`` seconds. Sending is open-loop: a timer
works out how many messages are due by now and writes them, whatever the
server has delivered so far. Then it waits at most ``--drain`` seconds for
deliveries still in flight, sends ``/quit`` on every connection and reports.

Each message is ``MONOTONIC_NS PADDING``, ``--msg-size`` bytes in all, where
``MONOTONIC_NS`` is ``time.monotonic_ns()`` when it was written. On Linux
CLOCK_MONOTONIC is one clock for every process, so a receiver subtracts it
from its own ``monotonic_ns()`` to get the latency through the server.

The tool has to stay cheaper than the server it measures, so:

- Counting: a registered client only adds ``data.count(b"\\n")`` of every
  chunk it reads to a shared tally; lines are never split or decoded. Join
  lines from the registration storm are waited for (the ``online (N)`` line
  of each client says how many will follow) and subtracted before sending
  starts, so what is counted afterwards are the messages.
- Latency is sampled: a few receivers, spread evenly over the client list
  (and so over the server's broadcast order), split their chunks into lines
  and parse the timestamp of every message. Their number is chosen so that
  at most ``--sample-budget`` lines per second are parsed; every message of
  every sender is seen by each of them, so the sample has no bias towards
  early or late lines within a read.

``--idle N`` connects and registers N clients, holds them for
``--duration`` seconds, and with ``--pid`` reads the server's VmRSS before
and after. The soft open-files limit is raised to the hard limit first.

``--json`` prints one JSON object; on a terminal a progress line is
rewritten once a second; otherwise a plain summary is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred, DeferredSemaphore, gatherResults
from twisted.internet.endpoints import clientFromString, connectProtocol
from twisted.internet.interfaces import IReactorTime, IStreamClientEndpoint, ITCPTransport
from twisted.internet.protocol import Protocol, connectionDone
from twisted.internet.task import LoopingCall, deferLater, react
from twisted.python.failure import Failure

PROMPT = b"Please enter your name:"
ONLINE = re.compile(rb"^online \((\d+)\)")
NAME_PREFIX = re.compile(r"^[A-Za-z0-9_.-]{1,27}$")
# A parsed timestamp older than this is someone else's text, not a message
# of ours (e.g. "bob: 12 apples").
PLAUSIBLE_NS = 3600 * 10**9
MAX_SAMPLES = 2_000_000
HELD_LOSS = 0.05
HELD_P99_NS = 10**9
BUSY_CPU = 0.90
# The server's refusals of one address (docs/protocol.md §5): a benchmark
# from one host runs into them, and can't measure anything until they are off.
ADDRESS_REFUSALS = (
    "error: too many connections from your address",
    "error: too many new connections",
)
ADDRESS_ADVICE = (
    "chatroom-bench: the server refused a connection from this address ({line});"
    " for a benchmark from one host, start it with --max-per-ip 0 --connect-burst 0"
)


class RegistrationError(Exception):
    """The server refused a name, or closed before accepting it."""


def count_lines(data: bytes) -> int:
    """Lines completed by ``data``: one C-level scan, no splitting."""
    return data.count(b"\n")


def percentile(ordered: Sequence[int], fraction: float) -> int:
    """
    Nearest-rank percentile of an already sorted sequence.

    Nearest rank returns a value that was observed, so ``p99`` of a hundred
    samples is the 99th, not an interpolation towards the maximum.
    """
    if not ordered:
        raise ValueError("no samples")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction out of range: {fraction}")
    # The small slack keeps 0.07 * 100 (7.000000000000001) at rank 7.
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[max(rank, 1) - 1]


def make_message(timestamp_ns: int, size: int) -> bytes:
    """One message line: the timestamp, a space, padding up to ``size`` bytes."""
    stamp = b"%d" % timestamp_ns
    padding = size - len(stamp) - 1
    if padding <= 0:
        return stamp + b"\n"
    return stamp + b" " + b"x" * padding + b"\n"


def parse_latencies(lines: Sequence[bytes], now_ns: int, out: list[int]) -> None:
    """Append ``now_ns - timestamp`` for each ``NAME: TIMESTAMP …`` line."""
    for line in lines:
        start = line.find(b": ")
        if start < 0:
            continue
        start += 2
        end = line.find(b" ", start)
        try:
            sent = int(line[start:end] if end > 0 else line[start:])
        except ValueError:
            continue
        delay = now_ns - sent
        if 0 <= delay < PLAUSIBLE_NS:
            out.append(delay)


def read_rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, or None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one; thousands of clients need it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def cpu_seconds() -> float:
    """User plus system CPU time used by this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Tally:
    """Counters shared by every client: one attribute add per chunk read."""

    __slots__ = ("latencies", "lines")

    def __init__(self) -> None:
        self.lines = 0
        self.latencies: list[int] = []


class BenchClient(Protocol):
    """
    One simulated user: answers the prompt, then only counts lines.

    ``registered`` fires with the N of the ``online (N)`` line (how many
    were online, this client included), or fails with RegistrationError.
    ``closed`` fires when the connection is gone.
    """

    __slots__ = (
        "buffer",
        "closed",
        "name",
        "now_ns",
        "online",
        "partial",
        "registered",
        "registering",
        "sampling",
        "tally",
    )
    # Connected by a stream client endpoint: the transports of TCP, TLS and
    # UNIX sockets all provide ITCPTransport, abortConnection included (the
    # tests' StringTransport has the write and abortConnection used here).
    transport: ITCPTransport | None

    def __init__(
        self,
        name: str,
        tally: Tally,
        now_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.name = name
        self.tally = tally
        self.now_ns = now_ns
        self.buffer = b""
        self.partial = b""
        self.registering = True
        self.sampling = False
        self.online = 0
        self.registered: Deferred[int] = Deferred()
        self.closed: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        if self.registering:
            self._register(data)
            return
        tally = self.tally
        tally.lines += data.count(b"\n")
        if self.sampling:
            lines = (self.partial + data).split(b"\n")
            self.partial = lines.pop()
            if len(tally.latencies) < MAX_SAMPLES:
                parse_latencies(lines, self.now_ns(), tally.latencies)

    def _register(self, data: bytes) -> None:
        """Line by line until the online list: only a handful of lines."""
        self.buffer += data
        while self.registering:
            if self.buffer.startswith(PROMPT):
                # The prompt may come without a line end, as input() prompts do.
                self.buffer = self.buffer[len(PROMPT) :].lstrip(b"\r\n")
                self.link().write(self.name.encode("ascii") + b"\n")
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                return
            line = self.buffer[:end].rstrip(b"\r")
            self.buffer = self.buffer[end + 1 :]
            if line.startswith(b"error: "):
                self.registering = False
                self.registered.errback(RegistrationError(line.decode("utf-8", "replace")))
                self.link().abortConnection()
                return
            found = ONLINE.match(line)
            if found:
                self.registering = False
                self.online = int(found[1])
                rest, self.buffer = self.buffer, b""
                self.registered.callback(self.online)
                if rest:
                    self.dataReceived(rest)

    def link(self) -> ITCPTransport:
        """The transport, there from the connection on (it is never unset)."""
        assert self.transport is not None, f"{self.name}: not connected"
        return self.transport

    def send_message(self, message: bytes) -> None:
        """Write one message line; the caller already built it."""
        self.link().write(message)

    def quit(self) -> None:
        """Leave politely, as a user typing ``/quit`` would."""
        self.link().write(b"/quit\n")

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        # Transports do not reset it, and the run counts who is still here.
        self.connected = 0
        if self.registering:
            self.registering = False
            self.registered.errback(RegistrationError(f"{self.name}: closed before registration"))
        self.closed.callback(None)


def wait_until(
    clock: IReactorTime,
    predicate: Callable[[], bool],
    timeout: float,
    interval: float = 0.05,
) -> Deferred[bool]:
    """Fire True once ``predicate()`` holds, or False after ``timeout`` seconds."""
    result: Deferred[bool] = Deferred()
    deadline = clock.seconds() + timeout

    def check() -> None:
        if predicate():
            poll.stop()
            result.callback(True)
        elif clock.seconds() >= deadline:
            poll.stop()
            result.callback(False)

    poll = LoopingCall(check)
    poll.clock = clock
    poll.start(interval, now=True)
    return result


class Pacer:
    """
    Open-loop sender: at each tick, writes every message due by now.

    Messages go round-robin over the senders; replies are never waited for,
    so a slow server shows up as latency and loss, not as a lower rate.
    """

    def __init__(
        self,
        clock: IReactorTime,
        senders: Sequence[BenchClient],
        rate: float,
        duration: float,
        msg_size: int,
        now_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.clock = clock
        self.senders = list(senders)
        self.rate = rate
        self.duration = duration
        self.msg_size = msg_size
        self.now_ns = now_ns
        self.scheduled = 0
        self.sent = 0
        self.max_lag = 0.0
        self.started = 0.0
        self.done: Deferred[None] = Deferred()
        self._loop = LoopingCall(self._tick)
        self._loop.clock = clock

    def start(self) -> Deferred[None]:
        """Start sending; the result fires once ``duration`` has passed."""
        self.started = self.clock.seconds()
        interval = max(0.001, min(0.01, 1.0 / self.rate)) if self.rate > 0 else 0.01
        self._loop.start(interval, now=True)
        return self.done

    def elapsed(self) -> float:
        return self.clock.seconds() - self.started

    def _tick(self) -> None:
        elapsed = min(self.elapsed(), self.duration)
        due = int(elapsed * self.rate)
        if due > self.scheduled and self.rate > 0:
            lag = elapsed - (self.scheduled + 1) / self.rate
            self.max_lag = max(self.max_lag, lag)
        senders = self.senders
        count = len(senders)
        while self.scheduled < due:
            sender = senders[self.scheduled % count]
            self.scheduled += 1
            if sender.connected:
                sender.send_message(make_message(self.now_ns(), self.msg_size))
                self.sent += 1
        if elapsed >= self.duration:
            self._loop.stop()
            self.done.callback(None)


def pick_spread(items: Sequence[Any], count: int) -> list[Any]:
    """``count`` items spread evenly over ``items`` (first and last included)."""
    total = len(items)
    count = max(0, min(count, total))
    if count == 0:
        return []
    if count == 1:
        return [items[0]]
    return [items[round(i * (total - 1) / (count - 1))] for i in range(count)]


def sampler_count(rate: float, receivers: int, budget: float) -> int:
    """How many receivers may parse every line within ``budget`` lines/s."""
    if rate <= 0:
        return min(1, receivers)
    return max(1, min(receivers, int(budget // rate)))


@dataclass
class Run:
    """What a run has done so far, for the progress line and the report."""

    options: argparse.Namespace
    tally: Tally = field(default_factory=Tally)
    phase: str = "connect"
    clients: list[BenchClient] = field(default_factory=list)
    error: str | None = None
    pacer: Pacer | None = None
    baseline: int = 0
    refused: str | None = None  # the server's refusal of this address, if any


async def connect_all(reactor: Any, endpoint: IStreamClientEndpoint, run: Run) -> None:
    """Connect and register every client, a bounded number at a time."""
    options = run.options
    semaphore = DeferredSemaphore(options.concurrency)

    async def one(index: int) -> None:
        if run.error is not None:
            return
        client = BenchClient(f"{options.prefix}{index:05d}", run.tally)
        try:
            connecting = connectProtocol(endpoint, client)
            connecting.addTimeout(options.connect_timeout, reactor)
            await connecting
            registering = client.registered
            registering.addTimeout(options.connect_timeout, reactor)
            await registering
        except Exception as error:  # any failure stops further attempts
            if run.error is None:
                run.error = f"{client.name}: {error or type(error).__name__}"
            if isinstance(error, RegistrationError) and str(error).startswith(ADDRESS_REFUSALS):
                run.refused = str(error)
            if client.transport is not None and client.connected:
                client.transport.abortConnection()
            return
        run.clients.append(client)

    def job(index: int) -> Deferred[None]:
        return Deferred.fromCoroutine(one(index))

    await gatherResults(
        [semaphore.run(job, index) for index in range(options.clients)],
        consumeErrors=True,
    )


async def quit_all(reactor: Any, clients: Sequence[BenchClient], timeout: float) -> None:
    """``/quit`` everywhere, wait a bounded time, then cut whatever is left."""
    for client in clients:
        if client.connected:
            client.quit()
    await wait_until(reactor, lambda: not any(c.connected for c in clients), timeout, 0.1)
    for client in clients:
        if client.connected:
            client.link().abortConnection()


def progress_text(run: Run) -> str:
    """The one-line status shown on a terminal."""
    options = run.options
    text = (
        f"{run.phase:<8} clients {len(run.clients)}/{options.clients}"
        f"  lines {run.tally.lines - run.baseline}"
    )
    pacer = run.pacer
    if pacer is not None:
        text += f"  sent {pacer.sent}  t {min(pacer.elapsed(), pacer.duration):.0f}s"
    return text


async def bench(
    reactor: Any,
    options: argparse.Namespace,
    endpoint: IStreamClientEndpoint | None = None,
) -> dict[str, Any]:
    """
    Run one benchmark and return its results; stop with one line of advice
    (SystemExit) if the server refuses this many connections from one address.
    """
    nofile = raise_open_files_limit()
    if endpoint is None:
        endpoint = clientFromString(reactor, options.connect)
    run = Run(options)
    tty = sys.stdout.isatty() and not options.json
    progress = None
    if tty:

        def show() -> None:
            sys.stdout.write("\r" + progress_text(run).ljust(78))
            sys.stdout.flush()

        progress = LoopingCall(show)
        progress.clock = reactor
        progress.start(1.0, now=False)

    rss_before = read_rss_kib(options.pid) if options.pid else None
    wall_start = reactor.seconds()
    cpu_start = cpu_seconds()
    await connect_all(reactor, endpoint, run)
    if run.refused is not None:
        await quit_all(reactor, run.clients, options.quit_timeout)
        if progress is not None:
            progress.stop()
            sys.stdout.write("\r" + " " * 78 + "\r")
        raise SystemExit(ADDRESS_ADVICE.format(line=run.refused))
    connect_seconds = reactor.seconds() - wall_start
    clients = run.clients
    # Registration order is the server's broadcast order, near enough.
    clients.sort(key=lambda c: c.online)
    registered = len(clients)

    result: dict[str, Any] = {
        "mode": "idle" if options.idle else "load",
        "endpoint": options.connect,
        "clients": options.clients,
        "connected": registered,
        "connect_seconds": round(connect_seconds, 3),
        "open_files_limit": nofile,
    }
    if run.error:
        result["error"] = run.error

    if registered:
        run.phase = "settle"
        final = max(c.online for c in clients)
        joins = sum(final - c.online for c in clients)
        result["settled"] = await wait_until(
            reactor, lambda: run.tally.lines >= joins, options.settle
        )

    if options.idle:
        run.phase = "hold"
        if registered:
            await deferLater(reactor, options.duration, lambda: None)
        still = sum(1 for c in clients if c.connected)
        rss_after = read_rss_kib(options.pid) if options.pid else None
        wall = reactor.seconds() - wall_start
        cpu = (cpu_seconds() - cpu_start) / wall if wall > 0 else 0.0
        result.update(
            hold_seconds=options.duration,
            still_connected=still,
            cpu_percent=round(cpu * 100, 1),
            bench_bottleneck=cpu >= BUSY_CPU,
            held=still == options.clients,
        )
        if options.pid:
            result["server_rss_kib_before"] = rss_before
            result["server_rss_kib_after"] = rss_after
            if rss_before is not None and rss_after is not None and registered:
                result["server_kib_per_client"] = round((rss_after - rss_before) / registered, 2)
    else:
        senders = clients[: min(options.senders, registered)]
        samplers = pick_spread(
            clients, sampler_count(options.rate, registered, options.sample_budget)
        )
        for client in samplers:
            client.sampling = True
        run.baseline = run.tally.lines
        run.phase = "send"
        load_start = reactor.seconds()
        cpu_start = cpu_seconds()
        sent = 0
        max_lag = 0.0
        expected = 0
        if senders:
            run.pacer = Pacer(reactor, senders, options.rate, options.duration, options.msg_size)
            await run.pacer.start()
            sent, max_lag = run.pacer.sent, run.pacer.max_lag
            expected = sent * (registered - 1)
            run.phase = "drain"
            await wait_until(
                reactor,
                lambda: run.tally.lines - run.baseline >= expected,
                options.drain,
                0.02,
            )
        load_seconds = reactor.seconds() - load_start
        cpu = (cpu_seconds() - cpu_start) / load_seconds if load_seconds > 0 else 0.0
        received = run.tally.lines - run.baseline
        still = sum(1 for c in clients if c.connected)
        loss = max(0.0, 1 - received / expected) if expected else 0.0
        latencies = sorted(run.tally.latencies)
        latency: dict[str, Any] = {
            "samples": len(latencies),
            "receivers": len(samplers),
        }
        if latencies:
            for label, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
                latency[label] = round(percentile(latencies, fraction) / 1e6, 3)
            latency["max"] = round(latencies[-1] / 1e6, 3)
        p99_ok = bool(latencies) and percentile(latencies, 0.99) < HELD_P99_NS
        result.update(
            senders=len(senders),
            rate=options.rate,
            duration=options.duration,
            msg_size=options.msg_size,
            sent=sent,
            max_send_lag_ms=round(max_lag * 1000, 3),
            expected=expected,
            received=received,
            load_seconds=round(load_seconds, 3),
            deliveries_per_second=round(received / load_seconds, 1) if load_seconds > 0 else 0.0,
            loss=round(loss, 6),
            latency_ms=latency,
            still_connected=still,
            cpu_percent=round(cpu * 100, 1),
            bench_bottleneck=cpu >= BUSY_CPU,
            held=(
                still == options.clients
                and expected > 0
                and abs(received - expected) <= HELD_LOSS * expected
                and p99_ok
            ),
        )

    run.phase = "quit"
    await quit_all(reactor, clients, options.quit_timeout)
    if progress is not None:
        progress.stop()
        sys.stdout.write("\r" + " " * 78 + "\r")
    return result


def format_summary(result: dict[str, Any]) -> str:
    """The plain-text report for people."""
    rows = [
        (
            "clients",
            f"{result['connected']}/{result['clients']} connected"
            f" in {result['connect_seconds']:.2f} s",
        )
    ]
    if result.get("error"):
        rows.append(("error", result["error"]))
    if not result["connected"]:
        rows.append(("verdict", "NOT held"))
        return "\n".join(f"{label:<12}{value}" for label, value in rows)
    if result["mode"] == "idle":
        rows.append(("held for", f"{result['hold_seconds']:g} s"))
        rows.append(("connected", f"{result['still_connected']} at the end"))
        if "server_rss_kib_before" in result:
            rows.append(
                (
                    "server rss",
                    f"{result['server_rss_kib_before']} KiB before,"
                    f" {result['server_rss_kib_after']} KiB after",
                )
            )
        if "server_kib_per_client" in result:
            rows.append(("per client", f"{result['server_kib_per_client']} KiB"))
    else:
        rows += [
            (
                "load",
                f"{result['senders']} senders, {result['rate']:g} msg/s for"
                f" {result['duration']:g} s, {result['msg_size']}-byte messages",
            ),
            ("sent", f"{result['sent']} (max lag {result['max_send_lag_ms']} ms)"),
            ("expected", str(result["expected"])),
            (
                "received",
                f"{result['received']} ({result['deliveries_per_second']:.0f} deliveries/s)",
            ),
            ("loss", f"{result['loss'] * 100:.2f} %"),
        ]
        latency = result["latency_ms"]
        if "p50" in latency:
            rows.append(
                (
                    "latency",
                    f"p50 {latency['p50']} ms  p90 {latency['p90']} ms"
                    f"  p99 {latency['p99']} ms  max {latency['max']} ms"
                    f"  ({latency['samples']} samples on"
                    f" {latency['receivers']} receivers)",
                )
            )
        else:
            rows.append(("latency", "no samples"))
        rows.append(("connected", f"{result['still_connected']} at the end"))
    rows.append(("bench cpu", f"{result['cpu_percent']:.0f} % of one core"))
    rows.append(("verdict", "held" if result["held"] else "NOT held"))
    text = "\n".join(f"{label:<12}{value}" for label, value in rows)
    if result["bench_bottleneck"]:
        text += (
            "\nwarning: the benchmark itself used "
            f"{result['cpu_percent']:.0f} % of a core; it may be the bottleneck,"
            " not the server (pin it to its own core, or run fewer clients)"
        )
    return text


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def name_prefix(text: str) -> str:
    if not NAME_PREFIX.match(text):
        raise argparse.ArgumentTypeError(f"not usable in a name: {text!r}")
    return text


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options; ``--idle N`` is ``--clients N`` without senders."""
    parser = argparse.ArgumentParser(
        prog="chatroom-bench",
        description="Load generator for the chatroom line protocol.",
    )
    add = parser.add_argument
    add(
        "--connect",
        default="tcp:host=127.0.0.1:port=5050",
        help="client endpoint description (default: %(default)s)",
    )
    add("--clients", type=positive_int, default=50, help="clients to connect")
    add("--senders", type=int, default=10, help="clients that send")
    add(
        "--rate",
        type=non_negative_float,
        default=100.0,
        help="messages per second across all senders",
    )
    add(
        "--duration",
        type=non_negative_float,
        default=10.0,
        help="seconds of sending (or of holding, with --idle)",
    )
    add("--msg-size", type=positive_int, default=64, help="bytes per message")
    add(
        "--drain",
        type=non_negative_float,
        default=10.0,
        help="most seconds to wait for deliveries after sending stops",
    )
    add(
        "--idle",
        type=positive_int,
        metavar="N",
        help="connect and hold N clients; no messages",
    )
    add("--pid", type=positive_int, help="server process id, for its memory use")
    add("--json", action="store_true", help="print one JSON object")
    add("--prefix", type=name_prefix, default="b", help="client name prefix")
    add(
        "--concurrency",
        type=positive_int,
        default=50,
        help="connections being set up at once",
    )
    add(
        "--connect-timeout",
        type=non_negative_float,
        default=30.0,
        help="seconds for one client to connect and register",
    )
    add(
        "--settle",
        type=non_negative_float,
        default=30.0,
        help="most seconds to wait for join lines before measuring",
    )
    add(
        "--quit-timeout",
        type=non_negative_float,
        default=10.0,
        help="most seconds to wait for the server to close after /quit",
    )
    add(
        "--sample-budget",
        type=positive_int,
        default=20000,
        help="lines per second parsed for latency",
    )
    options = parser.parse_args(argv)
    if options.idle:
        options.clients = options.idle
    if options.senders < 0:
        parser.error("--senders must not be negative")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``chatroom-bench`` console script."""
    options = parse_arguments(sys.argv[1:] if argv is None else argv)

    async def run(reactor: Any) -> None:
        result = await bench(reactor, options)
        if options.json:
            print(json.dumps(result))
        else:
            print(format_summary(result))
        if not result["connected"]:
            raise SystemExit(1)

    react(run)


if __name__ == "__main__":
    main()

"""
The crowd of clients of one run: its state, connecting and registering
every client (a bounded number at once, so the server's listen backlog
never overflows; client ``i`` through endpoint ``i`` modulo their number),
choosing its senders (as evenly over the endpoints), and sending them all
away with ``/quit``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred, DeferredSemaphore, gatherResults
from twisted.internet.endpoints import connectProtocol
from twisted.internet.interfaces import IReactorTime, IStreamClientEndpoint
from twisted.internet.task import LoopingCall

from chat.bench.client import BenchClient, RegistrationError
from chat.bench.measure import Tally
from chat.bench.pacing import Pacer

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


@dataclass
class Run:
    """What a run has done so far, for the progress line and the result."""

    options: argparse.Namespace
    tally: Tally = field(default_factory=Tally)
    phase: str = "connect"
    clients: list[BenchClient] = field(default_factory=list)
    error: str | None = None
    pacer: Pacer | None = None
    baseline: int = 0
    refused: str | None = None  # the server's refusal of this address, if any


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


async def connect_all(reactor: Any, endpoints: Sequence[IStreamClientEndpoint], run: Run) -> None:
    """Connect and register every client, a bounded number at a time."""
    options = run.options
    semaphore = DeferredSemaphore(options.concurrency)

    async def one(index: int) -> None:
        if run.error is not None:
            return
        via = index % len(endpoints)
        client = BenchClient(f"{options.prefix}{index:05d}", run.tally, via=via)
        try:
            connecting = connectProtocol(endpoints[via], client)
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


def pick_senders(clients: Sequence[BenchClient], count: int) -> list[BenchClient]:
    """The first ``count`` clients, taken in turn from each endpoint's."""
    queues: dict[int, list[BenchClient]] = {}
    for client in clients:
        queues.setdefault(client.via, []).append(client)
    turns = [queues[via] for via in sorted(queues)]
    picked: list[BenchClient] = []
    depth = 0
    while len(picked) < count and any(depth < len(queue) for queue in turns):
        picked += [queue[depth] for queue in turns if depth < len(queue)]
        depth += 1
    return picked[:count]


async def quit_all(reactor: Any, clients: Sequence[BenchClient], timeout: float) -> None:
    """``/quit`` everywhere, wait a bounded time, then cut whatever is left."""
    for client in clients:
        if client.connected:
            client.quit()
    await wait_until(reactor, lambda: not any(c.connected for c in clients), timeout, 0.1)
    for client in clients:
        if client.connected:
            client.link().abortConnection()


def still_connected(clients: Sequence[BenchClient]) -> int:
    """How many of ``clients`` are still connected."""
    return sum(1 for c in clients if c.connected)

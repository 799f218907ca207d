"""
One run, phase by phase: connect and register every client, wait for the
join lines of the registration storm to arrive (each client's ``online
(N)`` line says how many will follow; they are subtracted so that what is
counted afterwards are the messages), then send (or, with ``--idle``, hold),
then ``/quit`` everywhere. The soft open-files limit is raised first. With
``--check-order``, what the clients read while the run sends is checked
afterwards (``chat.bench.order``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twisted.internet.endpoints import clientFromString
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.task import deferLater

from chat.bench.arrival import stamp_arrivals
from chat.bench.client import BenchClient
from chat.bench.crowd import (
    ADDRESS_ADVICE,
    Run,
    connect_all,
    pick_senders,
    quit_all,
    still_connected,
    wait_until,
)
from chat.bench.measure import (
    cpu_seconds,
    percentile,
    pick_spread,
    read_rss_kib,
    sampler_count,
)
from chat.bench.order import OrderFigures, Stream, check_order, new_ids
from chat.bench.pacing import Pacer
from chat.bench.result import (
    BenchResult,
    IdleFigures,
    Latency,
    LoadFigures,
    Outcome,
    ServerMemory,
)
from chat.openfiles import raise_open_files_limit

HELD_LOSS = 0.05
HELD_P99_NS = 10**9
BUSY_CPU = 0.90


def cpu_share(cpu_start: float, seconds: float) -> float:
    """This process's CPU time since ``cpu_start``, as a share of ``seconds``."""
    return (cpu_seconds() - cpu_start) / seconds if seconds > 0 else 0.0


async def hold(
    reactor: Any, run: Run, rss_before: int | None, wall_start: float, cpu_start: float
) -> tuple[IdleFigures, Outcome]:
    """Hold the idle clients for ``--duration`` and read the server's memory."""
    options = run.options
    clients = run.clients
    run.phase = "hold"
    if clients:
        await deferLater(reactor, options.duration, lambda: None)
    still = still_connected(clients)
    memory = None
    if options.pid:
        rss_after = read_rss_kib(options.pid)
        per_client = None
        if rss_before is not None and rss_after is not None and clients:
            per_client = round((rss_after - rss_before) / len(clients), 2)
        memory = ServerMemory(rss_before, rss_after, per_client)
    cpu = cpu_share(cpu_start, reactor.seconds() - wall_start)
    outcome = Outcome(still, round(cpu * 100, 1), cpu >= BUSY_CPU, still == options.clients)
    return IdleFigures(options.duration, memory), outcome


async def send(reactor: Any, run: Run) -> tuple[LoadFigures, Outcome]:
    """Send at ``--rate`` for ``--duration``, then wait for the deliveries."""
    options = run.options
    clients = run.clients
    registered = len(clients)
    senders = pick_senders(clients, options.senders)
    samplers = pick_spread(clients, sampler_count(options.rate, registered, options.sample_budget))
    stamped = 0
    for client in samplers:
        client.sampling = True
        stamped += stamp_arrivals(client, client.transport)
    if options.check_order:
        start_checking(clients, [*senders, *samplers])
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
            reactor, lambda: run.tally.lines - run.baseline >= expected, options.drain, 0.02
        )
    load_seconds = reactor.seconds() - load_start
    cpu = cpu_share(cpu_start, load_seconds)
    order = None
    if options.check_order:  # after the timing: the check is not the load
        order = stop_checking(clients, senders, run.pacer)
    received = run.tally.lines - run.baseline
    still = still_connected(clients)
    loss = max(0.0, 1 - received / expected) if expected else 0.0
    latencies = sorted(run.tally.latencies)
    figures = LoadFigures(
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
        latency_ms=Latency.of(latencies, len(samplers), stamped),
        order=order,
    )
    p99_ok = bool(latencies) and percentile(latencies, 0.99) < HELD_P99_NS
    held = (
        still == options.clients
        and expected > 0
        and abs(received - expected) <= HELD_LOSS * expected
        and p99_ok
    )
    return figures, Outcome(still, round(cpu * 100, 1), cpu >= BUSY_CPU, held)


def start_checking(clients: Sequence[BenchClient], recorders: Sequence[BenchClient]) -> None:
    """Every client counts and hashes what it reads; ``recorders`` and the
    first client of each endpoint also record the messages' numbers."""
    firsts: dict[int, BenchClient] = {}
    for client in clients:
        firsts.setdefault(client.via, client)
        client.checking = True
    for client in [*recorders, *firsts.values()]:
        client.ids = new_ids()


def stop_checking(
    clients: Sequence[BenchClient], senders: Sequence[BenchClient], pacer: Pacer | None
) -> OrderFigures:
    """Stop counting, and check what the clients still connected read."""
    number = {client: index for index, client in enumerate(senders)}
    streams = []
    for client in clients:
        client.checking = False
        if client.connected:
            own = number.get(client)
            streams.append(Stream(client.name, own, client.received, client.crc, client.ids))
        client.ids = None
    scheduled = pacer.scheduled if pacer else 0
    skipped = pacer.skipped if pacer else []
    return check_order(streams, scheduled, skipped, [c.name for c in senders])


async def bench(
    reactor: Any, run: Run, endpoints: Sequence[IStreamClientEndpoint] | None = None
) -> BenchResult:
    """
    Run one benchmark and return its result; stop with one line of advice
    (SystemExit) if the server refuses this many connections from one address.
    """
    options = run.options
    nofile = raise_open_files_limit()
    if endpoints is None:
        endpoints = [clientFromString(reactor, each) for each in options.connect]
    rss_before = read_rss_kib(options.pid) if options.pid else None
    wall_start = reactor.seconds()
    cpu_start = cpu_seconds()
    await connect_all(reactor, endpoints, run)
    if run.refused is not None:
        await quit_all(reactor, run.clients, options.quit_timeout)
        raise SystemExit(ADDRESS_ADVICE.format(line=run.refused))
    connect_seconds = reactor.seconds() - wall_start
    clients = run.clients
    # Registration order is the server's broadcast order, near enough.
    clients.sort(key=lambda c: c.online)
    settled = None
    if clients:
        run.phase = "settle"
        final = max(c.online for c in clients)
        joins = sum(final - c.online for c in clients)
        settled = await wait_until(reactor, lambda: run.tally.lines >= joins, options.settle)
    figures: LoadFigures | IdleFigures
    if options.idle:
        figures, outcome = await hold(reactor, run, rss_before, wall_start, cpu_start)
    else:
        figures, outcome = await send(reactor, run)
    run.phase = "quit"
    await quit_all(reactor, clients, options.quit_timeout)
    return BenchResult(
        endpoint=" ".join(options.connect),
        clients=options.clients,
        connected=len(clients),
        connect_seconds=round(connect_seconds, 3),
        open_files_limit=nofile,
        figures=figures,
        outcome=outcome,
        error=run.error,
        settled=settled,
    )

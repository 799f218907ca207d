"""What people see: the plain-text summary, and the progress line on a terminal."""

from __future__ import annotations

from chat.bench.crowd import Run
from chat.bench.result import BenchResult, IdleFigures


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


def format_summary(result: BenchResult) -> str:
    """The plain-text report for people."""
    rows = [
        (
            "clients",
            f"{result.connected}/{result.clients} connected in {result.connect_seconds:.2f} s",
        )
    ]
    if result.error:
        rows.append(("error", result.error))
    if not result.connected:
        rows.append(("verdict", "NOT held"))
        return "\n".join(f"{label:<12}{value}" for label, value in rows)
    figures = result.figures
    outcome = result.outcome
    if isinstance(figures, IdleFigures):
        rows.append(("held for", f"{figures.hold_seconds:g} s"))
        rows.append(("connected", f"{outcome.still_connected} at the end"))
        memory = figures.memory
        if memory is not None:
            rows.append(
                (
                    "server rss",
                    f"{memory.rss_kib_before} KiB before, {memory.rss_kib_after} KiB after",
                )
            )
            if memory.kib_per_client is not None:
                rows.append(("per client", f"{memory.kib_per_client} KiB"))
    else:
        rows += [
            (
                "load",
                f"{figures.senders} senders, {figures.rate:g} msg/s for"
                f" {figures.duration:g} s, {figures.msg_size}-byte messages",
            ),
            ("sent", f"{figures.sent} (max lag {figures.max_send_lag_ms} ms)"),
            ("expected", str(figures.expected)),
            (
                "received",
                f"{figures.received} ({figures.deliveries_per_second:.0f} deliveries/s)",
            ),
            ("loss", f"{figures.loss * 100:.2f} %"),
        ]
        latency = figures.latency_ms
        if latency.p50 is not None:
            rows.append(
                (
                    "latency",
                    f"p50 {latency.p50} ms  p90 {latency.p90} ms"
                    f"  p99 {latency.p99} ms  max {latency.highest} ms"
                    f"  ({latency.samples} samples on"
                    f" {latency.receivers} receivers, {latency.stamped} timed"
                    " as their socket got them)",
                )
            )
        else:
            rows.append(("latency", "no samples"))
        order = figures.order
        if order is not None:
            rows.append(
                (
                    "order",
                    f"{order.order}; lost {order.lost}, duplicated {order.duplicated},"
                    f" echoed {order.echoed} ({order.clients} clients,"
                    f" {order.recorded} recorded)",
                )
            )
        rows.append(("connected", f"{outcome.still_connected} at the end"))
    rows.append(("bench cpu", f"{outcome.cpu_percent:.0f} % of one core"))
    rows.append(("verdict", "held" if outcome.held else "NOT held"))
    text = "\n".join(f"{label:<12}{value}" for label, value in rows)
    if outcome.bench_bottleneck:
        text += (
            "\nwarning: the benchmark itself used "
            f"{outcome.cpu_percent:.0f} % of a core; it may be the bottleneck,"
            " not the server (pin it to its own core, or run fewer clients)"
        )
    return text

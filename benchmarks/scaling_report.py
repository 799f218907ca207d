"""
What benchmarks/scaling.py measured in one run, and the table of its
targets: the ``--redis`` daemon's held rate against the standalone one's
(≥ 80 %), its p99 latency against the standalone one's (within 2 ms), and
two daemons' held rate with every line to everyone in one order (≥ 3,200).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chat.bench.result import BenchResult, LoadFigures

RATE_SHARE = 0.80
P99_SLACK_MS = 2.0
TWO_DAEMONS_RATE = 3200
STANDALONE = "standalone"
REDIS = "--redis"


def highest_held(results: Sequence[BenchResult], accept: Callable[[BenchResult], bool]) -> float:
    """The highest rate of a ramp's accepted steps; 0 if none was."""
    rates = [r.figures.rate for r in results if isinstance(r.figures, LoadFigures) and accept(r)]
    return max(rates, default=0.0)


def p99(result: BenchResult) -> float | None:
    figures = result.figures
    return figures.latency_ms.p99 if isinstance(figures, LoadFigures) else None


@dataclass
class Measured:
    """One run's table rows and the figures its targets are judged on."""

    run: int
    rows: list[str] = field(default_factory=list)
    order_rows: list[str] = field(default_factory=list)
    held_rate: dict[str, float] = field(default_factory=dict)
    p99_ms: dict[str, float | None] = field(default_factory=dict)
    two_rate: float = 0.0
    two_order: str = "-"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def summary_row(measured: Measured) -> str:
    """One run's row of the targets table; ``-`` where a scenario did not run."""
    alone = measured.held_rate.get(STANDALONE, 0.0)
    cells = [f"{measured.run}", f"{alone:,.0f}"]
    if REDIS in measured.held_rate:
        redis = measured.held_rate[REDIS]
        share = redis / alone if alone else 0.0
        cells += [f"{redis:,.0f}", f"{share * 100:.0f} % ({verdict(share >= RATE_SHARE)})"]
    else:
        cells += ["-", "-"]
    base, other = measured.p99_ms.get(STANDALONE), measured.p99_ms.get(REDIS)
    cells.append("-" if base is None else f"{base}")
    if base is not None and other is not None:
        slack = other - base
        cells += [f"{other}", f"{slack:+.2f} ({verdict(slack <= P99_SLACK_MS)})"]
    else:
        cells += ["-", "-"]
    two_ok = measured.two_rate >= TWO_DAEMONS_RATE
    cells += [f"{measured.two_rate:,.0f} ({verdict(two_ok)})", measured.two_order]
    return "| " + " | ".join(cells) + " |"


def summary(runs: Sequence[Measured]) -> str:
    """The targets table, one row per run."""
    header = (
        "| run | standalone held msg/s | --redis held msg/s | share (≥ 80 %)"
        " | standalone p99 ms | --redis p99 ms | difference (≤ +2 ms)"
        " | two daemons held msg/s, one order (≥ 3,200) | order at the last step |\n"
        "|---:|---:|---:|---|---:|---:|---|---|---|"
    )
    return "\n".join([header, *(summary_row(measured) for measured in runs)])

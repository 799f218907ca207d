"""
The result of one run, typed, and its JSON form (``--json``).

``BenchResult.to_json`` gives the object ``--json`` prints, key for key and
in the same order as ever, so scripts that read it keep working;
``BenchResult.from_json`` reads it back (``benchmarks/run.py`` does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from chat.bench.measure import percentile
from chat.bench.order import OrderFigures


def _ms(nanoseconds: int) -> float:
    return round(nanoseconds / 1e6, 3)


@dataclass(frozen=True)
class Latency:
    """Delivery latency in milliseconds, over the sampling receivers' lines."""

    samples: int
    receivers: int
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    highest: float | None = None
    # Receivers whose lines were timed as their socket got them
    # (chat.bench.arrival); the others, as the bench read them.
    stamped: int = 0

    @classmethod
    def of(cls, ordered_ns: Sequence[int], receivers: int, stamped: int = 0) -> Latency:
        """The summary of sorted latencies in nanoseconds."""
        if not ordered_ns:
            return cls(0, receivers, stamped=stamped)
        return cls(
            samples=len(ordered_ns),
            receivers=receivers,
            stamped=stamped,
            p50=_ms(percentile(ordered_ns, 0.5)),
            p90=_ms(percentile(ordered_ns, 0.9)),
            p99=_ms(percentile(ordered_ns, 0.99)),
            highest=_ms(ordered_ns[-1]),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"samples": self.samples, "receivers": self.receivers}
        if self.p50 is not None:
            out.update(p50=self.p50, p90=self.p90, p99=self.p99, max=self.highest)
        out["stamped"] = self.stamped
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Latency:
        return cls(
            samples=int(data["samples"]),
            receivers=int(data["receivers"]),
            stamped=int(data.get("stamped", 0)),
            p50=data.get("p50"),
            p90=data.get("p90"),
            p99=data.get("p99"),
            highest=data.get("max"),
        )


@dataclass(frozen=True)
class LoadFigures:
    """What a load run (``--senders`` sending at ``--rate``) sent and received."""

    senders: int
    rate: float
    duration: float
    msg_size: int
    sent: int
    max_send_lag_ms: float
    expected: int
    received: int
    load_seconds: float
    deliveries_per_second: float
    loss: float
    latency_ms: Latency
    order: OrderFigures | None = None  # with --check-order

    def to_json(self) -> dict[str, Any]:
        out = {field.name: getattr(self, field.name) for field in fields(self)}
        out["latency_ms"] = self.latency_ms.to_json()
        del out["order"]
        if self.order is not None:
            out.update(self.order.to_json())
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadFigures:
        return cls(
            senders=int(data["senders"]),
            rate=float(data["rate"]),
            duration=float(data["duration"]),
            msg_size=int(data["msg_size"]),
            sent=int(data["sent"]),
            max_send_lag_ms=float(data["max_send_lag_ms"]),
            expected=int(data["expected"]),
            received=int(data["received"]),
            load_seconds=float(data["load_seconds"]),
            deliveries_per_second=float(data["deliveries_per_second"]),
            loss=float(data["loss"]),
            latency_ms=Latency.from_json(data["latency_ms"]),
            order=OrderFigures.from_json(data) if "order" in data else None,
        )


@dataclass(frozen=True)
class ServerMemory:
    """The server's VmRSS around an idle run (``--pid``); None where unreadable."""

    rss_kib_before: int | None
    rss_kib_after: int | None
    kib_per_client: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "server_rss_kib_before": self.rss_kib_before,
            "server_rss_kib_after": self.rss_kib_after,
        }
        if self.kib_per_client is not None:
            out["server_kib_per_client"] = self.kib_per_client
        return out


@dataclass(frozen=True)
class IdleFigures:
    """How long an idle run (``--idle``) held its clients, and the server's memory."""

    hold_seconds: float
    memory: ServerMemory | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdleFigures:
        memory = None
        if "server_rss_kib_before" in data:
            memory = ServerMemory(
                data["server_rss_kib_before"],
                data["server_rss_kib_after"],
                data.get("server_kib_per_client"),
            )
        return cls(float(data["hold_seconds"]), memory)


@dataclass(frozen=True)
class Outcome:
    """How a run ended: who was still there, the bench's own CPU, the verdict."""

    still_connected: int
    cpu_percent: float
    bench_bottleneck: bool
    held: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "still_connected": self.still_connected,
            "cpu_percent": self.cpu_percent,
            "bench_bottleneck": self.bench_bottleneck,
            "held": self.held,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            int(data["still_connected"]),
            float(data["cpu_percent"]),
            bool(data["bench_bottleneck"]),
            bool(data["held"]),
        )


@dataclass(frozen=True)
class BenchResult:
    """One run: how the clients connected, what the mode measured, how it ended."""

    endpoint: str
    clients: int
    connected: int
    connect_seconds: float
    open_files_limit: int
    figures: LoadFigures | IdleFigures
    outcome: Outcome
    error: str | None = None
    settled: bool | None = None  # None when no client registered

    @property
    def mode(self) -> str:
        return "idle" if isinstance(self.figures, IdleFigures) else "load"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object."""
        out: dict[str, Any] = {
            "mode": self.mode,
            "endpoint": self.endpoint,
            "clients": self.clients,
            "connected": self.connected,
            "connect_seconds": self.connect_seconds,
            "open_files_limit": self.open_files_limit,
        }
        if self.error:
            out["error"] = self.error
        if self.settled is not None:
            out["settled"] = self.settled
        figures = self.figures
        if isinstance(figures, LoadFigures):
            out.update(figures.to_json())
            out.update(self.outcome.to_json())
        else:
            out["hold_seconds"] = figures.hold_seconds
            out.update(self.outcome.to_json())
            if figures.memory is not None:
                out.update(figures.memory.to_json())
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BenchResult:
        """Read back what ``to_json`` gave (as parsed by ``json.loads``)."""
        figures: LoadFigures | IdleFigures
        if data["mode"] == "idle":
            figures = IdleFigures.from_json(data)
        else:
            figures = LoadFigures.from_json(data)
        return cls(
            endpoint=str(data["endpoint"]),
            clients=int(data["clients"]),
            connected=int(data["connected"]),
            connect_seconds=float(data["connect_seconds"]),
            open_files_limit=int(data["open_files_limit"]),
            figures=figures,
            outcome=Outcome.from_json(data),
            error=data.get("error"),
            settled=data.get("settled"),
        )

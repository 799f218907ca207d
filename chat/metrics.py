"""
Prometheus metrics for ``--metrics ENDPOINT``: ``GET /metrics`` over HTTP.

The numbers are read from the factory at each scrape, so chatting costs
nothing extra. Each daemon has a registry of its own, not prometheus_client's
global one, so two factories in one process (tests) never mix.

The page is rendered in the reactor thread. prometheus_client's own
``MetricsResource`` would run it as a WSGI app in the reactor's thread pool,
reading the factory while the reactor changes it, and it imports the global
reactor at import time; the few lines of ``MetricsPage`` avoid both and keep
the same content negotiation (``choose_encoder``: text or OpenMetrics).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry
from twisted.internet.interfaces import IReactorCore
from twisted.web.pages import notFound
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request, Site

from chat import lines, stats
from chat.factory import ChatFactory
from chat.service import Listener

DROP_REASONS = (
    stats.SLOW_READER,
    stats.IDLE,
    stats.NO_NAME,
    stats.SERVER_FULL,
    stats.PER_IP,
    stats.THROTTLED,
)
"""Every reason is exported from the start, at 0, so rates work from the first drop."""


class ChatCollector(Collector):
    """The factory's head counts and ``factory.stats``, as Prometheus metrics."""

    def __init__(self, factory: ChatFactory) -> None:
        self.factory = factory

    def collect(self) -> Iterator[Metric]:
        factory, counted = self.factory, self.factory.stats
        yield GaugeMetricFamily(
            "chatroom_connected_clients",
            "Client connections open, named or not.",
            value=len(factory.connections),
        )
        yield GaugeMetricFamily(
            "chatroom_registered_users", "Users online under a name.", value=len(factory.room)
        )
        for name, documentation, value in [
            ("chatroom_received_lines", "Lines received from clients.", counted.lines_in),
            ("chatroom_sent_lines", "Lines sent to clients.", counted.lines_out),
            ("chatroom_sent_bytes", "Bytes sent to clients.", counted.bytes_out),
            (
                "chatroom_flood_delays",
                "Times a client was paused for sending faster than --rate.",
                counted.flood_delays,
            ),
        ]:
            yield CounterMetricFamily(name, documentation, value=value)
        drops = CounterMetricFamily(
            "chatroom_dropped_connections",
            "Connections dropped or refused, by reason.",
            labels=["reason"],
        )
        for reason in sorted(set(DROP_REASONS) | set(counted.drops)):
            drops.add_metric([reason], counted.drops[reason])
        yield drops


def registry_for(factory: ChatFactory) -> CollectorRegistry:
    """A registry of the daemon's own: its chat numbers and its process numbers."""
    registry = CollectorRegistry()
    registry.register(ChatCollector(factory))
    ProcessCollector(registry=registry)
    return registry


class MetricsPage(Resource):
    """The registry in the format the scraper asks for."""

    isLeaf = True

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self.registry = registry

    def render_GET(self, request: Request) -> bytes:
        accept = request.getHeader("accept")
        encoder, content_type = choose_encoder(accept or "")
        request.setHeader("content-type", content_type)
        return encoder(self.registry)


class _Root(Resource):
    """``/metrics`` and a plain 404 for anything else."""

    def getChild(self, path: bytes, request: Request) -> IResource:
        return notFound()


class MetricsSite(Site):
    """The metrics page on HTTP; scrapes are not logged."""

    noisy = False

    def __init__(self, factory: ChatFactory, reactor: IReactorCore) -> None:
        root = _Root()
        root.putChild(b"metrics", MetricsPage(registry_for(factory)))
        super().__init__(root, reactor=reactor)

    def log(self, request: Request) -> None:
        """A scrape every few seconds is not news for the daemon's log."""


def metrics_service(description: str, factory: ChatFactory, reactor: IReactorCore) -> Listener:
    """The metrics endpoint, listened on like the chat ones (fail-fast)."""
    return Listener([description], MetricsSite(factory, reactor), reactor, lines.LOG_METRICS)

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

The HTTP side is hardened for a port anyone might reach (``MetricsSite``):
GET and HEAD only, no request bodies, a bounded number of connections that
are dropped when idle, and nothing in the daemon's log, whatever arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry
from twisted.internet.interfaces import IAddress, IReactorTime
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.http import NOT_ALLOWED, HTTPChannel
from twisted.web.http import Request as HTTPRequest
from twisted.web.pages import notFound
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request, Site

from chat import lines
from chat.factory import ChatFactory
from chat.listening import Listener
from chat.sockets import ISocketTransport
from chat.stats import DropReason

DROP_REASONS = tuple(DropReason)
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
    for collector in factory.collectors:  # the engine's own (Redis)
        registry.register(collector)
    ProcessCollector(registry=registry)
    return registry


MAX_CONNECTIONS = 16
"""Metrics connections open at once; more are closed as soon as they are accepted."""

IDLE_TIMEOUT = 10.0
"""
Seconds a metrics connection may take to send a complete request (from
connecting, or from the last answer), or to take its answer and close.
"""

ALLOWED = b"GET, HEAD"


def _encoder(accept: bytes | None) -> tuple[Callable[[CollectorRegistry], bytes], str]:
    """
    prometheus_client's choice of format for an ``Accept`` header, or the
    plain text format for a header it cannot read.
    """
    try:
        return choose_encoder((accept or b"").decode("latin-1"))
    except Exception:  # e.g. TypeError for "version=abc": any header, any failure
        return choose_encoder("")


class MetricsPage(Resource):
    """The registry in the format the scraper asks for."""

    isLeaf = True

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self.registry = registry

    def render_GET(self, request: Request) -> bytes:
        encoder, content_type = _encoder(request.getHeader(b"accept"))
        request.setHeader(b"content-type", content_type.encode("ascii"))
        return encoder(self.registry)

    def render_HEAD(self, request: Request) -> bytes:
        """The headers of GET alone (twisted.web would log a warning for a body)."""
        body = self.render_GET(request)
        request.setHeader(b"content-length", b"%d" % len(body))
        return b""


class _Root(Resource):
    """``/metrics`` and a plain 404 for anything else."""

    def getChild(self, path: bytes, request: Request) -> IResource:
        return notFound()


class MetricsRequest(Request):
    """A request that is answered 405 unless it is a GET or a HEAD."""

    def render(self, resrc: IResource) -> None:
        if self.method in (b"GET", b"HEAD"):
            super().render(resrc)
            return
        self.setResponseCode(NOT_ALLOWED)
        self.setHeader(b"allow", ALLOWED)
        self.setHeader(b"content-length", b"0")
        self.finish()


class MetricsChannel(HTTPChannel):
    """
    One scraper's connection: no request bodies, nothing logged, and no
    connection held open without a reason.
    """

    site: MetricsSite
    transport: ISocketTransport

    def connectionMade(self) -> None:
        super().connectionMade()
        self.site.channels.add(self)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.site.channels.discard(self)
        super().connectionLost(reason)

    def allHeadersReceived(self) -> None:
        """A request with a body is answered 413 and closed, before a byte of it is read."""
        if self.length != 0:  # a Content-Length above 0, or chunked
            self.transport.write(
                b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )
            self.loseConnection()
            # Nothing more is read, and what was read already is dropped.
            self.dataReceived = lambda data: None  # type: ignore[method-assign]
            return
        super().allHeadersReceived()

    def resetTimeout(self) -> None:
        """
        Bytes arriving do not restart the timeout (a request sent a byte at a
        time would hold the connection for ever): only an answer does.
        """

    def requestDone(self, request: Request) -> None:
        super().requestDone(request)
        if not self.persistent:
            # Closing: the answer must be taken within the timeout too.
            self.setTimeout(self.site.timeOut)

    def timeoutConnection(self) -> None:
        """Close quietly; a connection already closing is cut."""
        if self.transport.disconnecting:
            self.transport.abortConnection()
        else:
            self.loseConnection()
            self.setTimeout(self.site.timeOut)


class MetricsSite(Site):
    """
    The metrics page on HTTP, hardened for a port anyone might reach: at most
    16 connections, each dropped when idle for 10 s, GET and HEAD only, no
    request bodies, and nothing in the daemon's log.
    """

    noisy = False
    # Twisted types a site's channels as its HTTP/1.1-or-2 wrapper around an
    # HTTPChannel; this site builds the HTTPChannel itself (here and in
    # buildProtocol), which Site and HTTPFactory serve the same: they only
    # set attributes on what they build.
    protocol = MetricsChannel  # type: ignore[assignment]
    requestFactory = MetricsRequest

    def __init__(self, factory: ChatFactory, reactor: IReactorTime) -> None:
        root = _Root()
        root.putChild(b"metrics", MetricsPage(registry_for(factory)))
        super().__init__(root, reactor=reactor, timeout=IDLE_TIMEOUT)
        self.channels: set[MetricsChannel] = set()

    def buildProtocol(self, addr: IAddress | None) -> MetricsChannel | None:  # type: ignore[override]
        """A channel, or None (the port closes the connection) when 16 are open."""
        if len(self.channels) >= MAX_CONNECTIONS:
            return None
        return super().buildProtocol(addr)

    def log(self, request: HTTPRequest) -> None:
        """A scrape every few seconds is not news for the daemon's log."""


def metrics_service(description: str, factory: ChatFactory, reactor: IReactorTime) -> Listener:
    """The metrics endpoint, listened on like the chat ones (fail-fast)."""
    return Listener([description], MetricsSite(factory, reactor), reactor, lines.LOG_METRICS)

"""
The metrics endpoint without a network: the collector over an in-memory
daemon, and the HTTP site over an in-memory connection.
"""

from __future__ import annotations

import os
import re

from prometheus_client import REGISTRY, generate_latest
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import capturedLogs
from twisted.python.failure import Failure
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from chat.metrics import (
    DROP_REASONS,
    IDLE_TIMEOUT,
    MAX_CONNECTIONS,
    MetricsSite,
    metrics_service,
    registry_for,
)
from chat.stats import DropReason
from tests.harness import Harness, logged

ZERO_COUNTERS = [
    "chatroom_received_lines_total",
    "chatroom_sent_lines_total",
    "chatroom_sent_bytes_total",
    "chatroom_flood_delays_total",
]


class CollectorTests(SynchronousTestCase):
    """What a scrape reads from the factory."""

    def setUp(self) -> None:
        self.server = Harness(max_clients=3)
        self.registry = registry_for(self.server.factory)

    def value(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)

    def heads(self) -> tuple[float | None, float | None]:
        return self.value("chatroom_connected_clients"), self.value("chatroom_registered_users")

    def test_fresh_daemon(self) -> None:
        """A daemon nobody used reports zero everywhere, with every drop reason listed."""
        self.assertEqual(self.heads(), (0, 0))
        for name in ZERO_COUNTERS:
            self.assertEqual(self.value(name), 0, name)
        for reason in DROP_REASONS:
            self.assertEqual(self.value("chatroom_dropped_connections_total", reason=reason), 0)

    def test_reason_labels(self) -> None:
        """The drop reasons are exported under the label values dashboards already use."""
        page = generate_latest(self.registry).decode()
        self.assertEqual(
            re.findall(r'^chatroom_dropped_connections_total\{reason="(\w+)"\}', page, re.M),
            [
                "connect_rate",
                "idle_timeout",
                "max_per_ip",
                "no_proxy_header",
                "registration_timeout",
                "server_full",
                "slow_reader",
            ],
        )

    def test_heads_follow_clients(self) -> None:
        """A connection counts at once; it counts as a user once named, and not after leaving."""
        soheil = self.server.connect()
        self.assertEqual(self.heads(), (1, 0))
        soheil.send("soheil")
        self.server.join("ali")
        self.assertEqual(self.heads(), (2, 2))
        soheil.send("/quit")
        soheil.finish_close()
        self.assertEqual(self.heads(), (1, 1))

    def test_counters_are_the_stats(self) -> None:
        """Lines and bytes are the factory's own counts, read at each scrape."""
        soheil, _ali = self.server.chatters("soheil", "ali")
        soheil.send("hello")
        counted = self.server.factory.stats
        self.assertEqual(self.value("chatroom_received_lines_total"), counted.lines_in)
        self.assertEqual(self.value("chatroom_sent_lines_total"), counted.lines_out)
        self.assertEqual(self.value("chatroom_sent_bytes_total"), counted.bytes_out)
        soheil.send("again")
        self.assertEqual(self.value("chatroom_received_lines_total"), counted.lines_in)
        self.assertGreater(counted.lines_in, 0)

    def test_flood_delays(self) -> None:
        """Each pause for flood control shows in the flood delay counter."""
        server = Harness(rate=1, burst=2)
        registry = registry_for(server.factory)
        (soheil,) = server.chatters("soheil")
        server.clock.advance(10)
        soheil.send(b"a\nb\nc\n")
        self.assertEqual(registry.get_sample_value("chatroom_flood_delays_total"), 1)

    def test_drops_by_reason(self) -> None:
        """Drops and refusals are exported under their reason, new reasons included."""
        self.server.chatters("soheil", "ali", "hasan")
        self.server.connect()
        counted = self.server.factory.stats.drops
        counted[DropReason.SLOW_READER] += 2
        counted["some_new_reason"] += 1
        dropped = "chatroom_dropped_connections_total"
        self.assertEqual(self.value(dropped, reason=DropReason.SERVER_FULL), 1)
        self.assertEqual(self.value(dropped, reason=DropReason.SLOW_READER), 2)
        self.assertEqual(self.value(dropped, reason="some_new_reason"), 1)
        self.assertEqual(self.value(dropped, reason=DropReason.IDLE), 0)

    def test_registry_of_its_own(self) -> None:
        """Each daemon has its own registry; the global one never sees chat numbers."""
        other = Harness()
        other_registry = registry_for(other.factory)
        other.chatters("soheil", "ali")
        self.assertEqual(other_registry.get_sample_value("chatroom_registered_users"), 2)
        self.assertEqual(self.value("chatroom_registered_users"), 0)
        self.assertIsNone(REGISTRY.get_sample_value("chatroom_registered_users"))

    def test_process_numbers(self) -> None:
        """Open files and their limit are there too, to compare with --max-clients."""
        if not os.path.exists("/proc/self/stat"):
            raise SkipTest("no /proc: prometheus_client has no process numbers here")
        for name in ("process_open_fds", "process_max_fds"):
            value = self.value(name)
            assert value is not None, name
            self.assertGreater(value, 0)


class Connection:
    """One HTTP connection to ``site`` in memory."""

    def __init__(self, site: MetricsSite) -> None:
        channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
        assert channel is not None, "refused"
        self.channel = channel
        self.transport = StringTransport()
        self.channel.makeConnection(self.transport)

    def send(self, data: bytes) -> None:
        self.channel.dataReceived(data)

    def response(self) -> tuple[bytes, dict[bytes, bytes], bytes]:
        """The status line, headers and body written so far."""
        head, _, body = self.transport.value().partition(b"\r\n\r\n")
        status, *fields = head.split(b"\r\n")
        headers = {}
        for field in fields:
            name, _, value = field.partition(b":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, body

    def close(self) -> None:
        self.channel.connectionLost(Failure(ConnectionDone()))


def get(
    site: MetricsSite, path: bytes, accept: bytes | None = None, method: bytes = b"GET"
) -> tuple[bytes, dict, bytes]:
    """One HTTP/1.0 request to ``site`` in memory: status line, headers, body."""
    connection = Connection(site)
    request = method + b" " + path + b" HTTP/1.0\r\n"
    if accept is not None:
        request += b"Accept: " + accept + b"\r\n"
    connection.send(request + b"\r\n")
    return connection.response()


class SiteTests(SynchronousTestCase):
    """What a scraper gets over HTTP."""

    def setUp(self) -> None:
        self.server = Harness()
        self.reactor = MemoryReactorClock()
        self.site = MetricsSite(self.server.factory, self.reactor)

    def test_text_format(self) -> None:
        """GET /metrics answers in Prometheus' text format by default."""
        self.server.chatters("soheil", "ali")
        status, headers, body = get(self.site, b"/metrics")
        self.assertEqual(status, b"HTTP/1.0 200 OK")
        self.assertTrue(headers[b"content-type"].startswith(b"text/plain; version=0.0.4"))
        self.assertIn(b"\nchatroom_registered_users 2.0\n", body)

    def test_openmetrics(self) -> None:
        """A scraper that asks for OpenMetrics gets it, ended by # EOF."""
        status, headers, body = get(self.site, b"/metrics", b"application/openmetrics-text")
        self.assertEqual(status, b"HTTP/1.0 200 OK")
        self.assertTrue(headers[b"content-type"].startswith(b"application/openmetrics-text"))
        self.assertTrue(body.endswith(b"# EOF\n"))

    def test_bad_accept_header(self) -> None:
        """An Accept header that cannot be read gets the text format, with nothing logged."""
        for accept in [b"\xff", b"application/openmetrics-text; version=abc"]:
            with capturedLogs() as events:
                status, headers, body = get(self.site, b"/metrics", accept)
            self.assertEqual(status, b"HTTP/1.0 200 OK", accept)
            self.assertTrue(headers[b"content-type"].startswith(b"text/plain; version=0.0.4"))
            self.assertIn(b"\nchatroom_registered_users 0.0\n", body)
            self.assertEqual(list(events), [], accept)

    def test_head(self) -> None:
        """HEAD gets GET's headers, its length included, no body, and logs nothing."""
        _, got, body = get(self.site, b"/metrics")
        with capturedLogs() as events:
            status, headers, nothing = get(self.site, b"/metrics", method=b"HEAD")
        self.assertEqual(status, b"HTTP/1.0 200 OK")
        self.assertEqual(nothing, b"")
        self.assertEqual(headers[b"content-type"], got[b"content-type"])
        self.assertEqual(int(headers[b"content-length"]), len(body))
        self.assertEqual(list(events), [])

    def test_other_methods(self) -> None:
        """Any method but GET and HEAD is answered 405, naming the two."""
        for method in [b"POST", b"PUT", b"DELETE", b"OPTIONS", b"BREW"]:
            for path in [b"/metrics", b"/"]:
                status, headers, body = get(self.site, path, method=method)
                self.assertEqual(status, b"HTTP/1.0 405 Method Not Allowed", method)
                self.assertEqual(headers[b"allow"], b"GET, HEAD")
                self.assertEqual(body, b"")

    def test_body_refused_unread(self) -> None:
        """A request with a body is answered 413 and closed before any of the body is kept."""
        for framing in [b"Content-Length: 4000000000", b"Transfer-Encoding: chunked"]:
            for method in [b"POST", b"GET"]:
                connection = Connection(self.site)
                connection.send(method + b" /metrics HTTP/1.1\r\n" + framing + b"\r\n\r\n")
                connection.send(b"x" * 65536)
                status, headers, _ = connection.response()
                self.assertEqual(status, b"HTTP/1.1 413 Content Too Large", framing)
                self.assertEqual(headers[b"connection"], b"close")
                self.assertTrue(connection.transport.disconnecting)
                self.assertIsNone(connection.channel.requests[0].content)

    def test_empty_body_is_no_body(self) -> None:
        """Content-Length: 0 is no body: the page is served."""
        connection = Connection(self.site)
        connection.send(b"GET /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        self.assertEqual(connection.response()[0], b"HTTP/1.1 200 OK")

    def test_only_metrics(self) -> None:
        """Nothing but /metrics is served."""
        status, _, _ = get(self.site, b"/")
        self.assertEqual(status, b"HTTP/1.0 404 Not Found")

    def test_scrapes_not_logged(self) -> None:
        """Scrapes leave nothing in the daemon's log."""
        with capturedLogs() as events:
            get(self.site, b"/metrics")
        self.assertEqual([event.get("log_format") for event in events], [])


class ConnectionTests(SynchronousTestCase):
    """How many connections the endpoint holds, and for how long."""

    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.site = MetricsSite(Harness().factory, self.reactor)

    def test_at_most_16(self) -> None:
        """Sixteen connections are held; the next is refused until one closes."""
        held = [Connection(self.site) for _ in range(MAX_CONNECTIONS)]
        self.assertEqual(MAX_CONNECTIONS, 16)
        self.assertIsNone(self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50001)))
        held[0].close()
        self.assertIsNotNone(self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50002)))

    def test_idle_dropped(self) -> None:
        """A connection that sends nothing is closed after 10 s, quietly."""
        connection = Connection(self.site)
        with capturedLogs() as events:
            self.reactor.advance(IDLE_TIMEOUT - 0.1)
            self.assertFalse(connection.transport.disconnecting)
            self.reactor.advance(0.1)
        self.assertTrue(connection.transport.disconnecting)
        self.assertEqual(list(events), [])

    def test_trickle_dropped(self) -> None:
        """A request sent a byte now and then does not hold the connection past 10 s."""
        connection = Connection(self.site)
        connection.send(b"GET /metrics HTTP/1.1\r\n")
        for _ in range(int(IDLE_TIMEOUT) - 1):
            self.reactor.advance(1)
            connection.send(b"X")
        self.assertFalse(connection.transport.disconnecting)
        self.reactor.advance(1)
        self.assertTrue(connection.transport.disconnecting)
        self.assertEqual(connection.transport.value(), b"")

    def test_kept_alive_then_idle(self) -> None:
        """After an answer on a kept-alive connection, 10 s without a request close it."""
        connection = Connection(self.site)
        self.reactor.advance(IDLE_TIMEOUT - 1)
        connection.send(b"GET /metrics HTTP/1.1\r\n\r\n")
        self.assertEqual(connection.response()[0], b"HTTP/1.1 200 OK")
        self.reactor.advance(IDLE_TIMEOUT - 0.1)
        self.assertFalse(connection.transport.disconnecting)
        self.reactor.advance(0.1)
        self.assertTrue(connection.transport.disconnecting)

    def test_closing_but_stuck_cut(self) -> None:
        """A connection that does not take its answer is cut 10 s after it was closed."""
        connection = Connection(self.site)
        connection.send(b"GET /metrics HTTP/1.0\r\n\r\n")
        self.assertTrue(connection.transport.disconnecting)
        self.assertFalse(connection.transport.disconnected)
        self.reactor.advance(IDLE_TIMEOUT)
        self.assertTrue(connection.transport.disconnected)  # aborted


class ServiceTests(SynchronousTestCase):
    """The metrics endpoint as a twistd service."""

    def test_listens_and_says_where(self) -> None:
        """It listens on its endpoint with the site and logs the URL to scrape."""
        reactor = MemoryReactorClock()
        service = metrics_service("tcp:9100", Harness().factory, reactor)
        with capturedLogs() as events:
            service.startService()
        [(port, site, _, _)] = reactor.tcpServers
        self.assertEqual(port, 9100)
        self.assertIsInstance(site, MetricsSite)
        self.assertIn(
            "Metrics on http://0.0.0.0:9100/metrics (tcp:9100)",
            logged(events),
        )

    def test_stops_listening(self) -> None:
        """Stopping the service closes its port."""
        reactor = MemoryReactorClock()
        service = metrics_service("tcp:9100", Harness().factory, reactor)
        service.startService()
        self.successResultOf(service.stopService())
        self.assertEqual(service.ports, [])

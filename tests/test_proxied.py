"""docs/deploying.md, "Behind HAProxy": clients behind a balancer that sends the PROXY protocol."""

from __future__ import annotations

import socket
import struct

from twisted.internet.abstract import FileDescriptor
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from chat import sockets
from chat.outbox import buffered
from chat.proxied import HEADER_TIMEOUT, ProxiedFactory, proxied
from chat.service import ChatService
from tests.harness import Harness, logged
from tests.test_sockets import SocketTransport, loopback_pair, send_buffer, timers

PROMPT = "Please enter your name:"
FULL = "error: too many connections from your address"
THROTTLED = "error: too many new connections from your address, try again in a minute"
NO_HEADER = "refused: no valid PROXY protocol header"
FULL_SERVER = "error: the server is full, please try again later"


def v1(source: str, port: int = 51000) -> bytes:
    """A PROXY v1 header from ``source`` (IPv4) to the balancer's front, 10.0.0.1:5050."""
    return f"PROXY TCP4 {source} 10.0.0.1 {port} 5050\r\n".encode()


def v2_ipv6(source: str, port: int) -> bytes:
    """A PROXY v2 header for a TCP over IPv6 connection from ``source``."""
    addresses = socket.inet_pton(socket.AF_INET6, source) + socket.inet_pton(
        socket.AF_INET6, "2001:db8::1"
    )
    body = addresses + struct.pack("!HH", port, 5050)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x21]) + struct.pack("!H", len(body)) + body


class HeaderTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()

    def test_prompt_after_the_header(self) -> None:
        """Nothing is sent before the header; after it, the prompt, and the peer is the client."""
        client = self.server.connect_proxied()
        self.assertEqual(client.take(), [])
        client.protocol.dataReceived(v1("203.0.113.7"))
        self.assertEqual(client.take(), [PROMPT])
        self.assertEqual(client.chat_protocol.peer, "203.0.113.7:51000")
        self.assertEqual(client.chat_protocol.origin, "203.0.113.7")

    def test_header_in_pieces_and_a_name_behind_it(self) -> None:
        """A header split anywhere is read whole; a name in the same packet as its end counts."""
        header = v1("203.0.113.7")
        client = self.server.connect_proxied(header[:3])
        client.send(header[3:9])
        client.send(header[9:] + b"soheil\r\n")
        self.assertEqual(client.take()[:2], [PROMPT, "Chat with your friends and enjoy"])
        self.assertIn("soheil", self.server.room.names())

    def test_v2_ipv6(self) -> None:
        """A PROXY v2 header names the client too: an IPv6 one counts by its /64."""
        client = self.server.connect_proxied(v2_ipv6("2001:db8:5:6::7", 40001))
        self.assertEqual(client.take(), [PROMPT])
        # Twisted's v2 parser writes the address out in full.
        self.assertEqual(client.chat_protocol.peer, "[2001:db8:5:6:0:0:0:7]:40001")
        self.assertEqual(client.chat_protocol.origin, "2001:db8:5:6::/64")

    def test_v1_ipv6(self) -> None:
        """A PROXY v1 TCP6 header names an IPv6 client."""
        client = self.server.connect_proxied(b"PROXY TCP6 2001:db8::7 2001:db8::1 40001 5050\r\n")
        self.assertEqual(client.take(), [PROMPT])
        self.assertEqual(client.chat_protocol.peer, "[2001:db8::7]:40001")

    def test_unknown_is_the_balancer(self) -> None:
        """A header that names no client (a balancer's health check) counts as the balancer."""
        client = self.server.connect_proxied(b"PROXY UNKNOWN\r\n")
        self.assertEqual(client.take(), [PROMPT])
        self.assertEqual(client.chat_protocol.origin, "10.0.0.1")

    def test_unix_client_is_the_balancer(self) -> None:
        """A v2 header naming a client on a unix socket (no IP address) counts as the balancer."""
        paths = b"/run/front.sock".ljust(108, b"\0") * 2
        header = b"\r\n\r\n\x00\r\nQUIT\n\x21\x31" + struct.pack("!H", len(paths)) + paths
        client = self.server.connect_proxied(header)
        self.assertEqual(client.take(), [PROMPT])
        self.assertEqual(client.chat_protocol.origin, "10.0.0.1")

    def test_bad_headers_closed_quietly(self) -> None:
        """No header, a malformed one or a late one: closed, nothing sent, one log line a second."""
        bad = [b"soheil\r\n", b"PROXY TCP4 nonsense\r\n", b"PROXY TCP4 1.2.3.4 5.6.7.8 x 1\r\n"]
        bad += [b"PROXY TCP4 me 10.0.0.1 1 2\r\n", b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n"]
        bad += [b"PROXY " + b"x" * 200, b"\r\n\r\n\x00\r\nQUIT\n\x99" + b"\x00" * 8]
        with capturedLogs() as events:
            clients = [self.server.connect_proxied(header) for header in bad]
            late = self.server.connect_proxied(b"PROXY TCP4 ")
            self.server.clock.pump([1, 1, HEADER_TIMEOUT - 2])
        for client in [*clients, late]:
            self.assertTrue(client.closing, client.transport)
            self.assertEqual(client.transport.value(), b"")
            client.finish_close()
        self.assertEqual(
            logged(events),
            [
                f"connection from 10.0.0.1:40001 {NO_HEADER}",
                f"6 more connection(s) refused in the last second: {NO_HEADER[9:]}",
                f"connection from 10.0.0.1:40008 {NO_HEADER}",
            ],
        )
        self.assertEqual(self.server.factory.connections, set())
        self.assertEqual(self.server.proxied.protocols, {})
        self.assertEqual(self.server.factory.stats.drops["no_proxy_header"], len(bad) + 1)

    def test_gone_before_the_header(self) -> None:
        """A connection that closes before its header leaves nothing behind, and no timer."""
        client = self.server.connect_proxied(b"PRO")
        client.disconnect()
        self.assertEqual(self.server.proxied.protocols, {})
        self.assertEqual(self.server.clock.getDelayedCalls(), [])


class AdmissionTests(SynchronousTestCase):
    def test_per_ip_cap_counts_the_client(self) -> None:
        """--max-per-ip counts each address the headers name, not the balancer's."""
        server = Harness(max_per_ip=2)
        with capturedLogs() as events:
            first = [server.connect_proxied(v1("203.0.113.7", 51000 + n)) for n in range(3)]
            other = server.connect_proxied(v1("198.51.100.9"))
        self.assertEqual([c.take()[0] for c in first], [PROMPT, PROMPT, FULL])
        self.assertTrue(first[2].closing)
        self.assertEqual(other.take(), [PROMPT])
        self.assertEqual(logged(events), [f"connection from 203.0.113.7:51002 refused: {FULL}"])
        first[0].disconnect()
        self.assertEqual(server.connect_proxied(v1("203.0.113.7")).take(), [PROMPT])

    def test_throttle_counts_the_client(self) -> None:
        """--connect-burst applies to each address the headers name."""
        server = Harness(max_per_ip=0, connect_burst=2, connect_rate=1)
        first = [server.connect_proxied(v1("203.0.113.7")) for _ in range(3)]
        self.assertEqual([c.take()[0] for c in first], [PROMPT, PROMPT, THROTTLED])
        self.assertEqual(server.connect_proxied(v1("198.51.100.9")).take(), [PROMPT])

    def test_waiting_for_headers_counts_for_nobody(self) -> None:
        """Connections still without a header take no one's allowance."""
        server = Harness(max_per_ip=1)
        waiting = [server.connect_proxied() for _ in range(5)]
        self.assertEqual(server.factory.connections, set())
        waiting[0].send(v1("203.0.113.7"))
        self.assertEqual(waiting[0].take(), [PROMPT])

    def test_at_most_max_clients_wait_for_their_header(self) -> None:
        """At most --max-clients wait for a header at once; the next is told the server is full."""
        server = Harness(max_clients=2)
        first, second = server.connect_proxied(), server.connect_proxied()
        with capturedLogs() as events:
            third = server.connect_proxied()
        self.assertEqual(third.take(), [FULL_SERVER])
        self.assertEqual(server.factory.stats.drops["server_full"], 1)
        self.assertEqual(len(logged(events)), 1)
        first.send(v1("203.0.113.7"))  # no longer waiting: room for one more
        second.disconnect()
        self.assertEqual(server.connect_proxied(v1("198.51.100.9")).take(), [PROMPT])


class TransportTests(SynchronousTestCase):
    def test_socket_set_up_through_the_wrapper(self) -> None:
        """Keepalive timers and the fixed send buffer reach the socket under the PROXY wrapper."""
        server = Harness()
        with loopback_pair() as (sock, _):
            server.connect_proxied(v1("203.0.113.7"), SocketTransport(sock))
            found = timers(sock)
            self.assertEqual(send_buffer(sock), sockets.SEND_BUFFER)
        self.assertEqual(found["SO_KEEPALIVE"], 1)
        self.assertEqual(found["TCP_KEEPIDLE"], sockets.KEEPALIVE_IDLE)

    def test_flood_control_pauses_the_socket(self) -> None:
        """Flood control stops and restarts the reading of the socket under the wrapper."""
        server = Harness(rate=1, burst=1)
        client = server.connect_proxied(v1("203.0.113.7"))
        client.send("soheil")
        server.clock.advance(5)
        client.send(b"one\ntwo\nthree\n")
        transport = client.transport
        self.assertEqual(transport.producerState, "paused")
        server.clock.pump([1] * 5)
        self.assertEqual(transport.producerState, "producing")

    def test_buffered_walks_through_the_wrapper(self) -> None:
        """What the Twisted transport under the wrapper holds counts toward --max-send-queue."""
        server = Harness()
        transport = FileDescriptor(MemoryReactorClock())
        transport.connected = True
        transport.getPeer = lambda: IPv4Address("TCP", "10.0.0.1", 4000)  # type: ignore[method-assign]
        client = server.connect_proxied(v1("203.0.113.7"), transport)  # type: ignore[arg-type]
        server.room.flush()  # the prompt, as the reactor's next turn would send it
        held = buffered(client.chat_protocol.transport)
        self.assertEqual(held, len(PROMPT) + 2)

    def test_listens_wrapped(self) -> None:
        """--port haproxy:tcp:N listens on N, backlog and all, with the chat factory wrapped."""
        reactor = MemoryReactorClock()
        server = Harness()
        ChatService(["haproxy:tcp:5051"], server.factory, reactor).startService()
        port, factory, backlog, _ = reactor.tcpServers[0]
        self.assertEqual((port, backlog), (5051, 1024))
        assert isinstance(factory, ProxiedFactory)
        self.assertIs(factory.wrappedFactory, server.factory)

    def test_proxied_descriptions(self) -> None:
        """Only ``haproxy:`` descriptions are proxied, whatever their case."""
        self.assertEqual(proxied("haproxy:tcp:5051"), "tcp:5051")
        self.assertEqual(proxied("HAProxy:tcp6:5051"), "tcp6:5051")
        self.assertIsNone(proxied("tcp:5051"))
        self.assertIsNone(proxied("haproxy"))

"""TCP keepalive timers and a fixed send buffer on client connections, and the listen backlog."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from twisted.internet import tcp
from twisted.internet.abstract import FileDescriptor
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactor, MemoryReactorClock, StringTransport

from chat import sockets
from tests.harness import Harness


@contextmanager
def loopback_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Both ends of a real TCP connection over loopback: (server side, client side)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    with server, client:
        yield server, client


@contextmanager
def twisted_tcp(
    protocol: Protocol | None = None,
) -> Iterator[tuple[tcp.Server, MemoryReactor, socket.socket]]:
    """
    Twisted's own TCP transport on one end of a real loopback connection,
    with a MemoryReactor that records who asked to read and write and what
    was scheduled (nothing runs it), and the other end's socket, which fails a read that waits
    over 2 seconds rather than hang the test.
    """
    with loopback_pair() as (ours, theirs):
        reactor = MemoryReactorClock()
        protocol = protocol or Protocol()
        transport = tcp.Server(ours, protocol, ("127.0.0.1", 40000), None, 1, reactor)  # type: ignore[arg-type]
        protocol.makeConnection(transport)
        theirs.settimeout(2)
        yield transport, reactor, theirs


class SocketTransport(StringTransport):
    """A StringTransport over a real socket, for the socket options Twisted's TCP transport sets."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(peerAddress=IPv4Address("TCP", "127.0.0.1", 40000))
        self.sock = sock

    def getHandle(self) -> socket.socket:
        return self.sock

    def setTcpKeepAlive(self, enabled: int) -> None:
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, enabled)

    def setTcpNoDelay(self, enabled: int) -> None:
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, enabled)


def timers(sock: socket.socket) -> dict[str, int]:
    options = ["TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT"]
    if not all(hasattr(socket, name) for name in options):
        pytest.skip("this system has no per-socket keepalive timers")
    found = {name: sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name)) for name in options}
    found["SO_KEEPALIVE"] = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    return found


def test_keepalive_timers() -> None:
    """keep_alive turns keepalive on with timers that find a vanished client within 3 minutes."""
    with loopback_pair() as (server, _):
        sockets.keep_alive(SocketTransport(server))
        found = timers(server)
    assert found == {
        "SO_KEEPALIVE": 1,
        "TCP_KEEPIDLE": 60,
        "TCP_KEEPINTVL": 10,
        "TCP_KEEPCNT": 6,
        "TCP_USER_TIMEOUT": 120_000,
    }
    given_up_after = found["TCP_KEEPIDLE"] + found["TCP_KEEPINTVL"] * found["TCP_KEEPCNT"]
    assert given_up_after <= 180 and found["TCP_USER_TIMEOUT"] <= 180_000


class TLSTransport:
    """What a TLS transport looks like: its handle is the TLS connection, over TCP."""

    def __init__(self, tcp: SocketTransport) -> None:
        self.transport = tcp
        self.setTcpKeepAlive = tcp.setTcpKeepAlive
        self.setTcpNoDelay = tcp.setTcpNoDelay

    def getHandle(self) -> object:
        return object()


def test_keepalive_timers_under_tls() -> None:
    """Over TLS the timers are set on the TCP socket underneath."""
    with loopback_pair() as (server, _):
        sockets.keep_alive(TLSTransport(SocketTransport(server)))
        found = timers(server)
    assert (found["SO_KEEPALIVE"], found["TCP_KEEPIDLE"]) == (1, sockets.KEEPALIVE_IDLE)


def test_unix_socket_left_alone() -> None:
    """A client over a UNIX socket gets no TCP timers (the socket has none), and no error."""
    first, second = socket.socketpair(socket.AF_UNIX)
    with first, second:
        sockets.keep_alive(SocketTransport(first))


def test_client_connections_get_the_timers() -> None:
    """Every chat connection over TCP gets the short keepalive timers when it is made."""
    server = Harness()
    with loopback_pair() as (sock, _):
        protocol = server.factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        protocol.makeConnection(SocketTransport(sock))
        found = timers(sock)
    assert found["SO_KEEPALIVE"] == 1
    assert found["TCP_KEEPIDLE"] == sockets.KEEPALIVE_IDLE


def send_buffer(sock: socket.socket) -> int:
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)


def test_send_buffer_fixed() -> None:
    """A client's kernel send buffer is fixed (Linux doubles what is asked), not left to grow."""
    with loopback_pair() as (server, _):
        sockets.prepare(SocketTransport(server), 262144)
        assert send_buffer(server) == sockets.SEND_BUFFER


def test_client_connections_get_a_fixed_send_buffer() -> None:
    """Every chat connection over TCP gets its send buffer fixed; --max-send-queue 0 leaves it."""
    for limit in (262144, 0):
        server = Harness(max_send_queue=limit)
        with loopback_pair() as (sock, _):
            untouched = send_buffer(sock)
            protocol = server.factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
            protocol.makeConnection(SocketTransport(sock))
            assert send_buffer(sock) == (sockets.SEND_BUFFER if limit else untouched)


def test_backlog_told_by_half_a_small_queue() -> None:
    """With a send queue under 128 KiB, the transport tells of a backlog at half of it."""
    for limit, told in ((32768, 16384), (262144, FileDescriptor.bufferSize)):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            transport = tcp.Port(0, Factory())
            transport.socket = listener
            sockets.prepare(transport, limit)
            assert transport.bufferSize == told
            assert ("bufferSize" in vars(transport)) == (limit == 32768)


@pytest.mark.parametrize(
    ("description", "listened"),
    [
        ("tcp:5050", "tcp:5050:backlog=1024"),
        ("tcp:5050:interface=127.0.0.1", "tcp:5050:interface=127.0.0.1:backlog=1024"),
        ("tcp6:5050", "tcp6:5050:backlog=1024"),
        ("ssl:5443:privateKey=k.pem", "ssl:5443:privateKey=k.pem:backlog=1024"),
        ("unix:/run/chat.sock", "unix:/run/chat.sock:backlog=1024"),
        ("tcp:5050:backlog=10", "tcp:5050:backlog=10"),
        ("tcp:5050:interface=127.0.0.1:backlog=4096", "tcp:5050:interface=127.0.0.1:backlog=4096"),
        ("systemd:domain=INET:index=0", "systemd:domain=INET:index=0"),
        ("haproxy:tcp:5051", "haproxy:tcp:5051:backlog=1024"),
        ("haproxy:tcp:5051:backlog=10", "haproxy:tcp:5051:backlog=10"),
    ],
)
def test_backlog(description: str, listened: str) -> None:
    """Endpoints that take a backlog get 1024 unless their description sets one."""
    assert sockets.with_backlog(description) == listened


def test_transports_share_their_key_table() -> None:
    """After prepare, a TCP transport's first write adds no attribute: its keys stay shared."""
    if sys.implementation.name != "cpython":
        pytest.skip("key-sharing instance dictionaries are CPython's")

    class Server(tcp.Server):
        """A class of its own: a key table no other test has touched."""

    reactor = MemoryReactor()
    port = tcp.Port(0, Factory(), reactor=reactor)
    with ExitStack() as stack:
        transports, peers = [], []
        for _ in range(20):  # more than a dozen, where the first write used to unshare them
            sock, peer = stack.enter_context(loopback_pair())
            transport = Server(sock, Protocol(), ("127.0.0.1", 40000), port, 0, reactor)
            sockets.prepare(transport)
            transports.append(transport)
            peers.append(peer)
        prepared = [sys.getsizeof(vars(transport)) for transport in transports]
        for transport in transports:
            transport.write(b"hi\r\n")
            transport.doWrite()
        assert [peer.recv(10) for peer in peers] == [b"hi\r\n"] * 20
        assert [sys.getsizeof(vars(transport)) for transport in transports] == prepared
        assert len({tuple(vars(transport)) for transport in transports}) == 1

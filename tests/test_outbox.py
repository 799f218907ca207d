"""
chat.outbox: a write to a plain TCP connection with nothing waiting goes
straight to its socket; what the kernel leaves, and everything after it,
takes the transport's path, in order.

These drive Twisted's real TCP transport over a real loopback connection,
with a MemoryReactor that records who asked to be told when it may write.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.tcp import Server
from twisted.internet.testing import MemoryReactor, StringTransport
from twisted.protocols.haproxy._wrapper import HAProxyProtocolWrapper, HAProxyWrappingFactory
from twisted.python.failure import Failure

from chat.outbox import Outbox, buffered, direct
from chat.stats import Stats
from tests.test_sockets import twisted_tcp


class Owner:
    """
    What the outbox tells its connection: how often output piled up and
    drained, and the writes refused over ``limit``.
    """

    def __init__(self) -> None:
        self.backlogs = 0
        self.drains = 0
        self.limit = 0
        self.overflows: list[int] = []

    def backlogged(self) -> None:
        self.backlogs += 1

    def drained(self) -> None:
        self.drains += 1

    def send_queue_limit(self) -> int:
        return self.limit

    def overflowed(self, limit: int) -> None:
        self.overflows.append(limit)


@contextmanager
def tcp_outbox(
    owner: Owner | None = None,
) -> Iterator[tuple[Outbox, Server, MemoryReactor, socket.socket]]:
    """An outbox over Twisted's TCP transport on a real connection, and the client's socket."""
    with twisted_tcp() as (transport, reactor, client):
        outbox = Outbox(owner or Owner(), Stats())
        outbox.attach(transport)
        transport.registerProducer(outbox, True)
        yield outbox, transport, reactor, client


def read_all(client: socket.socket, transport: Server, size: int) -> bytes:
    """Read ``size`` bytes as the client, letting the transport write as the reactor would."""
    client.setblocking(False)
    got = bytearray()
    for _ in range(100_000):
        if len(got) >= size:
            break
        if buffered(transport):
            transport.doWrite()
        with suppress(BlockingIOError):
            got += client.recv(1 << 20)
    return bytes(got)


def waiting_all(client: socket.socket) -> bytes:
    """Everything the client could read now."""
    got = b""
    while chunk := waiting(client):
        got += chunk
    return got


def waiting(client: socket.socket) -> bytes:
    """What the client could read now, without waiting for more."""
    client.setblocking(False)
    try:
        return client.recv(1 << 16)
    except BlockingIOError:
        return b""


def test_a_write_with_nothing_waiting_goes_straight_to_the_socket() -> None:
    """The line is in the client's socket when write returns; the reactor never watches it."""
    with tcp_outbox() as (outbox, transport, reactor, client):
        outbox.write(b"soheil: hello\r\n")
        assert client.recv(100) == b"soheil: hello\r\n"
        assert transport not in reactor.getWriters()
        assert buffered(transport) == 0


def test_what_the_kernel_leaves_goes_to_the_transport_and_later_lines_behind_it() -> None:
    """What the socket can't take goes to the transport; the next line waits behind it."""
    with tcp_outbox() as (outbox, transport, reactor, client):
        server_side = transport.socket
        server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        big = bytes(range(256)) * 4096  # 1 MiB: more than the kernel holds
        outbox.write(big)
        waiting = outbox.held()
        assert 0 < buffered(transport) <= waiting < len(big)
        assert transport in reactor.getWriters()
        outbox.write(b"tail\r\n")
        assert outbox.held() == waiting + len(b"tail\r\n")
        assert read_all(client, transport, len(big) + 6) == big + b"tail\r\n"


def test_a_line_after_the_transport_emptied_goes_straight_again() -> None:
    """Once the transport has sent all it held, the next line skips it again."""
    with tcp_outbox() as (outbox, transport, reactor, client):
        transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        big = b"x" * (1 << 20)
        outbox.write(big)
        read_all(client, transport, len(big))
        assert buffered(transport) == 0
        assert transport not in reactor.getWriters()
        outbox.write(b"again\r\n")
        assert client.recv(100) == b"again\r\n"
        assert buffered(transport) == 0


def test_a_broken_connection_is_left_to_the_transport() -> None:
    """A write to a connection the client reset raises nothing; the transport finds the error."""
    with tcp_outbox() as (outbox, transport, _, client):
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        outbox.write(b"first\r\n")  # the kernel may still take this one
        outbox.write(b"soheil: anyone?\r\n")
        assert buffered(transport) > 0
        assert transport.doWrite() is not None  # connection lost, as Twisted reports it


def test_nothing_goes_out_once_the_transport_stopped_writing() -> None:
    """After the transport's write side is closed, a write sends nothing, as Twisted's would."""
    with tcp_outbox() as (outbox, transport, _, client):
        transport._writeDisconnected = True
        outbox.write(b"late\r\n")
        assert waiting(client) == b""


def test_nothing_goes_out_once_the_connection_is_being_cut() -> None:
    """
    After ``stop`` (the protocol's ``abort`` calls it before aborting), a
    write is left to the transport, which an abort never lets write.
    """
    with tcp_outbox() as (outbox, _, _, client):
        outbox.write(b"before\r\n")
        assert client.recv(100) == b"before\r\n"
        outbox.stop()
        outbox.write(b"after\r\n")
        assert waiting(client) == b""


def test_a_write_after_the_connection_is_gone_raises_nothing() -> None:
    """
    As the protocol closes: the producer unregistered, then the connection
    lost and its socket closed. A write after that, with the outbox still
    trying the socket first, raises nothing and sends nothing.
    """
    with tcp_outbox() as (outbox, transport, _, client):
        outbox.write(b"before\r\n")
        assert client.recv(100) == b"before\r\n"
        transport.unregisterProducer()
        transport.connectionLost(Failure(ConnectionDone()))
        outbox.write(b"after\r\n")
        assert client.recv(100) == b""  # the end of the connection, and nothing before it


def test_a_line_after_a_partial_send_waits_behind_the_rest() -> None:
    """
    What the kernel left of a write (less than fills the transport) goes
    first, even once the kernel has room again: the next line waits behind it.
    """
    with tcp_outbox() as (outbox, transport, _, client):
        transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        line = bytes(range(256)) * 200  # 51 KB: more than the kernel takes
        outbox.write(line)
        assert 0 < buffered(transport) < transport.bufferSize  # not full: not paused
        first = waiting_all(client)  # the kernel has room again; the transport has not written
        assert 0 < len(first) < len(line)
        outbox.write(b"tail\r\n")
        rest = read_all(client, transport, len(line) + 6 - len(first))
        assert first + rest == line + b"tail\r\n"


def test_held_lines_are_not_sent_ahead_while_the_transport_is_full() -> None:
    """While the transport has paused the outbox, a write is held, not tried on the socket."""
    with tcp_outbox() as (outbox, _, _, client):
        outbox.write(b"first\r\n")
        assert client.recv(100) == b"first\r\n"
        outbox.pauseProducing()
        outbox.write(b"held\r\n")
        assert outbox.held_bytes == len(b"held\r\n")
        assert waiting(client) == b""


def test_a_write_over_the_limit_is_refused_while_something_waits() -> None:
    """With bytes waiting, a write that would go over the limit is not made; the owner is told."""
    owner = Owner()
    with tcp_outbox(owner) as (outbox, transport, _, client):
        transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        big = b"x" * (1 << 20)
        owner.limit = len(big)
        outbox.write(big)
        waiting = outbox.held()
        assert waiting > 0
        assert owner.overflows == []
        owner.limit = waiting + 5
        outbox.write(b"one more\r\n")
        assert owner.overflows == [waiting + 5]
        assert outbox.held() == waiting
        owner.limit = waiting + 6
        outbox.write(b"fits\r\n")
        assert owner.overflows == [waiting + 5]
        assert read_all(client, transport, len(big) + 6) == big + b"fits\r\n"


def test_an_empty_queue_takes_any_one_write() -> None:
    """Nothing waiting: even a write bigger than the limit goes (a /who of a huge room)."""
    owner = Owner()
    owner.limit = 4
    with tcp_outbox(owner) as (outbox, _, _, client):
        outbox.write(b"a long answer\r\n")
        assert client.recv(100) == b"a long answer\r\n"
        outbox.pauseProducing()
        outbox.write(b"held\r\n")
        outbox.write(b"more\r\n")
        assert owner.overflows == [4]
        assert outbox.held_bytes == len(b"held\r\n")


def test_what_is_written_is_counted_and_a_shared_buffer_once_per_write() -> None:
    """Bytes and lines written, the shared buffer of a turn counted for each member it reaches."""
    stats = Stats()
    with twisted_tcp() as (transport, _, client):
        outbox = Outbox(Owner(), stats)
        outbox.attach(transport)
        shared, own = b"a: one\r\nb: two\r\n", b"c: three\r\n"
        outbox.write(shared)
        outbox.write(shared)
        outbox.write(own)
        assert (stats.lines_out, stats.bytes_out) == (5, 2 * len(shared) + len(own))
        assert read_all(client, transport, 2 * len(shared) + len(own)) == shared + shared + own


def test_which_transports_are_written_straight() -> None:
    """TCP, and TCP under the PROXY-protocol wrapper; never TLS or a transport of another kind."""
    with tcp_outbox() as (_, transport, _, _):
        assert direct(transport) is transport
        factory = HAProxyWrappingFactory(Factory())
        wrapper = HAProxyProtocolWrapper(factory, Protocol())  # type: ignore[arg-type]
        wrapper.makeConnection(transport)
        assert direct(wrapper) is transport
        transport.TLS = True  # as startTLS leaves it
        assert direct(transport) is None
    assert direct(StringTransport()) is None

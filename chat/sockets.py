"""
Client sockets: how one is set up, how its address reads in the log, and
what the protocols use of its transport.

Some settings the kernel's defaults get wrong for a chat server:

TCP keepalive normally first asks after two idle hours: a client whose
laptop closed would keep its name that long. The kernel grows a send
buffer to megabytes for a client that never reads, out of sight of
--max-send-queue. And Twisted listens with a backlog of 50, which a burst
of connections overflows (the extra clients then wait a second or more for
a SYN retry).
"""

from __future__ import annotations

import re
import socket
from typing import Protocol, runtime_checkable

from twisted.internet.abstract import FileDescriptor
from twisted.internet.interfaces import IAddress, IConsumer, ITCPTransport

KEEPALIVE_IDLE = 60
"""Seconds a connection may be silent before the kernel asks the client."""

KEEPALIVE_INTERVAL = 10
"""Seconds between two unanswered keepalive probes."""

KEEPALIVE_COUNT = 6
"""Unanswered probes after which the client is taken for gone: 60 + 6 × 10 s."""

USER_TIMEOUT = 120
"""
Seconds sent data may stay unacknowledged before the connection is given up.
Keepalive only probes a silent connection; while lines are being sent to a
client that vanished, this is what finds it (instead of ~15 minutes of
retransmissions).
"""

BACKLOG = 1024
"""The listen backlog for endpoints whose description does not set one."""

SEND_BUFFER = 256 * 1024
"""The kernel's send buffer for a client: what a client may lag by beyond --max-send-queue."""

_OPTIONS = [
    ("TCP_KEEPIDLE", KEEPALIVE_IDLE),
    ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
    ("TCP_KEEPCNT", KEEPALIVE_COUNT),
    ("TCP_USER_TIMEOUT", USER_TIMEOUT * 1000),  # milliseconds
]

_TAKES_BACKLOG = ("tcp", "tcp6", "ssl", "unix")
_SETS_BACKLOG = re.compile(r"(?<!\\):\s*backlog\s*=", re.IGNORECASE)


class ISocketTransport(ITCPTransport, IConsumer):
    """
    A client connection's transport, as the protocols here use it: TCP's,
    TLS's over TCP and UNIX sockets' (a kind of TCP transport in Twisted)
    all are this. Twisted types ``Protocol.transport`` as an optional
    ``ITransport``; it is set before the first event reaches a protocol.
    For the type checker: no transport names it.
    """

    # Every Twisted transport has it, though no interface declares it.
    disconnecting: bool


@runtime_checkable
class _TCPTransport(Protocol):
    def setTcpKeepAlive(self, enabled: int) -> None: ...

    def setTcpNoDelay(self, enabled: int) -> None: ...


def _socket_of(transport: object) -> socket.socket | None:
    """
    The TCP socket under ``transport``: a TLS transport's handle is its TLS
    connection, with the TCP transport as its own ``transport``.
    """
    while transport is not None:
        get_handle = getattr(transport, "getHandle", None)
        handle = get_handle() if get_handle is not None else None
        if isinstance(handle, socket.socket):
            return handle
        transport = getattr(transport, "transport", None)
    return None


def describe_peer(address: IAddress) -> str:
    """``host:port`` for an internet address, something readable otherwise."""
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None:
        return getattr(address, "name", None) or "a local socket"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _share_attribute_keys(transport: FileDescriptor) -> None:
    """
    Give a Twisted transport, now, the two attributes its first write would
    add later (with the values it would read from its class anyway).

    CPython keeps the attributes of all instances of a class in one shared
    key table; added only at the first write, once more than a dozen
    transports existed, these two gave every transport a dictionary of its
    own: about 600 bytes more per idle client (docs/performance.md).
    """
    transport.dataBuffer, transport.offset = transport.dataBuffer, transport.offset


def prepare(transport: object, send_queue: int = 0) -> None:
    """
    A new client connection's socket, set up for chatting. With a
    ``send_queue`` (--max-send-queue), the kernel's send buffer is fixed,
    and the transport tells of a backlog by half the queue at the latest.
    """
    if isinstance(transport, _TCPTransport):  # TCP, or TLS over TCP
        keep_alive(transport)
        # Lines are already gathered once per reactor turn; Nagle's
        # algorithm would only hold them back for an ACK.
        transport.setTcpNoDelay(True)
        if send_queue:
            fix_send_buffer(transport)
    tcp = _file_descriptor_of(transport)
    if tcp is not None:
        if send_queue and send_queue // 2 < tcp.bufferSize:
            # Set only when smaller than the class's: no attribute of its own.
            tcp.bufferSize = send_queue // 2
        _share_attribute_keys(tcp)


def fix_send_buffer(transport: object) -> None:
    """
    Fix a TCP socket's send buffer at ``SEND_BUFFER`` bytes.

    Left to itself, Linux grows a connection's send buffer up to
    ``net.ipv4.tcp_wmem``'s maximum (often 4 MiB), even for a client that
    offers a window of a few kilobytes and never reads: everything sent to
    such a client then waits in the kernel, where --max-send-queue can't see
    it, and the client is never dropped. Linux doubles the size asked for
    (half of it is its own bookkeeping), so half is asked for.
    """
    handle = _socket_of(transport)
    if handle is not None and handle.family in (socket.AF_INET, socket.AF_INET6):
        handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER // 2)


def _file_descriptor_of(transport: object) -> FileDescriptor | None:
    """The Twisted TCP transport itself, or the one under TLS."""
    while transport is not None and not isinstance(transport, FileDescriptor):
        transport = getattr(transport, "transport", None)
    return transport


def keep_alive(transport: _TCPTransport) -> None:
    """
    Turn TCP keepalive on for a client connection, with timers that find a
    vanished client within about two minutes (within 3 minutes, whatever it
    was doing). Options this system lacks are left at its defaults; UNIX
    sockets get keepalive only.
    """
    transport.setTcpKeepAlive(True)
    handle = _socket_of(transport)
    if handle is None or handle.family not in (socket.AF_INET, socket.AF_INET6):
        return  # a UNIX socket, for one (Twisted's UNIX transport is a TCP one)
    for name, value in _OPTIONS:
        option = getattr(socket, name, None)
        if option is not None:
            handle.setsockopt(socket.IPPROTO_TCP, option, value)


def with_backlog(description: str) -> str:
    """
    ``description`` with ``backlog=1024`` added when it listens with a
    backlog (tcp, tcp6, ssl, unix) and does not set one itself; under
    ``haproxy:`` too.
    """
    kind, _, rest = description.partition(":")
    kind = kind.strip().lower()
    if kind == "haproxy":
        return f"{description[: -len(rest)]}{with_backlog(rest)}" if rest else description
    if kind not in _TAKES_BACKLOG or _SETS_BACKLOG.search(description):
        return description
    return f"{description}:backlog={BACKLOG}"

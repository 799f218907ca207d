"""
When a line reached a sampling client: the time the kernel put it in the
client's socket, not the time this one Python process got round to reading
it.

A bench that reads a thousand sockets in one process reads each of them a
while after its line arrived, and that wait (its own queue, a few
milliseconds with hundreds of clients) would be counted as the server's
latency. On Linux each sampling client's socket gets ``SO_TIMESTAMPNS``: the
kernel stamps what it receives, and the client reads with ``recvmsg`` to
get the stamp of the last segment it read (a line that came earlier in the
same read is counted as late as that one: never early). Elsewhere, or over
TLS, the time of the read stands in.

The stamp is the real-time clock's, so every timestamp of the bench is
(``CLOCK_NS``), in the messages the senders write too; and a sender writes
straight to its socket when nothing waits in its transport, so the time in
a message is the time it was sent, not the time the reactor got to it.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from typing import Protocol

from twisted.internet import main
from twisted.internet.tcp import Connection

from chat.outbox import direct

# The bench's clock: the one the kernel stamps with.
CLOCK_NS = time.time_ns
# Linux's SO_TIMESTAMPNS (asm-generic/socket.h; Python does not name it);
# the control message that carries the stamp has the same number.
SO_TIMESTAMPNS = 35
TIMESPEC = struct.Struct("@qq")
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size)


class Stamped(Protocol):
    arrived_ns: int


def stamp_arrivals(client: Stamped, transport: object) -> bool:
    """
    Have the kernel stamp what reaches ``transport``'s socket, and set
    ``client.arrived_ns`` before each read is handed on; False (and nothing
    changed) where it can't.
    """
    tcp = direct(transport)
    if tcp is None or not sys.platform.startswith("linux"):
        return False
    sock = tcp.socket
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    tcp.doRead = _reader(client, tcp, sock)  # type: ignore[method-assign,assignment]
    return True


def _reader(client: Stamped, tcp: Connection, sock: socket.socket) -> object:
    """Twisted's ``doRead`` for a TCP connection, with ``recvmsg`` for ``recv``."""

    def doRead() -> object:
        try:
            data, ancillary, _, _ = sock.recvmsg(tcp.bufferSize, ANCILLARY)
        except BlockingIOError:
            return None
        except OSError:
            return main.CONNECTION_LOST
        client.arrived_ns = 0
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack_from(payload)
                client.arrived_ns = seconds * 1_000_000_000 + nanoseconds
        return tcp._dataReceived(data)

    return doRead

"""
What waits to be sent to one client, and how much of it there is.

The transport buffers writes and calls ``pauseProducing`` on its producer
when its buffer is full (the client is not reading fast enough). From then
on the outbox holds further lines itself until the transport has sent all
it had, and tells its owner both: output piling up for many clients at
once stops the reading (``chat.pressure``). ``held`` counts every byte
waiting in the daemon for the client, in the outbox and in the transport,
so that ``--max-send-queue`` is a hard cap: a write that would go over it
is not made, and the owner drops the client. What is written is counted
here too (``chat.stats``).

A write to a plain TCP connection with nothing waiting is tried on the
socket at once, and only what the kernel does not take goes to the
transport (libuv's "try write"): most lines reach their reader in the
very call that writes them, without the transport's two ``epoll_ctl``
calls (start writing, stop writing) and the reactor turn between them.
Once the transport is found empty the outbox remembers it, and writes try
the socket without looking at the transport again until one leaves it
something, the transport pauses the outbox, or the connection is being cut
(``stop``): a write costs a reader little more than its ``send``.
A TLS transport takes the transport's path: its bytes are not the line's.
"""

from __future__ import annotations

import socket
from typing import Protocol

from twisted.internet.abstract import FileDescriptor
from twisted.internet.interfaces import IPushProducer, ITransport
from twisted.internet.tcp import Connection
from twisted.protocols.haproxy._wrapper import HAProxyProtocolWrapper
from zope.interface import implementer

from chat.stats import Stats


class Owner(Protocol):
    """The connection an outbox writes for."""

    def backlogged(self) -> None: ...

    def drained(self) -> None: ...

    def send_queue_limit(self) -> int:
        """Most bytes that may wait for the client (0: no limit)."""
        ...

    def overflowed(self, limit: int) -> None:
        """A write would have taken what waits over ``limit``: it was not made."""
        ...


def descriptor(transport: object) -> FileDescriptor | None:
    """The file descriptor transport under ``transport`` (TLS, PROXY), or None."""
    while not isinstance(transport, FileDescriptor):
        transport = getattr(transport, "transport", None)
        if transport is None:
            return None
    return transport


def unsent(fd: FileDescriptor) -> int:
    """Bytes ``fd`` holds that the kernel has not taken yet (Twisted keeps them in two buffers)."""
    return len(fd.dataBuffer) - fd.offset + fd._tempDataLen


def buffered(transport: object) -> int:
    """
    Bytes a transport holds that the kernel has not taken yet: a TCP
    transport's buffer, or that of the TCP transport under TLS; 0 for a
    transport of another kind.
    """
    fd = descriptor(transport)
    return 0 if fd is None else unsent(fd)


def open_and_empty(tcp: Connection) -> bool:
    """Whether a write may go straight to the socket: nothing must go first, and it writes on."""
    return unsent(tcp) == 0 and bool(tcp.connected) and not tcp._writeDisconnected


def direct(transport: object) -> Connection | None:
    """
    The TCP connection whose socket takes this transport's bytes as they
    are: the transport itself, or the one under a PROXY-protocol wrapper
    (which passes writes through); None for TLS or another kind.
    """
    while isinstance(transport, HAProxyProtocolWrapper):
        transport = transport.transport
    if isinstance(transport, Connection) and not transport.TLS:
        return transport
    return None


def try_write(tcp: Connection, data: bytes) -> bytes:
    """
    Send what the socket takes now, if the transport holds nothing that
    must go first; what is left (all of ``data``, or the rest, or nothing).
    (``Outbox.write`` does the same in its own body: it runs for every
    reader of every line, and a call more costs there.)
    """
    if not open_and_empty(tcp):
        return data
    try:
        sent = tcp.socket.send(data)
    except OSError:  # full (EAGAIN), or broken: the transport finds out which
        return data
    return data[sent:] if sent < len(data) else b""


@implementer(IPushProducer)
class Outbox:
    """
    Every write to one client, from its connection being made: the
    send-queue cap, the transport's backpressure, the socket tried first,
    and the count of what was written (``chat.stats``). The room calls
    ``write`` for every member a line reaches, so it is kept short.
    """

    __slots__ = (
        "_clear",
        "_direct",
        "_fd",
        "_held",
        "_owner",
        "_socket",
        "_stats",
        "_transport",
        "_transport_full",
        "held_bytes",
    )

    def __init__(self, owner: Owner, stats: Stats) -> None:
        self._owner = owner
        self._stats = stats
        self._transport: ITransport | None = None  # once connected (``attach``)
        self._direct: Connection | None = None
        self._fd: FileDescriptor | None = None
        # The socket a write may try first, and whether it may now: nothing
        # is in the transport and the connection is open (``_cleared``).
        self._socket: socket.socket | None = None
        self._clear = False
        self._held: list[bytes] | None = None  # made when first needed
        self.held_bytes = 0
        self._transport_full = False

    def attach(self, transport: ITransport) -> None:
        """The connection is made: write to ``transport``."""
        self._transport = transport
        self._direct = direct(transport)
        self._fd = descriptor(transport)
        self._socket = self._direct.socket if self._direct is not None else None

    def held(self) -> int:
        """Every byte waiting to be sent, here and in the transport."""
        fd = self._fd
        return self.held_bytes if fd is None else self.held_bytes + unsent(fd)

    def write(self, data: bytes) -> None:
        """
        Send ``data``, or hold it while the transport is full. A write that
        would take what waits over the owner's send-queue limit is not
        made: the owner is told (``overflowed``). An empty queue takes any
        one write (a /who of a huge room).
        """
        if self._clear or self._cleared():
            try:
                sent = self._socket.send(data)  # type: ignore[union-attr]  # clear: a socket
            except OSError:  # full (EAGAIN), or broken: the transport finds out which
                sent = 0
            if sent != len(data):
                self._clear = False
                self._transport.write(data[sent:])  # type: ignore[union-attr]  # attached
        elif not self._queue(data):
            return
        # Counted here, not by a call: this runs for every reader of a line.
        # Most members of a turn get one shared buffer: its lines are counted once.
        stats = self._stats
        stats.bytes_out += len(data)
        if data is not stats.last_written:
            stats.last_written, stats.last_written_lines = data, data.count(b"\n")
        stats.lines_out += stats.last_written_lines

    def _queue(self, data: bytes) -> bool:
        """Hand ``data`` to the transport, or hold it; False if over the limit."""
        assert self._transport is not None, "written to before it connected"
        limit = self._owner.send_queue_limit()
        if limit:
            held = self.held()
            if held and held + len(data) > limit:
                self._owner.overflowed(limit)
                return False
        if self._transport_full:
            if self._held is None:
                self._held = []
            self._held.append(data)
            self.held_bytes += len(data)
        else:
            self._transport.write(data)  # _clear is False here: _cleared said so
        return True

    def _cleared(self) -> bool:
        """
        Whether a write may try the socket first: the transport has sent
        all it was given and writes on. Once so, writes try it until they
        give the transport something again, the transport pauses the
        outbox, or ``stop``: those are the only places ``_clear`` goes False,
        and this the only one it goes True.
        """
        tcp = self._direct
        if tcp is None or self._transport_full or not open_and_empty(tcp):
            return False
        self._clear = True
        return True

    def release(self) -> None:
        """Hand everything held to the transport and hold nothing more."""
        self._transport_full = False
        if self._held:
            data = b"".join(self._held)
            self.discard()  # _clear is False: the pause that held them made it so
            assert self._transport is not None, "held before it connected"
            self._transport.write(data)

    def discard(self) -> None:
        self._held = None
        self.held_bytes = 0

    def stop(self) -> None:
        """The connection is being cut: hold nothing, and send nothing more."""
        self.discard()
        self._clear = False
        self._direct = self._socket = None

    # IPushProducer, called by the transport.

    def pauseProducing(self) -> None:
        self._clear = False
        if not self._transport_full:
            self._transport_full = True
            self._owner.backlogged()

    def resumeProducing(self) -> None:
        if self._transport_full:
            self._owner.drained()
        self.release()

    def stopProducing(self) -> None:
        self.stop()

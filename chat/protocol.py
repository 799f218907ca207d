"""
Bytes to lines and back, for one connection.

The protocol keeps the wire honest (telnet commands removed, overlong lines
discarded, flood control by not reading, a slow reader's queue measured)
and hands each clean line to its ``Session``, which decides what it means.
The factory is shared: it counts connections, refuses those over a limit,
and says goodbye to everyone at shutdown.
"""

from __future__ import annotations

import sys
from collections import Counter

from twisted.internet.abstract import FileDescriptor
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IHalfCloseableProtocol,
    IReactorTime,
)
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from chat import lines, sockets, stats
from chat.limits import CLOSE_GRACE, SEND_QUEUE_GRACE, Limits, TokenBucket
from chat.outbox import Outbox
from chat.room import Room
from chat.session import Session
from chat.stats import Stats
from chat.text import TelnetFilter, clean_line

log = Logger()


def describe_peer(address: IAddress) -> str:
    """``host:port`` for an internet address, something readable otherwise."""
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None:
        return getattr(address, "name", None) or "a local socket"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _share_attribute_keys(transport: object) -> None:
    """
    Give a Twisted transport, now, the two attributes its first write would
    add later (with the values it would read from its class anyway).

    CPython keeps the attributes of all instances of a class in one shared
    key table; added only at the first write, once more than a dozen
    transports existed, these two gave every transport a dictionary of its
    own: about 600 bytes more per idle client (docs/performance.md).
    """
    if isinstance(transport, FileDescriptor):
        transport.dataBuffer, transport.offset = transport.dataBuffer, transport.offset


@implementer(IHalfCloseableProtocol)
class ChatProtocol(LineReceiver):
    """One client connection: framing, hygiene and flow control."""

    delimiter = b"\n"

    def __init__(self, factory: ChatFactory, host: str | None) -> None:
        # Every attribute is set here, in one order, so that all instances
        # share one key table (CPython's compact instance dictionaries).
        self._buffer = b""
        self._busyReceiving = False
        self.paused = False
        self.factory = factory
        self.host = host
        limits = factory.limits
        self._bucket = (
            TokenBucket(limits.rate, limits.burst, factory.clock.seconds())
            if limits.rate > 0
            else None
        )
        self._telnet: TelnetFilter | None = None  # made when IAC first shows up
        self._discarding = False
        self._overflow: bytes | None = None
        self._input_ended = False
        self._closing = False
        self._resume_call: IDelayedCall | None = None
        self._abort_call: IDelayedCall | None = None
        self._queue_check: IDelayedCall | None = None
        self._outbox: Outbox | None = None
        self.session = Session(factory, self)

    @property
    def MAX_LENGTH(self) -> int:  # read by LineReceiver
        # LineReceiver counts the CR of a telnet line; the limit does not.
        limit = self.factory.limits.max_line_length
        return limit + 1 if limit else sys.maxsize

    @property
    def peer(self) -> str:
        return describe_peer(self.transport.getPeer())

    # Connection events, from the transport.

    def connectionMade(self) -> None:
        keep_alive = getattr(self.transport, "setTcpKeepAlive", None)
        if keep_alive is not None:  # TCP, or TLS over TCP
            sockets.keep_alive(self.transport)
            # Lines are already gathered once per reactor turn; Nagle's
            # algorithm would only hold them back for an ACK.
            self.transport.setTcpNoDelay(True)
        _share_attribute_keys(self.transport)
        self._outbox = Outbox(self.transport)
        self.transport.registerProducer(self._outbox, True)
        self.factory.connected(self)
        self.session.start()

    def dataReceived(self, data: bytes) -> None:
        if self._telnet is None and b"\xff" in data:
            self._telnet = TelnetFilter()
        if self._telnet is not None:
            data = self._telnet.feed(data)
        while True:
            if self._discarding:
                _, newline, data = data.partition(b"\n")
                if not newline:
                    return
                self._discarding = False
            super().dataReceived(data)
            if self._overflow is None:
                return
            data, self._overflow = self._overflow, None

    def lineLengthExceeded(self, line: bytes) -> None:
        # LineReceiver hands over the long line and all that followed it:
        # skip to the end of the long line, then read on (in dataReceived).
        self._discarding = True
        self._overflow = line
        if not self._closing:
            self._line_handled(None)

    def lineReceived(self, line: bytes) -> None:
        if self._closing:
            return
        line = line.removesuffix(b"\r")
        limit = self.factory.limits.max_line_length
        self._line_handled(None if limit and len(line) > limit else line)

    def readConnectionLost(self) -> None:
        """The client will send no more; what it sent is still answered."""
        if self._input_ended:
            return
        self._input_ended = True
        if not self.paused:
            self._end_of_input()

    def writeConnectionLost(self) -> None:
        """Only the server half-closes, and then it is closing anyway."""

    def connectionLost(self, reason: Failure = None) -> None:
        for call in (self._resume_call, self._abort_call, self._queue_check):
            if call is not None and call.active():
                call.cancel()
        self._closing = True
        self.session.disconnected()
        self.factory.disconnected(self)

    # What the session asks of its connection.

    def write(self, data: bytes) -> None:
        counted = self.factory.stats
        counted.bytes_out += len(data)
        counted.lines_out += data.count(b"\n")
        held = self._outbox.write(data)
        limit = self.factory.limits.max_send_queue
        if limit and held > limit and self._queue_check is None:
            # A burst can overfill even a fast reader for a moment: judge it
            # once its transport has had time to drain.
            self._queue_check = self.factory.clock.callLater(
                SEND_QUEUE_GRACE, self._check_send_queue
            )

    def close(self) -> None:
        """Send what is pending, then close; cut it if that takes too long."""
        self._closing = True
        self._outbox.release()
        self.transport.unregisterProducer()
        self.transport.loseConnection()
        if self._abort_call is None:
            self._abort_call = self.factory.clock.callLater(CLOSE_GRACE, self.abort)

    def abort(self) -> None:
        self._closing = True
        self.transport.abortConnection()

    # Inside.

    def _line_handled(self, line: bytes | None) -> None:
        """Pass on a line (None: it was too long), then pay for it."""
        self.factory.stats.lines_in += 1
        if line is None:
            self.session.line_too_long()
        else:
            self.session.line_received(clean_line(line))
        if self._bucket is not None and not self._closing:
            wait = self._bucket.spend(self.factory.clock.seconds())
            if wait:
                self.factory.stats.flood_delays += 1
                self.pauseProducing()
                self._resume_call = self.factory.clock.callLater(wait, self._resume_reading)

    def _resume_reading(self) -> None:
        self._resume_call = None
        if self._closing:
            return
        if self._input_ended:
            # Nothing more will come from the socket: just read the buffer.
            self.paused = False
            self.dataReceived(b"")
        else:
            self.resumeProducing()
        if self._input_ended and not self.paused:
            self._end_of_input()

    def _check_send_queue(self) -> None:
        self._queue_check = None
        limit = self.factory.limits.max_send_queue
        if self._closing or self._outbox.held_bytes <= limit:
            return
        self._closing = True
        self._outbox.discard()
        reason = f"not reading, over {limit} bytes waiting"
        self.session.drop(stats.SLOW_READER, reason)

    def _end_of_input(self) -> None:
        rest = self.clearLineBuffer()
        if rest and not self._discarding:
            self.lineReceived(rest)
        if not self._closing:
            self.session.input_ended()


class RefusedConnection(Protocol):
    """A connection over a limit: one ``error:`` line, then closed."""

    def __init__(self, line: str, kind: str, stats: Stats) -> None:
        self.line = line
        self.kind = kind
        self.stats = stats

    def connectionMade(self) -> None:
        self.stats.drops[self.kind] += 1
        log.info(lines.LOG_REFUSED, peer=describe_peer(self.transport.getPeer()), reason=self.line)
        self.transport.write(lines.encode(self.line))
        self.transport.loseConnection()


class ChatFactory(Factory):
    """Shared by every connection: the room, the limits, the head count."""

    noisy = False

    def __init__(self, room: Room, limits: Limits, clock: IReactorTime) -> None:
        self.room = room
        self.limits = limits
        self.clock = clock
        self.stats = Stats()
        self.connections: set[ChatProtocol] = set()
        self._per_host: Counter[str] = Counter()
        self._all_closed: list[Deferred[None]] = []

    def buildProtocol(self, addr: IAddress) -> Protocol:
        host = getattr(addr, "host", None)
        if self.limits.max_clients and len(self.connections) >= self.limits.max_clients:
            return RefusedConnection(lines.SERVER_FULL, stats.SERVER_FULL, self.stats)
        if (
            self.limits.max_per_ip
            and host is not None
            and self._per_host[host] >= self.limits.max_per_ip
        ):
            return RefusedConnection(lines.TOO_MANY_FROM_ADDRESS, stats.PER_IP, self.stats)
        return ChatProtocol(self, host)

    def connected(self, protocol: ChatProtocol) -> None:
        self.connections.add(protocol)
        if protocol.host is not None:
            self._per_host[protocol.host] += 1

    def disconnected(self, protocol: ChatProtocol) -> None:
        if protocol not in self.connections:
            return
        self.connections.discard(protocol)
        if protocol.host is not None:
            self._per_host[protocol.host] -= 1
            if not self._per_host[protocol.host]:
                del self._per_host[protocol.host]
        if not self.connections:
            waiting, self._all_closed = self._all_closed, []
            for closed in waiting:
                closed.callback(None)

    def shut_down(self) -> Deferred[None]:
        """Say goodbye to every client; fires once every connection is closed."""
        log.info(lines.LOG_SHUTTING_DOWN, count=len(self.connections))
        self.room.empty()
        if not self.connections:
            return succeed(None)
        closed: Deferred[None] = Deferred()
        self._all_closed.append(closed)
        for protocol in list(self.connections):
            protocol.session.shut_down()
        return closed

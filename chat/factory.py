"""
The factory every connection shares: the room, the limits, the head count.

It admits or refuses each new connection (``chat.admission``), keeps the
pressure on everyone's output (``chat.pressure``), and at shutdown says
goodbye to every client and tells when the last one has gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from chat import lines
from chat.admission import Admission, RefusalLog, address_key
from chat.engines.base import Engine
from chat.limits import CLOSE_GRACE, Limits
from chat.pressure import Pressure, turn_limit
from chat.protocol import ChatProtocol
from chat.sockets import ISocketTransport, describe_peer
from chat.stats import DropReason, Stats

if TYPE_CHECKING:
    from prometheus_client.registry import Collector

log = Logger()


class RefusedConnection(Protocol):
    """
    A connection over a limit: one ``error:`` line, then closed, and cut if
    closing takes longer than ``CLOSE_GRACE`` (under TLS, a client that never
    does its handshake would otherwise hold the connection for ever).
    """

    transport: ISocketTransport

    def __init__(self, line: str, kind: DropReason, factory: ChatFactory) -> None:
        self.line = line
        self.kind = kind
        self.factory = factory
        self._cut: IDelayedCall | None = None

    def connectionMade(self) -> None:
        self.factory.stats.drops[self.kind] += 1
        self.factory.refusals.refused(describe_peer(self.transport.getPeer()), self.line)
        self.transport.write(lines.encode(self.line))
        self.transport.loseConnection()
        self._cut = self.factory.clock.callLater(CLOSE_GRACE, self.transport.abortConnection)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self._cut is not None and self._cut.active():
            self._cut.cancel()


class ChatFactory(Factory):
    """Shared by every connection: the room, the limits, the head count."""

    noisy = False

    def __init__(self, room: Engine, limits: Limits, clock: IReactorTime) -> None:
        self.room = room
        self.limits = limits
        self.clock = clock
        self.stats = Stats()
        self.connections: set[ChatProtocol] = set()
        self.admission = Admission(limits, clock)
        self.refusals = RefusalLog(clock)
        self.pressure = Pressure(
            clock,
            lambda: room.queued_bytes,
            lambda: len(self.connections),
            turn_limit(limits.max_send_queue),
        )
        room.flushed = self.pressure.changed
        # More for the metrics endpoint (prometheus_client collectors): the engine's.
        self.collectors: list[Collector] = []
        self._all_closed: list[Deferred[None]] = []

    def buildProtocol(self, addr: IAddress | None) -> Protocol:
        host = getattr(addr, "host", None)
        if self.limits.max_clients and len(self.connections) >= self.limits.max_clients:
            return RefusedConnection(lines.SERVER_FULL, DropReason.SERVER_FULL, self)
        origin = None if host is None else address_key(host)
        if origin is not None:
            refused = self.admission.refusal(origin)
            if refused is not None:
                kind, line = refused
                return RefusedConnection(line, kind, self)
        return ChatProtocol(self, origin)

    def connected(self, protocol: ChatProtocol) -> None:
        self.connections.add(protocol)
        if protocol.origin is not None:
            self.admission.opened(protocol.origin)

    def disconnected(self, protocol: ChatProtocol) -> None:
        if protocol not in self.connections:
            return
        self.connections.discard(protocol)
        if protocol.origin is not None:
            self.admission.closed(protocol.origin)
        if not self.connections:
            waiting, self._all_closed = self._all_closed, []
            for closed in waiting:
                closed.callback(None)

    def shut_down(self) -> Deferred[None]:
        """Say goodbye to every client; fires once every connection is closed."""
        log.info(lines.LOG_SHUTTING_DOWN, count=len(self.connections))
        self.refusals.stop()
        self.room.empty()
        self.pressure.stop()
        if not self.connections:
            return succeed(None)
        closed: Deferred[None] = Deferred()
        self._all_closed.append(closed)
        for protocol in list(self.connections):
            protocol.session.shut_down()
        return closed

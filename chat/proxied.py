"""
Clients behind a TCP load balancer that sends the PROXY protocol
(docs/deploying.md, "Behind HAProxy"): ``--port haproxy:tcp:5051``.

Twisted's ``haproxy:`` endpoint reads each connection's PROXY header and
from then on answers ``getPeer()`` with the client's address. But it builds
the chat protocol as soon as the balancer connects, with the balancer's
address: the per-address limits would count everyone behind the balancer
as one host. Here the chat protocol is built only once the header has
been read, with the address it names, so that the admission, the log and
everything else see the client.

A connection whose header is missing, malformed or later than
``HEADER_TIMEOUT`` is closed, with nothing sent, and a refusal logged like
the others (at most one line a second).
"""

from __future__ import annotations

import ipaddress

from twisted.internet.address import IPv6Address
from twisted.internet.interfaces import IAddress, IDelayedCall, IProtocol, ITransport
from twisted.internet.protocol import Protocol, connectionDone
from twisted.protocols.haproxy._exceptions import InvalidProxyHeader
from twisted.protocols.haproxy._info import ProxyInfo
from twisted.protocols.haproxy._v1parser import V1Parser
from twisted.protocols.haproxy._v2parser import V2Parser
from twisted.protocols.haproxy._wrapper import HAProxyProtocolWrapper, HAProxyWrappingFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, providedBy

from chat import lines
from chat.factory import ChatFactory, RefusedConnection
from chat.sockets import describe_peer
from chat.stats import DropReason

PREFIX = "haproxy"
"""The endpoint type of a description whose connections start with a PROXY header."""

HEADER_TIMEOUT = 10.0
"""Seconds a new connection may take to send its PROXY header (a balancer sends it at once)."""

_V2_SIGNATURE_LENGTH = 16  # the prefix, version and command, family, length


def proxied(description: str) -> str | None:
    """The description under ``haproxy:``, or None if ``description`` is not one."""
    kind, colon, rest = description.partition(":")
    return rest if colon and kind.strip().lower() == PREFIX else None


class _V1Parser(V1Parser):
    @classmethod
    def parse(cls, line: bytes) -> ProxyInfo:
        # The protocol allows "PROXY UNKNOWN" alone, which Twisted refuses.
        if line == b"PROXY UNKNOWN":
            return ProxyInfo(line, None, None)
        info = super().parse(line)
        # Twisted takes any word for an address: "PROXY TCP4 me ..." too.
        for address in (info.source, info.destination):
            if address is not None and not _is_address(address):
                raise InvalidProxyHeader()
        return info


def _is_address(address: IAddress) -> bool:
    """Whether an address from a v1 header is one of its family (TCP4 or TCP6)."""
    version = 6 if isinstance(address, IPv6Address) else 4
    try:
        return ipaddress.ip_address(getattr(address, "host", "")).version == version
    except ValueError:
        return False


def _parser_for(start: bytes) -> V1Parser | V2Parser | bool:
    """
    The parser for a header that begins with ``start``: True while too few
    bytes have come to tell, False if it is no PROXY header.
    """
    if start.startswith(V1Parser.PROXYSTR):
        return _V1Parser()
    if len(start) >= _V2_SIGNATURE_LENGTH:
        if start.startswith(V2Parser.PREFIX) and start[12] & 0xF0 == 0x20:
            return V2Parser()
        return False
    return V1Parser.PROXYSTR.startswith(start) or V2Parser.PREFIX.startswith(start[:12])


class ProxiedConnection(HAProxyProtocolWrapper):
    """
    One connection from the balancer: the PROXY header, then the chat
    protocol it wraps, which it is the transport of.
    """

    factory: ProxiedFactory

    def __init__(self, factory: ProxiedFactory) -> None:
        # The chat protocol comes with the header.
        super().__init__(factory, None)  # type: ignore[arg-type]
        self.wrappedProtocol: IProtocol | None = None  # type: ignore[assignment]
        self._start = b""
        self._timeout: IDelayedCall | None = None

    def makeConnection(self, transport: ITransport) -> None:
        directlyProvides(self, providedBy(transport))
        self.factory.waiting += 1  # until _stop_waiting
        Protocol.makeConnection(self, transport)
        self.factory.registerProtocol(self)

    def connectionMade(self) -> None:
        self._timeout = self.factory.wrappedFactory.clock.callLater(HEADER_TIMEOUT, self._refuse)

    def dataReceived(self, data: bytes) -> None:
        if self.wrappedProtocol is not None:
            self.wrappedProtocol.dataReceived(data)
            return
        if self.disconnecting:
            return
        if self._parser is None:
            self._start += data
            parser = _parser_for(self._start)
            if parser is True:
                return
            if parser is False:
                self._refuse()
                return
            self._parser, data, self._start = parser, self._start, b""
        try:
            self._proxyInfo, rest = self._parser.feed(data)
        except (InvalidProxyHeader, ValueError):
            self._refuse()
            return
        if self._proxyInfo is not None:
            self._connect(rest or b"")

    def _connect(self, rest: bytes) -> None:
        """Build the chat protocol for the address the header names, and hand it ``rest``."""
        self._stop_waiting()
        # A health check's header (LOCAL, UNKNOWN) names no address, and a
        # client on a unix socket no IP address: the balancer's, then.
        address: IAddress = self.getPeer()
        if getattr(address, "host", None) is None:
            assert self.transport is not None, "connected"
            address = self.transport.getPeer()
        protocol = self.factory.wrappedFactory.buildProtocol(address)
        self.wrappedProtocol = protocol
        protocol.makeConnection(self)
        if rest and not self.disconnecting:
            protocol.dataReceived(rest)

    def _stop_waiting(self) -> None:
        if self._timeout is not None:
            self.factory.waiting -= 1
            if self._timeout.active():
                self._timeout.cancel()
        self._timeout = None

    def _refuse(self) -> None:
        self._stop_waiting()
        assert self.transport is not None, "connected"
        peer = describe_peer(self.transport.getPeer())
        chat = self.factory.wrappedFactory
        chat.stats.drops[DropReason.NO_PROXY_HEADER] += 1
        chat.refusals.refused(peer, lines.LOG_NO_PROXY_HEADER)
        self.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._stop_waiting()
        if self.wrappedProtocol is None:
            self.factory.unregisterProtocol(self)
            return
        super().connectionLost(reason)


class ProxiedFactory(HAProxyWrappingFactory):
    """The chat factory, wrapped for a ``haproxy:`` endpoint."""

    wrappedFactory: ChatFactory
    noisy = False

    def __init__(self, wrappedFactory: ChatFactory) -> None:
        super().__init__(wrappedFactory)
        # Connections that have not sent their header yet: at most
        # --max-clients of them, as of connections with a chat.
        self.waiting = 0

    def buildProtocol(self, addr: IAddress | None) -> Protocol:  # type: ignore[override]
        chat = self.wrappedFactory
        if chat.limits.max_clients and self.waiting >= chat.limits.max_clients:
            return RefusedConnection(lines.SERVER_FULL, DropReason.SERVER_FULL, chat)
        return ProxiedConnection(self)

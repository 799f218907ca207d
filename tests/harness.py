"""
An in-memory daemon for the unit tests: the real factory, room and
protocols over ``StringTransport``, with a ``Clock`` for time.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.error import CannotListenError, ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IPushProducer
from twisted.internet.protocol import Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import LogEvent, formatEvent
from twisted.python.failure import Failure
from twisted.scripts.twistd import ServerOptions

from chat.engines.base import Engine
from chat.factory import ChatFactory
from chat.limits import Limits
from chat.protocol import ChatProtocol
from chat.proxied import ProxiedFactory
from chat.room import Room
from chat.tap import Options

# 16:05 local time, as in the traffic capture of the classic chatroom.
FIVE_PAST_FOUR = time.mktime((2026, 11, 25, 16, 5, 0, 0, 0, -1))


def logged(events: Sequence[LogEvent]) -> list[str]:
    """Captured log events as the lines an operator reads."""
    return [formatEvent(event) for event in events]


def parse(*arguments: str) -> Options:
    """The chatroom plugin's options, parsed from ``arguments``."""
    options = Options()
    options.parseOptions(list(arguments))
    return options


def parse_as_twistd(*arguments: str) -> Options:
    """The chatroom options as twistd parses them, after its own (``options.parent``)."""
    twistd = ServerOptions()
    twistd.parseOptions(list(arguments))
    return twistd.subOptions


class BusyReactor(MemoryReactorClock):
    """A reactor on which one TCP port is taken by another program."""

    def __init__(self, taken: int) -> None:
        super().__init__()
        self.taken = taken

    def listenTCP(
        self, port: int, factory: IProtocolFactory, backlog: int = 50, interface: str = ""
    ) -> IListeningPort:
        if port == self.taken:
            raise CannotListenError(interface, port, OSError(98, "Address already in use"))
        return super().listenTCP(port, factory, backlog, interface)


class Client:
    """One connection as its client sees it."""

    def __init__(self, protocol: Protocol, transport: StringTransport, room: Engine) -> None:
        self.protocol = protocol
        self.transport = transport
        self.room = room

    @property
    def chat_protocol(self) -> ChatProtocol:
        """The protocol of a connection the server took in (not refused)."""
        protocol = getattr(self.protocol, "wrappedProtocol", self.protocol)  # through PROXY
        assert isinstance(protocol, ChatProtocol), protocol
        return protocol

    @property
    def producer(self) -> IPushProducer:
        """What the server registered with the transport: the connection's outbox."""
        assert self.transport.producer is not None, "nothing registered"
        return self.transport.producer

    def send(self, data: str | bytes) -> None:
        """Type a line (str), or send raw bytes as they are."""
        if isinstance(data, str):
            data = data.encode("utf-8") + b"\n"
        self.protocol.dataReceived(data)

    def take(self) -> list[str]:
        """The lines received since the last ``take``, each checked for CRLF."""
        self.room.flush()  # as the reactor would, on its next turn
        data = self.transport.value()
        self.transport.clear()
        if not data:
            return []
        assert data.endswith(b"\r\n"), data
        return data[:-2].decode("utf-8").split("\r\n")

    @property
    def closing(self) -> bool:
        """The server has asked for the connection to close."""
        return bool(self.transport.disconnecting)

    def finish_close(self) -> None:
        """The transport finished the close the server asked for."""
        assert self.closing
        self.protocol.connectionLost(Failure(ConnectionDone()))

    def disconnect(self) -> None:
        """The client vanishes (a reset, a closed laptop)."""
        self.protocol.connectionLost(Failure(ConnectionLost()))


class Harness:
    """A daemon in memory: ``connect`` clients, ``join`` them, advance ``clock``."""

    def __init__(self, **limits: Any) -> None:  # the fields of Limits
        self.clock = Clock()
        self.clock.advance(FIVE_PAST_FOUR)
        self.limits = Limits(**limits)
        self.room = Room(self.clock, self.limits.history)
        self.factory = ChatFactory(self.room, self.limits, self.clock)
        self._next_port = 40000
        self.proxied = ProxiedFactory(self.factory)

    def connect_proxied(
        self, header: bytes | None = None, transport: StringTransport | None = None
    ) -> Client:
        """
        A new connection to a ``haproxy:`` port from the balancer at
        10.0.0.1, over ``transport`` if given, which sends ``header`` first
        (if any).
        """
        self._next_port += 1
        balancer = IPv4Address("TCP", "10.0.0.1", self._next_port)
        protocol = self.proxied.buildProtocol(balancer)
        if transport is None:
            transport = StringTransport(peerAddress=balancer)
        protocol.makeConnection(transport)
        if header is not None:
            protocol.dataReceived(header)
        return Client(protocol, transport, self.room)

    def connect(self, host: str | None = None) -> Client:
        """A new connection, from ``host`` or else from an address of its own."""
        self._next_port += 1
        if host is None:
            host = str(ipaddress.IPv4Address(0x0A000000 + self._next_port))  # 10.0.x.y
        address = IPv4Address("TCP", host, self._next_port)
        protocol = self.factory.buildProtocol(address)
        transport = StringTransport(peerAddress=address)
        protocol.makeConnection(transport)
        return Client(protocol, transport, self.factory.room)

    def join(self, name: str) -> Client:
        """A client that has chosen ``name``, with its welcome already read."""
        client = self.connect()
        client.send(name)
        assert client.take()[-1].startswith("online ("), name
        return client

    def chatters(self, *names: str) -> list[Client]:
        """Several joined clients, each with nothing left unread."""
        clients = [self.join(name) for name in names]
        for client in clients:
            client.take()
        return clients

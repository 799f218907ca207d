"""
The benchmark's clients with no network, for its tests: over StringTransport,
and a server as one address sees it.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.internet.testing import StringTransport
from zope.interface import implementer

from chat import lines
from chat.bench.client import BenchClient
from chat.bench.measure import Tally

WELCOME = (
    b"Please enter your name:\r\n"
    b"Chat with your friends and enjoy\r\n"
    b"[16:05] ali: 5 hi soheil im ali\r\n"
    b"online (3): ali, b00001, hasan\r\n"
)


class FakeNow:
    """A monotonic_ns stand-in the test sets by hand."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def __call__(self) -> int:
        return self.value


def connected_client(
    tally: Tally | None = None, now: FakeNow | None = None
) -> tuple[BenchClient, StringTransport]:
    """A client attached to a StringTransport, before any byte has arrived."""
    client = BenchClient("b00001", tally or Tally(), now or FakeNow())
    transport = StringTransport()
    client.makeConnection(transport)
    return client, transport


def registered_client(
    tally: Tally | None = None, now: FakeNow | None = None
) -> tuple[BenchClient, StringTransport]:
    """A client that has answered the prompt and seen the online list."""
    client, transport = connected_client(tally, now)
    client.dataReceived(WELCOME)
    transport.clear()
    return client, transport


@implementer(IStreamClientEndpoint)
class OneHostServer:
    """
    A server as one address sees it: the first ``allowed`` connections are
    welcome, every later one gets ``refusal`` and is closed.
    """

    def __init__(self, allowed: int, refusal: str) -> None:
        self.allowed = allowed
        self.refusal = refusal
        self.transports: list[StringTransport] = []

    def connect(self, factory: IProtocolFactory) -> Deferred[IProtocol]:
        transport = StringTransport()
        protocol = factory.buildProtocol(transport.getPeer())
        assert protocol is not None, "the bench's factory always builds its client"
        protocol.makeConnection(transport)
        self.transports.append(transport)
        if len(self.transports) <= self.allowed:
            protocol.dataReceived(WELCOME)
        else:
            protocol.dataReceived(lines.encode(self.refusal))
        return succeed(protocol)

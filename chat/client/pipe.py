"""The front end of ``chatroom-client`` for scripts: standard input and output."""

from __future__ import annotations

from twisted.internet import defer
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IReactorFDSet,
    IReactorTime,
    ITransport,
)
from twisted.internet.protocol import connectionDone
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from chat.client.front import Front, Session, bounded


@implementer(IHalfCloseableProtocol)
class PipeFront(LineReceiver):
    """
    The front end for scripts: each line of standard input is sent, each
    server line is written to standard output, end of input means ``/quit``.
    """

    delimiter = b"\n"
    MAX_LENGTH = 1 << 20
    FLUSH_TIMEOUT = 2.0
    transport: ITransport  # standard input and output, once connected

    def __init__(self, client: Session, clock: IReactorTime) -> None:
        self.client = client
        self.clock = clock
        self._lost: defer.Deferred[None] = defer.Deferred()

    def lineReceived(self, line: bytes) -> None:
        self.client.send_line(line.rstrip(b"\r").decode("utf-8", "replace"))

    def readConnectionLost(self) -> None:
        """End of input: a last line without newline still counts, then quit."""
        rest = self.clearLineBuffer()
        if rest:
            self.lineReceived(rest)
        self.client.quit()

    def writeConnectionLost(self) -> None:
        """Nobody reads our output any more: no point staying."""
        self.client.quit()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self._lost.called:
            self._lost.callback(None)

    def show(self, line: str) -> None:
        self.transport.write(line.encode("utf-8") + b"\n")

    def close(self) -> defer.Deferred[None]:
        self.transport.loseConnection()
        return bounded(self.clock, self._lost, self.FLUSH_TIMEOUT)


def start_pipe(reactor: IReactorTime, client: Session) -> Front:
    """Standard input to the server, server lines to standard output."""
    from twisted.internet import stdio

    front = PipeFront(client, reactor)
    stdio.StandardIO(front, reactor=IReactorFDSet(reactor))
    return front

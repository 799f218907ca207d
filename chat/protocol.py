"""
Bytes to lines and back, for one connection.

The protocol keeps the wire honest (telnet commands removed, overlong lines
discarded, flood control by not reading, a slow reader's queue measured)
and hands each clean line to its ``Session``, which decides what it means.
Line ends and clients that never send one: ``chat.framing``; the factory
that admits connections and shares the room: ``chat.factory``.
"""

from __future__ import annotations

import sys
from typing import Protocol

from twisted.internet.interfaces import (
    IDelayedCall,
    IHalfCloseableProtocol,
)
from twisted.internet.protocol import connectionDone
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from chat import sockets
from chat.framing import line_ends
from chat.limits import CLOSE_GRACE, JUNK_PER_LINE, TokenBucket
from chat.outbox import Outbox
from chat.pressure import Pressure
from chat.session import Server, Session
from chat.stats import DropReason
from chat.telnet import TelnetFilter
from chat.text import clean_line


class Host(Server, Protocol):
    """What a connection needs of the factory it came from (``chat.factory``)."""

    pressure: Pressure

    def connected(self, protocol: ChatProtocol) -> None: ...

    def disconnected(self, protocol: ChatProtocol) -> None: ...


@implementer(IHalfCloseableProtocol)
class ChatProtocol(LineReceiver):
    """One client connection: framing, hygiene and flow control."""

    delimiter = b"\n"
    transport: sockets.ISocketTransport

    def __init__(self, factory: Host, origin: str | None) -> None:
        # Every attribute is set here, in one order, so that all instances
        # share one key table (CPython's compact instance dictionaries).
        self._buffer = b""
        self._busyReceiving = False
        self.paused = False
        self.factory = factory
        self.origin = origin  # the address it counts against (admission.address_key)
        limits = factory.limits
        self._bucket = (
            TokenBucket(limits.rate, limits.burst, factory.clock.seconds())
            if limits.rate > 0
            else None
        )
        self._telnet: TelnetFilter | None = None  # made when IAC first shows up
        self._after_cr = False
        # Framed by line endings once one (or a telnet command) has come;
        # until then a pause ends a line too (docs/protocol.md, "Framing").
        self._framed = False
        self._pause_call: IDelayedCall | None = None
        self._discarding = False
        self._overflow: bytes | None = None
        self._input_ended = False
        self._closing = False
        self._resume_call: IDelayedCall | None = None
        self._abort_call: IDelayedCall | None = None
        self._outbox = Outbox(self, factory.stats)
        # The room writes to the outbox itself: it does so for every member
        # a line reaches.
        self.session = Session(factory, self, self._outbox.write)

    # Read by LineReceiver, never set: the factory's limit as it is now.
    @property
    def MAX_LENGTH(self) -> int:  # type: ignore[override]
        return self.factory.limits.max_line_length or sys.maxsize

    @property
    def peer(self) -> str:
        return sockets.describe_peer(self.transport.getPeer())

    # Connection events, from the transport.

    def connectionMade(self) -> None:
        sockets.prepare(self.transport, self.factory.limits.max_send_queue)
        self._outbox.attach(self.transport)
        self.transport.registerProducer(self._outbox, True)
        self.factory.connected(self)
        self.session.start()

    def dataReceived(self, data: bytes) -> None:
        received = len(data)
        if self._telnet is None and b"\xff" in data:
            self._telnet = TelnetFilter()
            self._framed = True
        if self._telnet is not None:
            data = self._telnet.feed(data)
            self._pay_for_junk(received - len(data))
        data, self._after_cr = line_ends(data, self._after_cr)
        if not self._framed and b"\n" in data:
            self._framed = True
        if not self.paused and self.factory.pressure.holding:
            self._wait_for_pressure()
        self._split(data)
        if not self._framed:
            self._await_pause()

    def _split(self, data: bytes) -> None:
        """Lines out of line-ended bytes, past the rest of any overlong line."""
        while True:
            if self._discarding:
                _, newline, rest = data.partition(b"\n")
                self._pay_for_junk(len(data) - len(rest))
                if not newline:
                    return
                self._discarding = False
                data = rest
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
        if not self._closing:
            self._line_handled(line)

    def readConnectionLost(self) -> None:
        """The client will send no more; what it sent is still answered."""
        if self._input_ended:
            return
        self._input_ended = True
        if not self.paused:
            self._end_of_input()

    def writeConnectionLost(self) -> None:
        """Only the server half-closes, and then it is closing anyway."""

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        for call in (self._resume_call, self._abort_call, self._pause_call):
            if call is not None and call.active():
                call.cancel()
        self._closing = True
        self.factory.pressure.forget(self)
        self.session.disconnected()
        self.factory.disconnected(self)

    # What the session asks of its connection.

    def write(self, data: bytes) -> None:
        self._outbox.write(data)

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
        self._outbox.stop()
        self.transport.abortConnection()

    # Inside.

    def _line_handled(self, line: bytes | None) -> None:
        """Pass on a line (None: it was too long), then pay for it."""
        self.factory.stats.lines_in += 1
        if line is None:
            self.session.line_too_long()
        else:
            self.session.line_received(clean_line(line))
        self._pay(1)
        if not self.paused and not self._closing and self.factory.pressure.holding:
            self._wait_for_pressure()

    def _pay_for_junk(self, size: int) -> None:
        """
        Bytes that form no line (telnet commands, overlong lines) cost a
        line's worth per --max-line-length bytes, or they would cost nothing.
        """
        if size:
            self._pay(size / (self.factory.limits.max_line_length or JUNK_PER_LINE))

    def _pay(self, lines: float) -> None:
        """Spend flood control's tokens; stop reading until they are back."""
        if self._bucket is None or self._closing:
            return
        wait = self._bucket.spend(self.factory.clock.seconds(), lines)
        if not wait:
            return
        if self._resume_call is not None:
            self._resume_call.reset(wait)
            return
        self.factory.stats.flood_delays += 1
        self.pauseProducing()
        self._resume_call = self.factory.clock.callLater(wait, self._resume_reading)

    def _await_pause(self) -> None:
        """An unframed client's line ends when it pauses: (re)start the wait."""
        pause = self.factory.limits.unframed_pause
        if not pause or self._closing or not (self._buffer or self._discarding):
            return
        if self._pause_call is not None:
            self._pause_call.reset(pause)
        else:
            self._pause_call = self.factory.clock.callLater(pause, self._paused_sending)

    def _paused_sending(self) -> None:
        """An unframed client went quiet: what it sent is one line."""
        self._pause_call = None
        if self._closing or self._framed:
            return
        if self._discarding:
            self._discarding = False  # the overlong line ends here
            self.clearLineBuffer()
        elif self.paused:
            # Not reading now (flood control, pressure): end the line where
            # the pause came, so that what the client sends later is a line
            # of its own; it is handled, and paid for, when reading resumes.
            if self._buffer and not self._buffer.endswith(self.delimiter):
                self._buffer += self.delimiter
        else:
            rest = self.clearLineBuffer()
            if rest:
                self.lineReceived(rest)

    def _resume_reading(self) -> None:
        self._resume_call = None
        if self._closing:
            return
        if self.factory.pressure.holding:
            self.factory.pressure.wait(self)
            return
        if self._input_ended:
            # Nothing more will come from the socket: just read the buffer.
            self.paused = False
            self.dataReceived(b"")
        else:
            self.resumeProducing()
        if self._input_ended and not self.paused:
            self._end_of_input()

    # What the outbox asks, and tells of the transport (for the pressure on everyone).

    def send_queue_limit(self) -> int:
        return self.factory.limits.max_send_queue

    def overflowed(self, limit: int) -> None:
        """A slow reader: it goes."""
        self._closing = True
        self._outbox.discard()
        self.session.drop(DropReason.SLOW_READER, f"not reading, over {limit} bytes waiting")

    def backlogged(self) -> None:
        self.factory.pressure.backlogged(self)

    def drained(self) -> None:
        self.factory.pressure.drained(self)

    def held(self) -> int:
        """Bytes waiting to be sent to this client (``chat.outbox``)."""
        return self._outbox.held()

    def read_on(self) -> None:
        """The pressure is off: read again, unless flood control still waits."""
        if self._resume_call is None:
            self._resume_reading()

    def _wait_for_pressure(self) -> None:
        self.pauseProducing()
        self.factory.pressure.wait(self)

    def _end_of_input(self) -> None:
        rest = self.clearLineBuffer()
        if rest and not self._discarding:
            self.lineReceived(rest)
        if not self._closing:
            self.session.input_ended()

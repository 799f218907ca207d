"""
The load protocol: one simulated user on one connection.

It answers the name prompt, waits for its ``online (N)`` line (N says how
many join lines will follow, which the run waits for and subtracts before
sending starts), and from then on only counts the lines it reads; a
sampling client also parses their timestamps (``chat.bench.measure``),
against the time its socket got them (``chat.bench.arrival``). With
``--check-order`` it also keeps its own count and a CRC of what it reads
while the run sends, and a recording client the messages' numbers
(``chat.bench.order``).
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Callable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure

from chat.bench.arrival import CLOCK_NS
from chat.bench.measure import MAX_SAMPLES, Tally, parse_latencies
from chat.bench.order import parse_ids
from chat.outbox import direct, try_write

PROMPT = b"Please enter your name:"
ONLINE = re.compile(rb"^online \((\d+)\)")


class RegistrationError(Exception):
    """The server refused a name, or closed before accepting it."""


class BenchClient(Protocol):
    """
    One simulated user: answers the prompt, then only counts lines.

    ``registered`` fires with the N of the ``online (N)`` line (how many
    were online, this client included), or fails with RegistrationError.
    ``closed`` fires when the connection is gone.
    """

    __slots__ = (
        "arrived_ns",
        "buffer",
        "checking",
        "closed",
        "crc",
        "ids",
        "name",
        "now_ns",
        "online",
        "partial",
        "received",
        "registered",
        "registering",
        "sampling",
        "tally",
        "via",
    )
    # Connected by a stream client endpoint: the transports of TCP, TLS and
    # UNIX sockets all provide ITCPTransport, abortConnection included (the
    # tests' StringTransport has the write and abortConnection used here).
    transport: ITCPTransport | None

    def __init__(
        self,
        name: str,
        tally: Tally,
        now_ns: Callable[[], int] = CLOCK_NS,
        via: int = 0,
    ) -> None:
        self.name = name
        self.tally = tally
        self.via = via  # which of the run's endpoints it connected to
        self.now_ns = now_ns
        # When the kernel put the last read's bytes in the socket (0: not known).
        self.arrived_ns = 0
        self.buffer = b""
        self.partial = b""
        self.registering = True
        self.sampling = False
        self.checking = False
        self.received = 0
        self.crc = 0
        self.ids: array[int] | None = None
        self.online = 0
        self.registered: Deferred[int] = Deferred()
        self.closed: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        if self.registering:
            self._register(data)
            return
        tally = self.tally
        count = data.count(b"\n")
        tally.lines += count
        if self.checking:
            self.received += count
            self.crc = zlib.crc32(data, self.crc)
        if self.sampling or self.ids is not None:
            block = self.partial + data
            end = block.rfind(b"\n") + 1
            self.partial, complete = block[end:], block[:end]
            if self.sampling and len(tally.latencies) < MAX_SAMPLES:
                arrived = self.arrived_ns or self.now_ns()
                parse_latencies(complete.split(b"\n"), arrived, tally.latencies)
            if self.ids is not None:
                parse_ids(complete, self.ids)

    def _register(self, data: bytes) -> None:
        """Line by line until the online list: only a handful of lines."""
        self.buffer += data
        while self.registering:
            if self.buffer.startswith(PROMPT):
                # The prompt may come without a line end, as input() prompts do.
                self.buffer = self.buffer[len(PROMPT) :].lstrip(b"\r\n")
                self.link().write(self.name.encode("ascii") + b"\n")
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                return
            line = self.buffer[:end].rstrip(b"\r")
            self.buffer = self.buffer[end + 1 :]
            if line.startswith(b"error: "):
                self.registering = False
                self.registered.errback(RegistrationError(line.decode("utf-8", "replace")))
                self.link().abortConnection()
                return
            found = ONLINE.match(line)
            if found:
                self.registering = False
                self.online = int(found[1])
                rest, self.buffer = self.buffer, b""
                self.registered.callback(self.online)
                if rest:
                    self.dataReceived(rest)

    def link(self) -> ITCPTransport:
        """The transport, there from the connection on (it is never unset)."""
        assert self.transport is not None, f"{self.name}: not connected"
        return self.transport

    def send_message(self, message: bytes) -> None:
        """
        Write one message line, the caller having just stamped it: straight
        to the socket if nothing waits in the transport, so that it leaves now.
        """
        tcp = direct(self.transport)
        rest = try_write(tcp, message) if tcp is not None else message
        if rest:
            self.link().write(rest)

    def quit(self) -> None:
        """Leave politely, as a user typing ``/quit`` would."""
        self.link().write(b"/quit\n")

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        # Transports do not reset it, and the run counts who is still here.
        self.connected = 0
        if self.registering:
            self.registering = False
            self.registered.errback(RegistrationError(f"{self.name}: closed before registration"))
        self.closed.callback(None)

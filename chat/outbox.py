"""
What waits to be sent to one client.

The transport buffers writes and calls ``pauseProducing`` on its producer
when its buffer is full (the client is not reading). From then on the
outbox holds further lines itself, so the daemon knows exactly how many
bytes a slow reader has pending, and can drop it past ``--max-send-queue``.
"""

from __future__ import annotations

from twisted.internet.interfaces import IPushProducer, ITransport
from zope.interface import implementer


@implementer(IPushProducer)
class Outbox:
    __slots__ = ("_held", "_transport", "_transport_full", "held_bytes")

    def __init__(self, transport: ITransport) -> None:
        self._transport = transport
        self._held: list[bytes] | None = None  # made when first needed
        self.held_bytes = 0
        self._transport_full = False

    def write(self, data: bytes) -> int:
        """Send or hold ``data``; return how many bytes are held."""
        if self._transport_full:
            if self._held is None:
                self._held = []
            self._held.append(data)
            self.held_bytes += len(data)
        else:
            self._transport.write(data)
        return self.held_bytes

    def release(self) -> None:
        """Hand everything held to the transport and hold nothing more."""
        self._transport_full = False
        if self._held:
            data = b"".join(self._held)
            self.discard()
            self._transport.write(data)

    def discard(self) -> None:
        self._held = None
        self.held_bytes = 0

    # IPushProducer, called by the transport.

    def pauseProducing(self) -> None:
        self._transport_full = True

    def resumeProducing(self) -> None:
        self.release()

    def stopProducing(self) -> None:
        self.discard()

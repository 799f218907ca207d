"""
The limits that keep one client from costing the others anything.

Each field is a twistd option of the same name (``--max-line-length`` …);
0 turns a limit off. Flood control is a token bucket per client.
"""

from __future__ import annotations

from dataclasses import dataclass

# Seconds a closing connection may take to flush what it was sent before it
# is cut: a client that stopped reading must not hold the server up.
CLOSE_GRACE = 3.0

# Bytes that form no line (telnet commands, the rest of an overlong line)
# cost a line's worth of flood control per --max-line-length bytes, or per
# this many when lines have no limit.
JUNK_PER_LINE = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_line_length: int = 1024
    max_clients: int = 10000
    max_per_ip: int = 16
    connect_burst: int = 20
    connect_rate: float = 20.0
    rate: float = 5.0
    burst: int = 10
    max_send_queue: int = 262144
    registration_timeout: float = 60.0
    idle_timeout: float = 0.0
    history: int = 20
    unframed_pause: float = 0.5


class TokenBucket:
    """
    Lines a client may send: ``burst`` at once, then ``rate`` a second.

    The server never drops a line for this; it stops reading from the
    client for as long as ``spend`` says, so TCP slows the sender down.
    """

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._rate = rate
        self._burst = max(burst, 1)
        self._tokens = float(self._burst)
        self._stamp = now

    def spend(self, now: float, cost: float = 1.0) -> float:
        """Pay for a line (or ``cost`` lines); return the seconds until the next may be read."""
        self._refill(now)
        self._tokens -= cost
        if self._tokens >= 1:
            return 0.0
        return (1 - self._tokens) / self._rate

    def take(self, now: float) -> bool:
        """Pay for one thing if there is a token for it; False (and nothing paid) if not."""
        self._refill(now)
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def full(self, now: float) -> bool:
        """Whether the whole burst is available again."""
        self._refill(now)
        return self._tokens >= self._burst

    def _refill(self, now: float) -> None:
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

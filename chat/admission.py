"""
Who may connect: the per-address caps of docs/protocol.md §5, and the log
of refusals.

One host must not be able to fill the server, nor to flood the room with
join and leave lines by connecting over and over: each address may hold
``--max-per-ip`` connections at once and open ``--connect-burst`` new ones
at once, then ``--connect-rate`` a minute. An IPv6 address counts by its
/64, which is what one host is usually given. Refusals are logged at most
once a second for each reason, with a count, so a refused flood can't
flood the log instead.
"""

from __future__ import annotations

import ipaddress
from collections import Counter

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from chat import lines
from chat.limits import Limits, TokenBucket
from chat.stats import DropReason

log = Logger()

# Seconds between two log lines about refusals for one reason.
REFUSAL_LOG_INTERVAL = 1.0


def address_key(host: str) -> str:
    """
    What counts as one host: an IPv4 address, or an IPv6 address's /64 (a
    link-local one, which all links share, as it is).
    """
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host.partition("%")[0])
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.is_link_local:
        return host  # every link shares fe80::/64: the address, with its zone
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))


class Admission:
    """
    Counts connections by address and says which reason, if any, refuses
    a new one. Nothing here is kept for an address that is back to a full
    allowance and holds no connection.
    """

    def __init__(self, limits: Limits, clock: IReactorTime) -> None:
        self._limits = limits
        self._clock = clock
        self._open: Counter[str] = Counter()
        self._new: dict[str, TokenBucket] = {}
        self._sweep_at = 0.0
        self._swept_size = 0

    def refusal(self, key: str) -> tuple[DropReason, str] | None:
        """Why a new connection from ``key`` is refused (counted as, line), or None."""
        limits = self._limits
        if limits.max_per_ip and self._open[key] >= limits.max_per_ip:
            return DropReason.PER_IP, lines.TOO_MANY_FROM_ADDRESS
        if limits.connect_burst and limits.connect_rate:
            now = self._clock.seconds()
            bucket = self._new.get(key)
            if bucket is None:
                bucket = self._new[key] = TokenBucket(
                    limits.connect_rate / 60, limits.connect_burst, now
                )
            if not bucket.take(now):
                return DropReason.THROTTLED, lines.TOO_MANY_NEW_FROM_ADDRESS
            self._sweep(now)
        return None

    def opened(self, key: str) -> None:
        self._open[key] += 1

    def closed(self, key: str) -> None:
        self._open[key] -= 1
        if not self._open[key]:
            del self._open[key]

    def _sweep(self, now: float) -> None:
        """
        Forget the addresses whose allowance is full again: once a minute,
        or sooner when there are twice as many as after the last time.
        """
        if now < self._sweep_at and len(self._new) < 2 * self._swept_size + 1024:
            return
        self._sweep_at = now + 60
        for key in [key for key, bucket in self._new.items() if bucket.full(now)]:
            del self._new[key]
        self._swept_size = len(self._new)


class RefusalLog:
    """The first refusal for a reason is logged; the rest of its second, counted."""

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._quiet: dict[str, tuple[IDelayedCall, int]] = {}

    def refused(self, peer: str, reason: str) -> None:
        held = self._quiet.get(reason)
        if held is not None:
            self._quiet[reason] = (held[0], held[1] + 1)
            return
        log.info(lines.LOG_REFUSED, peer=peer, reason=reason)
        self._hold(reason)

    def stop(self) -> None:
        """Log what is still counted, and hold nothing more."""
        for reason in list(self._quiet):
            call, _ = self._quiet[reason]
            call.cancel()
            self._summarise(reason, again=False)

    def _hold(self, reason: str) -> None:
        call = self._clock.callLater(REFUSAL_LOG_INTERVAL, self._summarise, reason)
        self._quiet[reason] = (call, 0)

    def _summarise(self, reason: str, again: bool = True) -> None:
        _, count = self._quiet.pop(reason)
        if count:
            log.info(lines.LOG_REFUSED_MORE, count=count, reason=reason)
            if again:
                self._hold(reason)

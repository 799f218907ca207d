"""
Counters of what the daemon did, for the metrics endpoint and the logs.

Plain integers bumped where things happen; reading them costs nothing
until something (a Prometheus scrape) asks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class DropReason(StrEnum):
    """
    Why a client was dropped or refused, as counted in ``Stats.drops``; the
    values are the ``reason`` labels of the metrics, so they never change.
    """

    SLOW_READER = "slow_reader"
    IDLE = "idle_timeout"
    NO_NAME = "registration_timeout"
    SERVER_FULL = "server_full"
    PER_IP = "max_per_ip"
    THROTTLED = "connect_rate"
    NO_PROXY_HEADER = "no_proxy_header"  # on a haproxy: port (chat/proxied.py)


@dataclass(slots=True)
class Stats:
    lines_in: int = 0
    lines_out: int = 0
    bytes_out: int = 0
    flood_delays: int = 0
    drops: Counter[str] = field(default_factory=Counter)
    # Counted as they are written (chat.outbox), with the last buffer
    # written and its lines: a turn writes one shared buffer to most
    # members (chat.delivery), its lines counted once, not once per member.
    last_written: bytes = b""
    last_written_lines: int = 0

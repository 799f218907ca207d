"""The Redis engine as a twistd service: ``--redis URL`` and ``--redis-prefix``."""

from __future__ import annotations

import os
import secrets
import socket

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from chat.engines.redis.address import RedisAddress
from chat.engines.redis.engine import RedisEngine
from chat.engines.redis.leases import LeaseTimes
from chat.limits import Limits


def daemon_id() -> str:
    """This daemon's name in Redis: host, process, and a token for a reused pid."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class RedisService(Service):
    """Links to Redis as the daemon starts; frees this daemon's names as it stops."""

    def __init__(self, engine: RedisEngine) -> None:
        self.engine = engine

    def startService(self) -> None:
        super().startService()
        self.engine.start()

    def stopService(self) -> Deferred[None]:
        super().stopService()
        return self.engine.stop()


def lease_times() -> LeaseTimes:
    """
    The lease's time to live and renewal, in seconds: the defaults, or
    ``CHATROOM_REDIS_LEASE=TTL,EVERY`` from the environment (the tests make
    them short, so that a killed daemon is reaped in a second).
    """
    setting = os.environ.get("CHATROOM_REDIS_LEASE")
    if not setting:
        return LeaseTimes()
    ttl, every = (float(part) for part in setting.split(","))
    return LeaseTimes(ttl, every)


def redis_engine(url: str, prefix: str, limits: Limits, reactor: IReactorTime) -> RedisEngine:
    address = RedisAddress.parse(url)
    return RedisEngine(reactor, limits.history, address, prefix, daemon_id(), lease_times())

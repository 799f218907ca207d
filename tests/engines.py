"""
One room for the behaviour tests, served by either engine: one in-memory
daemon on a ``Clock`` (``chat.room.Room``), or two daemons in this process
on one real Redis (``RedisEngine`` on the real reactor), with the clients
dealt to them in turn, so that every line the tests check crosses Redis.

``settled`` waits (bounded) until every line sent has reached every daemon;
then ``Client.take`` reads what each client got, as with ``Harness``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from chat.engines.redis.address import RedisAddress
from chat.engines.redis.engine import RedisEngine
from chat.engines.redis.leases import LeaseTimes
from chat.factory import ChatFactory
from chat.limits import Limits
from tests.harness import Client, Harness
from tests.wire import TimedOut

WAIT = 10.0
# Short leases, so that a daemon that dies is reaped within a second or two.
FAST_LEASES = LeaseTimes(ttl=1.0, every=0.25)
_daemons = count()


class Daemon(Harness):
    """A daemon in this process over StringTransport, with a Redis engine."""

    def __init__(self, engine: RedisEngine, **limits: object) -> None:
        self.limits = Limits(**limits)  # type: ignore[arg-type]
        self.engine = engine
        self.factory = ChatFactory(engine, self.limits, reactor_time())
        self._next_port = 40000


def reactor_time() -> IReactorTime:
    assert IReactorTime.providedBy(reactor)
    return reactor


def redis_engine(url: str, prefix: str, history: int = 20) -> RedisEngine:
    """A Redis engine on the real reactor, with short leases, not started."""
    name = f"daemon{next(_daemons)}"
    return RedisEngine(reactor_time(), history, RedisAddress.parse(url), prefix, name, FAST_LEASES)


def received(client: Client, line: str) -> bool:
    """``client`` has been sent ``line`` (what it got is kept for ``take``)."""
    client.room.flush()
    return line.encode("utf-8") + b"\r\n" in client.transport.value()


class OneRoom:
    """The room the tests chat in, and its daemons (one, or two on Redis)."""

    def __init__(self, daemons: list[Harness], engines: list[RedisEngine]) -> None:
        self.daemons = daemons
        self.engines = engines
        self._turn = 0

    @classmethod
    def in_memory(cls, **limits: object) -> OneRoom:
        return cls([Harness(**limits)], [])

    @classmethod
    async def on_redis(cls, url: str, prefix: str, daemons: int = 2, **limits: object) -> OneRoom:
        history = int(limits.get("history", 20))  # type: ignore[call-overload]
        engines = [redis_engine(url, prefix, history) for _ in range(daemons)]
        room = cls([Daemon(engine, **limits) for engine in engines], engines)
        for engine in engines:
            engine.start()
        try:
            await room.until(lambda: all(engine.up for engine in engines), "the link up")
        except BaseException:
            room.stop()  # no link left retrying under the next tests
            raise
        return room

    def stop(self) -> None:
        for engine in self.engines:
            engine.leases.stop()
            engine.link.stop()

    def connect(self, daemon: int | None = None) -> Client:
        """A new client, on the given daemon or on the next one in turn."""
        if daemon is None:
            daemon, self._turn = self._turn % len(self.daemons), self._turn + 1
        return self.daemons[daemon].connect()

    async def join(self, name: str, daemon: int | None = None) -> Client:
        """A client that has chosen ``name``, with its welcome already read."""
        client = self.connect(daemon)
        client.send(name)
        await self.settled()
        welcome = client.take()
        assert welcome and welcome[-1].startswith("online ("), (name, welcome)
        return client

    async def chatters(self, *names: str) -> list[Client]:
        """Several joined clients, each with nothing left unread."""
        clients = [await self.join(name) for name in names]
        await self.settled()
        for client in clients:
            client.take()
        return clients

    def _quiet(self) -> bool:
        top = max(engine.batches.last_published for engine in self.engines)
        return all(
            engine.up and engine.idle() and engine.mirror.last_seq >= top for engine in self.engines
        )

    async def settled(self) -> None:
        """Every line sent so far has gone through Redis and reached every daemon."""
        if self.engines:
            await self.until(self._quiet, "every daemon to settle")

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait until ``condition`` holds, checked as the engines hear news; at most WAIT s."""
        if condition():
            return
        done: Deferred[None] = Deferred()

        def check() -> None:
            if not done.called and condition():
                done.callback(None)

        def timed_out() -> None:
            if not done.called:
                done.errback(TimedOut(f"waited {WAIT} s for {what}"))

        for engine in self.engines:
            engine.changed = check
        timer = reactor_time().callLater(WAIT, timed_out)
        try:
            await done
        finally:
            if timer.active():
                timer.cancel()
            for engine in self.engines:
                engine.changed = lambda: None

"""
The link to Redis: one connection for commands, one subscribed to the
room's channel, each kept open (reconnecting with a short backoff), and
the state of the two together: up when both are ready, down when either
is lost.

A command waits at most ``reply_timeout`` seconds for its answer; then its
connection is cut and made again, so a partition is noticed. The
subscription is checked with a PING as often.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import txredisapi
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import ClientFactory
from twisted.logger import Logger
from twisted.python.failure import Failure

from chat import lines
from chat.engines.redis.address import RedisAddress

log = Logger()

REPLY_TIMEOUT = 5.0
RETRY_FIRST = 0.1
RETRY_MOST = 2.0


class Listener(Protocol):
    def link_up(self) -> None: ...

    def link_down(self, reason: str) -> None: ...

    def message(self, text: str) -> None: ...


class _Subscriber(txredisapi.SubscriberProtocol):
    on_message: Callable[[str], None] = staticmethod(lambda text: None)

    def messageReceived(self, pattern: object, channel: object, message: str) -> None:
        self.on_message(message)


class _Factory(ClientFactory):
    """Builds txredisapi protocols and answers what they ask of their factory."""

    noisy = False
    isLazy = False

    def __init__(self, kind: type[Any], address: RedisAddress, reply_timeout: float) -> None:
        self.kind = kind
        self.address = address
        self.reply_timeout = reply_timeout
        self.problem = ""

    def buildProtocol(self, addr: object) -> Any:
        protocol = self.kind(
            password=self.address.password,
            username=self.address.username if self.address.password else None,
            dbid=self.address.db,
            replyTimeout=self.reply_timeout,
        )
        protocol.factory = self
        return protocol

    def stopTrying(self) -> None:
        """A refused AUTH or SELECT: the link keeps trying, and logs why."""

    def connectionError(self, message: str) -> None:
        self.problem = message


class _Kept:
    """One connection, made again whenever it is lost, until stopped."""

    def __init__(
        self,
        reactor: IReactorTime,
        address: RedisAddress,
        kind: type[Any],
        ready: Callable[[Any], Deferred[Any]],
        changed: Callable[[], None],
        reply_timeout: float,
    ) -> None:
        self._reactor = reactor
        self._address = address
        self._endpoint = address.endpoint(reactor)
        self._factory = _Factory(kind, address, reply_timeout)
        self._ready = ready
        self._changed = changed
        self._retry: IDelayedCall | None = None
        self._attempts = 0
        self._stopped = False
        self.protocol: Any = None
        self.ready = False
        self.reason = "not connected yet"

    def start(self) -> None:
        self._retry = None
        if self._stopped:
            return
        self._endpoint.connect(self._factory).addCallbacks(self._connected, self._failed)

    def _connected(self, protocol: Any) -> None:
        self.protocol = protocol
        protocol.whenDisconnected().addCallback(lambda _: self._lost(protocol))
        protocol.whenConnected().addCallback(self._ready).addCallbacks(
            lambda _: self._up(protocol), lambda failure: self._abort(protocol, failure)
        )

    def _up(self, protocol: Any) -> None:
        if protocol is self.protocol and protocol.connected:
            self._attempts = 0
            self.ready = True
            self._changed()

    def _abort(self, protocol: Any, failure: Failure) -> None:
        self.reason = failure.getErrorMessage()
        if protocol.transport is not None:
            protocol.transport.abortConnection()

    def _failed(self, failure: Failure) -> None:
        self.reason = failure.getErrorMessage()
        self._unreachable()
        self._again()

    def _unreachable(self) -> None:
        """Log why no connection could be made: once per outage, not at every attempt."""
        if self._attempts == 0:
            log.warn(lines.LOG_REDIS_UNREACHABLE, url=str(self._address), reason=self.reason)

    def _lost(self, protocol: Any) -> None:
        if protocol is not self.protocol:
            return
        self.protocol = None
        self.reason = self._factory.problem or self.reason
        if self.ready:
            self.ready = False
            self.reason = self._factory.problem or "connection lost"
            self._changed()
        else:  # refused before it was ready: AUTH, SELECT, SUBSCRIBE
            self._unreachable()
        self._again()

    def _again(self) -> None:
        if self._stopped or self._retry is not None:
            return
        delay = min(RETRY_MOST, RETRY_FIRST * 2**self._attempts)
        self._attempts += 1
        self._retry = self._reactor.callLater(delay, self.start)

    def cut(self) -> None:
        """Drop the connection now (it is made again)."""
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.abortConnection()

    def stop(self) -> None:
        self._stopped = True
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.loseConnection()


class Link:
    """Commands and the room's channel, and whether both are up."""

    def __init__(
        self,
        reactor: IReactorTime,
        address: RedisAddress,
        channel: str,
        listener: Listener,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> None:
        self.address = address
        self.channel = channel
        self.listener = listener
        self.up = False
        self._stopped = False
        self._commands = _Kept(
            reactor, address, txredisapi.RedisProtocol, self._no_more, self._changed, reply_timeout
        )
        self._channel = _Kept(
            reactor, address, _Subscriber, self._subscribe, self._changed, reply_timeout
        )

    def start(self) -> None:
        self._commands.start()
        self._channel.start()

    def stop(self) -> None:
        """Close both connections for good; nobody is told the room is cut off."""
        self._stopped = True
        self._commands.stop()
        self._channel.stop()

    def _no_more(self, protocol: Any) -> Deferred[Any]:
        return succeed(protocol)

    def _subscribe(self, protocol: Any) -> Deferred[Any]:
        protocol.on_message = self._message
        result: Deferred[Any] = protocol.subscribe(self.channel)
        return result

    def _message(self, text: str) -> None:
        if self.up:
            self.listener.message(text)

    def _changed(self) -> None:
        up = self._commands.ready and self._channel.ready
        if up == self.up or self._stopped:
            return
        self.up = up
        if up:
            self.listener.link_up()
        else:
            lost = self._channel if not self._channel.ready else self._commands
            # Both connections start again from a clean state.
            self._commands.cut()
            self._channel.cut()
            self.listener.link_down(lost.reason)

    def run(self, script: str, keys: list[str], args: list[object]) -> Deferred[Any]:
        """A Lua script (by its hash once Redis knows it); fails at once while down."""
        if not self._commands.ready:
            return fail(txredisapi.ConnectionError("not connected"))
        result: Deferred[Any] = self._commands.protocol.eval(script, keys, args)
        return result

    def command(self, *args: object) -> Deferred[Any]:
        if not self._commands.ready:
            return fail(txredisapi.ConnectionError("not connected"))
        result: Deferred[Any] = self._commands.protocol.execute_command(*args)
        return result

    def ping_channel(self) -> None:
        """A PING on the subscribed connection: no answer in time cuts it."""
        if self._channel.ready:
            self._channel.protocol.ping().addErrback(lambda _: None)

    def cut(self) -> None:
        """Drop both connections (tests: as if Redis had gone)."""
        self._commands.cut()
        self._channel.cut()

"""
The twistd plugin's options and ``makeService``: ``twistd chatroom --help``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import ClassVar, NoReturn

from twisted.application.service import MultiService
from twisted.copyright import version as twisted_version
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IReactorFromThreads, IReactorTime
from twisted.python import usage

from chat import __version__
from chat.engines.base import Engine
from chat.factory import ChatFactory
from chat.limits import Limits
from chat.room import Room
from chat.service import ChatService, Listener, listen_before_daemonizing
from chat.signals import SignalService

DEFAULT_PORT = "tcp:5050"
_DEFAULTS = Limits()


def endpoint_description(value: str, option: str = "--port") -> str:
    """A port number means ``tcp:NUMBER``; anything else must parse as an endpoint."""
    value = value.strip()
    if value.isdigit():
        return f"tcp:{value}"
    try:
        # Built, never listened on: only to check the description now.
        serverFromString(None, value)
    except (ValueError, TypeError) as problem:
        # The description itself is wrong: an unknown type, a bad number, an
        # argument the endpoint does not take.
        raise usage.UsageError(
            f"{option} {value!r}: not an endpoint description ({problem})"
        ) from None
    except Exception:
        # The description parsed; building the endpoint failed on what depends
        # on the machine it runs on: a missing or unreadable key file
        # (OSError, OpenSSL's errors), no socket passed by systemd
        # (LookupError), or whatever another endpoint plugin looks up. The
        # daemon reports that, naming the endpoint, when it listens.
        return value
    return value


def _at_least_zero(kind: Callable[[str], float]) -> Callable[[str], float]:
    def coerce(value: str) -> float:
        number = kind(value)
        if number < 0:
            raise ValueError(f"{value} is below 0")
        return number

    coerce.coerceDoc = "0 turns it off."  # type: ignore[attr-defined]
    return coerce


_count = _at_least_zero(int)
_seconds = _at_least_zero(float)


class Options(usage.Options):
    synopsis = "[--port ENDPOINT ...] [options]"
    longdesc = (
        "A chat server: people connect with telnet, netcat or chatroom-client, "
        "type their name, and every line they type reaches everyone else."
    )
    optParameters: ClassVar[list[list[object]]] = [
        [
            "redis-prefix",
            None,
            "chatroom",
            "With --redis: prefix of the keys and channel; daemons with one prefix share a room.",
        ],
        ["history", None, _DEFAULTS.history, "Recent messages replayed to a newcomer.", _count],
        [
            "max-line-length",
            None,
            _DEFAULTS.max_line_length,
            "Bytes per line; longer lines are discarded.",
            _count,
        ],
        ["max-clients", None, _DEFAULTS.max_clients, "Connections at once.", _count],
        [
            "max-per-ip",
            None,
            _DEFAULTS.max_per_ip,
            "Connections at once from one address (IPv6: one /64).",
            _count,
        ],
        [
            "connect-burst",
            None,
            _DEFAULTS.connect_burst,
            "New connections one address may open at once, before --connect-rate applies.",
            _count,
        ],
        [
            "connect-rate",
            None,
            _DEFAULTS.connect_rate,
            "New connections per minute from one address, after --connect-burst.",
            _seconds,
        ],
        ["rate", None, _DEFAULTS.rate, "Lines per second per client (flood control).", _seconds],
        [
            "burst",
            None,
            _DEFAULTS.burst,
            "Lines a client may send at once before --rate applies.",
            _count,
        ],
        [
            "max-send-queue",
            None,
            _DEFAULTS.max_send_queue,
            "Bytes held for a client that does not read before it is dropped.",
            _count,
        ],
        [
            "registration-timeout",
            None,
            _DEFAULTS.registration_timeout,
            "Seconds to choose a name.",
            _seconds,
        ],
        [
            "idle-timeout",
            None,
            _DEFAULTS.idle_timeout,
            "Seconds a registered user may stay silent.",
            _seconds,
        ],
        [
            "unframed-pause",
            None,
            _DEFAULTS.unframed_pause,
            "Seconds of silence that end a line from a client that never sent a line ending.",
            _seconds,
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["port"] = []
        self["metrics"] = None
        self["redis"] = None

    def opt_port(self, value: str) -> None:
        """
        Where to listen: a port number or a Twisted endpoint description
        (tcp:5050:interface=127.0.0.1, ssl:5443:privateKey=key.pem:certKey=cert.pem,
        unix:/run/chatroom.sock, systemd:domain=INET:index=0; behind a load
        balancer that sends the PROXY protocol, haproxy:tcp:5051). Repeat it
        to listen on several. Default: tcp:5050.
        """
        self["port"].append(endpoint_description(value))

    opt_p = opt_port

    def opt_version(self) -> NoReturn:
        """Show the chatroom version (and Twisted's), and exit."""
        sys.stdout.write(f"chatroom {__version__} (Twisted {twisted_version})\n")
        raise SystemExit(0)

    def opt_metrics(self, value: str) -> None:
        """
        Serve Prometheus metrics at http://ENDPOINT/metrics, e.g.
        tcp:9100:interface=127.0.0.1 (a port number or an endpoint description).
        """
        self["metrics"] = endpoint_description(value, "--metrics")

    def opt_redis(self, value: str) -> None:
        """
        Serve one room with every daemon on this Redis (docs/scaling.md):
        redis://[:password@]host[:port][/db], rediss://... (TLS),
        unix:///path/to/redis.sock[?db=N].
        """
        from chat.engines.redis.address import RedisAddress

        try:
            RedisAddress.parse(value)
        except ValueError as problem:
            raise usage.UsageError(f"--redis {value!r}: {problem}") from None
        self["redis"] = value

    def postOptions(self) -> None:
        if not self["port"]:
            self["port"] = [DEFAULT_PORT]
        self["limits"] = Limits(
            **{f.name: self[f.name.replace("_", "-")] for f in dataclasses.fields(Limits)}
        )


def makeService(options: Options, reactor: IReactorTime | None = None) -> MultiService:
    """
    The chat service, after the metrics endpoint if there is one. Without a
    reactor given, as twistd calls it, the daemon answers SIGHUP and SIGUSR1.
    """
    signals = reactor is None
    if reactor is None:
        from twisted.internet import reactor as running

        reactor = running
    limits: Limits = options["limits"]
    daemon = MultiService()
    room: Engine
    if options["redis"] is None:
        room = Room(reactor, limits.history)
    else:
        from chat.engines.redis.service import RedisService, redis_engine

        room = engine = redis_engine(options["redis"], options["redis-prefix"], limits, reactor)
        # Added first, stopped last: the clients are told goodbye before the names go.
        RedisService(engine).setServiceParent(daemon)
    factory = ChatFactory(room, limits, reactor)
    if options["redis"] is not None:
        factory.collectors.append(engine.collector())
    listeners: list[Listener] = []
    if options["metrics"] is not None:
        from chat.metrics import metrics_service

        listeners.append(metrics_service(options["metrics"], factory, reactor))
    listeners.append(ChatService(options["port"], factory, reactor))
    if signals:
        SignalService(IReactorFromThreads(reactor), listeners).setServiceParent(daemon)
    for listener in listeners:
        listener.setServiceParent(daemon)
    listen_before_daemonizing(daemon, options)
    return daemon

"""The twistd plugin, its options (docs/protocol.md §5) and makeService."""

from __future__ import annotations

import io
import subprocess
import sys

from twisted.application.service import IServiceMaker
from twisted.copyright import version as twisted_version
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import capturedLogs
from twisted.plugin import IPlugin, getPlugins
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.server import Site
from zope.interface.verify import verifyObject

from chat import __version__
from chat.limits import Limits
from chat.service import ChatService, ListenFailed
from chat.tap import Options, makeService
from tests.harness import BusyReactor, logged, parse, parse_as_twistd
from tests.wire import child_environment


class PluginTests(SynchronousTestCase):
    def test_registered(self) -> None:
        """twistd finds a service maker called chatroom."""
        makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
        self.assertIn("chatroom", makers)
        verifyObject(IServiceMaker, makers["chatroom"])
        verifyObject(IPlugin, makers["chatroom"])
        self.assertIs(makers["chatroom"].options, Options)


class PortOptionTests(SynchronousTestCase):
    def test_default(self) -> None:
        """With no --port the daemon listens on tcp:5050."""
        self.assertEqual(parse()["port"], ["tcp:5050"])

    def test_bare_number(self) -> None:
        """A bare number means tcp:NUMBER."""
        self.assertEqual(parse("--port", "5050")["port"], ["tcp:5050"])

    def test_descriptions(self) -> None:
        """Any endpoint description is taken as it is, even one this machine can't listen on yet."""
        descriptions = [
            "tcp:5050:interface=127.0.0.1",
            "tcp6:5050:interface=\\:\\:1",
            "unix:/run/chatroom.sock",
            "systemd:domain=INET:index=0",
            "ssl:5443:privateKey=/nonexistent/key.pem",
            "haproxy:tcp:5051:interface=127.0.0.1",
        ]
        arguments = [a for d in descriptions for a in ("--port", d)]
        self.assertEqual(parse(*arguments)["port"], descriptions)

    def test_repeated(self) -> None:
        """--port may be given several times, and -p is short for it."""
        self.assertEqual(parse("--port", "5050", "-p", "6060")["port"], ["tcp:5050", "tcp:6060"])

    def test_bad_description(self) -> None:
        """A description that does not parse is a usage error naming it."""
        with self.assertRaises(usage.UsageError) as caught:
            parse("--port", "bogus:1234")
        self.assertIn("bogus:1234", str(caught.exception))


class VersionTests(SynchronousTestCase):
    def test_version(self) -> None:
        """--version prints the chatroom version, with Twisted's after it, and exits 0."""
        out = io.StringIO()
        self.patch(sys, "stdout", out)
        with self.assertRaises(SystemExit) as raised:
            parse("--version")
        self.assertEqual(raised.exception.code, 0)
        self.assertEqual(out.getvalue(), f"chatroom {__version__} (Twisted {twisted_version})\n")


class LimitOptionTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """With no options the limits are the spec's defaults."""
        self.assertEqual(parse()["limits"], Limits())

    def test_each_option(self) -> None:
        """Each limit has an option of its own."""
        options = parse(
            "--history", "5",
            "--max-line-length", "80",
            "--max-clients", "7",
            "--max-per-ip", "3",
            "--rate", "2.5",
            "--burst", "4",
            "--max-send-queue", "4096",
            "--registration-timeout", "30",
            "--idle-timeout", "600",
        )  # fmt: skip
        self.assertEqual(
            options["limits"],
            Limits(
                history=5,
                max_line_length=80,
                max_clients=7,
                max_per_ip=3,
                rate=2.5,
                burst=4,
                max_send_queue=4096,
                registration_timeout=30,
                idle_timeout=600,
            ),
        )

    def test_zero_accepted(self) -> None:
        """0 is accepted everywhere: it turns a limit off."""
        options = parse("--history", "0", "--rate", "0", "--max-clients", "0")
        self.assertEqual((options["limits"].history, options["limits"].rate), (0, 0))

    def test_negative_refused(self) -> None:
        """A negative limit is a usage error."""
        self.assertRaises(usage.UsageError, parse, "--history", "-1")

    def test_not_a_number(self) -> None:
        """A limit that is not a number is a usage error."""
        self.assertRaises(usage.UsageError, parse, "--max-clients", "lots")


class MetricsOptionTests(SynchronousTestCase):
    def test_off_by_default(self) -> None:
        """Without --metrics nothing serves metrics."""
        self.assertIsNone(parse()["metrics"])

    def test_description(self) -> None:
        """--metrics takes an endpoint description, or a number meaning tcp:NUMBER."""
        self.assertEqual(
            parse("--metrics", "tcp:9100:interface=127.0.0.1")["metrics"],
            "tcp:9100:interface=127.0.0.1",
        )
        self.assertEqual(parse("--metrics", "9100")["metrics"], "tcp:9100")

    def test_bad_description(self) -> None:
        """A --metrics description that does not parse is a usage error naming the option."""
        with self.assertRaises(usage.UsageError) as caught:
            parse("--metrics", "bogus:9100")
        self.assertIn("--metrics 'bogus:9100'", str(caught.exception))


class MakeServiceTests(SynchronousTestCase):
    def test_service(self) -> None:
        """makeService builds a service listening on each --port with the limits."""
        reactor = MemoryReactorClock()
        service = makeService(parse("--port", "5050", "--port", "6060", "--history", "3"), reactor)
        (chat,) = list(service)
        self.assertIsInstance(chat, ChatService)
        service.startService()
        self.assertEqual([p[0] for p in reactor.tcpServers], [5050, 6060])
        self.assertEqual(chat.factory.limits.history, 3)

    def test_metrics(self) -> None:
        """With --metrics an HTTP site listens too, before the chat ports, on the same factory."""
        reactor = MemoryReactorClock()
        service = makeService(parse("--port", "5050", "--metrics", "tcp:9100"), reactor)
        metrics, chat = list(service)
        service.privilegedStartService()
        self.assertEqual([p[0] for p in reactor.tcpServers], [9100, 5050])
        site = reactor.tcpServers[0][1]
        assert isinstance(site, Site), site
        protocol = chat.factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        protocol.makeConnection(StringTransport())
        protocol.dataReceived(b"soheil\n")
        registry = site.resource.children[b"metrics"].registry
        self.assertEqual(registry.get_sample_value("chatroom_registered_users"), 1)
        self.assertIs(metrics.factory, site)
        self.assertIsInstance(chat, ChatService)

    def test_metrics_port_taken(self) -> None:
        """A metrics port that cannot listen stops the start like a chat port does."""
        reactor = BusyReactor(9100)
        service = makeService(parse("--port", "5050", "--metrics", "9100"), reactor)
        with capturedLogs() as events, self.assertRaises(ListenFailed) as caught:
            service.privilegedStartService()
        reason = "cannot listen on tcp:9100: Address already in use"
        self.assertEqual(str(caught.exception), reason)
        self.assertIn(reason, logged(events))
        self.assertEqual(reactor.tcpServers, [])

    def test_background_mode_listens_before_the_fork(self) -> None:
        """In twistd's background mode every endpoint listens in makeService, once."""
        reactor = MemoryReactorClock()
        options = parse_as_twistd("--pidfile", "x.pid", "chatroom", "--port", "5050")
        service = makeService(options, reactor)
        self.assertEqual([p[0] for p in reactor.tcpServers], [5050])
        with capturedLogs() as events:
            service.privilegedStartService()
            service.startService()
        self.assertEqual([p[0] for p in reactor.tcpServers], [5050])
        self.assertEqual(logged(events), ["Server is Running and waiting for connections..."])

    def test_background_mode_port_taken(self) -> None:
        """In background mode a port that cannot listen fails makeService, before the fork."""
        options = parse_as_twistd("chatroom", "--port", "5050", "--metrics", "9100")
        with self.assertRaises(ListenFailed) as caught:
            makeService(options, BusyReactor(9100))
        self.assertEqual(str(caught.exception), "cannot listen on tcp:9100: Address already in use")

    def test_foreground_listens_when_started(self) -> None:
        """With twistd -n nothing listens until twistd starts the service."""
        reactor = MemoryReactorClock()
        service = makeService(parse_as_twistd("-n", "chatroom", "--port", "5050"), reactor)
        self.assertEqual(reactor.tcpServers, [])
        service.privilegedStartService()
        self.assertEqual([p[0] for p in reactor.tcpServers], [5050])


class RedisOptionTests(SynchronousTestCase):
    def test_off_by_default(self) -> None:
        """Without --redis the room is in memory, and nothing of Redis is imported."""
        code = (
            "import sys\n"
            "from twisted.internet.testing import MemoryReactorClock\n"
            "from chat.room import Room\n"
            "from tests.harness import parse\n"
            "from chat.tap import makeService\n"
            "(chat,) = makeService(parse('--port', '5050'), MemoryReactorClock())\n"
            "assert isinstance(chat.factory.room, Room)\n"
            "print(sorted(m for m in sys.modules if 'redis' in m))\n"
        )
        found = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=child_environment()
        )
        self.assertEqual((found.stdout, found.stderr), ("[]\n", ""))

    def test_bad_url(self) -> None:
        """A --redis URL that can't be used is a usage error saying why."""
        with self.assertRaises(usage.UsageError) as caught:
            parse("--redis", "http://localhost:6379")
        self.assertIn("--redis 'http://localhost:6379': use redis://", str(caught.exception))

    def test_service(self) -> None:
        """With --redis the room is the Redis engine, linked first and let go last."""
        from chat.engines.redis.engine import RedisEngine
        from chat.engines.redis.service import RedisService

        reactor = MemoryReactorClock()
        options = parse("--port", "5050", "--redis", "redis://localhost/1", "--metrics", "9100")
        redis, metrics, chat = list(makeService(options, reactor))
        self.assertIsInstance(redis, RedisService)
        self.assertIsInstance(chat.factory.room, RedisEngine)
        self.assertEqual(chat.factory.room.keys.prefix, "chatroom")
        site = metrics.factory
        registry = site.resource.children[b"metrics"].registry
        self.assertEqual(registry.get_sample_value("chatroom_redis_up"), 0)

    def test_prefix(self) -> None:
        """--redis-prefix names the room's keys: daemons with one prefix share one room."""
        options = parse("--redis", "unix:///run/redis.sock", "--redis-prefix", "class42")
        (_, chat) = list(makeService(options, MemoryReactorClock()))
        self.assertEqual(chat.factory.room.keys.channel, "class42:room")

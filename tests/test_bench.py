"""
The benchmark's counting, sampling and pacing, with no network: pure
functions, and its client protocol over StringTransport with a Clock.
"""

from __future__ import annotations

import os
import resource

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from chat import lines
from chat.bench import (
    BenchClient,
    Pacer,
    RegistrationError,
    Run,
    Tally,
    bench,
    connect_all,
    count_lines,
    format_summary,
    make_message,
    parse_arguments,
    parse_latencies,
    percentile,
    pick_spread,
    raise_open_files_limit,
    read_rss_kib,
    sampler_count,
    wait_until,
)

WELCOME = (
    b"Please enter your name:\r\n"
    b"Chat with your friends and enjoy\r\n"
    b"[16:05] ali: 5 hi soheil im ali\r\n"
    b"online (3): ali, b00001, hasan\r\n"
)


class FakeNow:
    """A monotonic_ns stand-in the test sets by hand."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def __call__(self) -> int:
        return self.value


def connected_client(
    tally: Tally | None = None, now: FakeNow | None = None
) -> tuple[BenchClient, StringTransport]:
    """A client attached to a StringTransport, before any byte has arrived."""
    client = BenchClient("b00001", tally or Tally(), now or FakeNow())
    transport = StringTransport()
    client.makeConnection(transport)
    return client, transport


def registered_client(
    tally: Tally | None = None, now: FakeNow | None = None
) -> tuple[BenchClient, StringTransport]:
    """A client that has answered the prompt and seen the online list."""
    client, transport = connected_client(tally, now)
    client.dataReceived(WELCOME)
    transport.clear()
    return client, transport


@implementer(IStreamClientEndpoint)
class OneHostServer:
    """
    A server as one address sees it: the first ``allowed`` connections are
    welcome, every later one gets ``refusal`` and is closed.
    """

    def __init__(self, allowed: int, refusal: str) -> None:
        self.allowed = allowed
        self.refusal = refusal
        self.transports: list[StringTransport] = []

    def connect(self, factory: IProtocolFactory) -> Deferred[IProtocol]:
        transport = StringTransport()
        protocol = factory.buildProtocol(transport.getPeer())
        assert protocol is not None, "the bench's factory always builds its client"
        protocol.makeConnection(transport)
        self.transports.append(transport)
        if len(self.transports) <= self.allowed:
            protocol.dataReceived(WELCOME)
        else:
            protocol.dataReceived(lines.encode(self.refusal))
        return succeed(protocol)


class PercentileTests(SynchronousTestCase):
    def test_nearest_rank(self) -> None:
        """Percentiles of 1..100 are the observed values at ranks 50, 90, 99, 100."""
        values = list(range(1, 101))
        self.assertEqual([percentile(values, f) for f in (0.5, 0.9, 0.99, 1.0)], [50, 90, 99, 100])

    def test_rank_rounding(self) -> None:
        """A product such as 0.07 * 100 that floats round up still gives rank 7."""
        self.assertEqual(percentile(list(range(1, 101)), 0.07), 7)

    def test_small_samples(self) -> None:
        """With few samples p99 is the largest and p50 the lower middle one."""
        self.assertEqual(percentile([4], 0.5), 4)
        self.assertEqual(percentile([1, 2, 3], 0.99), 3)
        self.assertEqual(percentile([1, 2, 3, 4], 0.5), 2)

    def test_empty_or_bad_fraction(self) -> None:
        """No samples, or a fraction outside (0, 1], is an error, not a guess."""
        self.assertRaises(ValueError, percentile, [], 0.5)
        self.assertRaises(ValueError, percentile, [1], 0)
        self.assertRaises(ValueError, percentile, [1], 1.5)


class LineTests(SynchronousTestCase):
    def test_count_lines(self) -> None:
        """Each LF ends one line, CRLF included; a partial line is not counted."""
        self.assertEqual(count_lines(b"a: 1\r\nb: 2\r\nc: 3"), 2)
        self.assertEqual(count_lines(b""), 0)

    def test_count_lines_any_split(self) -> None:
        """Counting chunk by chunk gives the total however the bytes are cut."""
        data = b"b00001: 1 x\r\nb00002 is joined to the chatroom!\r\nb00003: 2\r\n"
        for cut in range(len(data) + 1):
            self.assertEqual(count_lines(data[:cut]) + count_lines(data[cut:]), 3)

    def test_make_message_size(self) -> None:
        """A message is exactly msg-size bytes before its LF and starts with the time."""
        message = make_message(123456789, 64)
        self.assertEqual(len(message), 65)
        self.assertTrue(message.startswith(b"123456789 x"))
        self.assertTrue(message.endswith(b"x\n"))

    def test_make_message_too_small(self) -> None:
        """A size smaller than the timestamp still carries the whole timestamp."""
        self.assertEqual(make_message(123456789, 4), b"123456789\n")

    def test_parse_latencies(self) -> None:
        """Message lines give now minus their timestamp; other lines are skipped."""
        out: list[int] = []
        lines = [
            b"b00002: 900 xxxx\r",
            b"b00003: 950\r",
            b"b00004 is joined to the chatroom!\r",
            b"bob: twelve apples\r",
            b"bob: 2000 is in the future\r",
        ]
        parse_latencies(lines, 1000, out)
        self.assertEqual(out, [100, 50])

    def test_parse_latencies_implausible(self) -> None:
        """A number far older than any message (someone's text) is not a sample."""
        out: list[int] = []
        parse_latencies([b"bob: 12 apples\r"], 10**13, out)
        self.assertEqual(out, [])


class RegistrationTests(SynchronousTestCase):
    def test_answers_prompt(self) -> None:
        """The prompt is answered with the name and a bare LF."""
        client, transport = connected_client()
        client.dataReceived(b"Please enter your name:\r\n")
        self.assertEqual(transport.value(), b"b00001\n")
        self.assertNoResult(client.registered)

    def test_prompt_without_line_end(self) -> None:
        """A prompt with no CRLF after it is answered too."""
        client, transport = connected_client()
        client.dataReceived(b"Please enter your name:")
        self.assertEqual(transport.value(), b"b00001\n")

    def test_registered_on_online_list(self) -> None:
        """The online line completes registration with its count; history is not counted."""
        tally = Tally()
        client, _ = connected_client(tally)
        client.dataReceived(WELCOME)
        self.assertEqual(self.successResultOf(client.registered), 3)
        self.assertEqual(client.online, 3)
        self.assertEqual(tally.lines, 0)

    def test_byte_at_a_time(self) -> None:
        """Registration fed one byte at a time ends the same as fed whole."""
        tally = Tally()
        client, transport = connected_client(tally)
        data = WELCOME + b"b00009 is joined to the chatroom!\r\n"
        for index in range(len(data)):
            client.dataReceived(data[index : index + 1])
        self.assertEqual(transport.value(), b"b00001\n")
        self.assertEqual(self.successResultOf(client.registered), 3)
        self.assertEqual(tally.lines, 1)

    def test_lines_after_online_in_same_chunk(self) -> None:
        """Lines that arrive in the same read as the online list are counted."""
        tally = Tally()
        client, _ = connected_client(tally)
        client.dataReceived(WELCOME + b"x is joined to the chatroom!\r\nx: 1 y\r\n")
        self.assertEqual(tally.lines, 2)

    def test_refused_name(self) -> None:
        """An error line fails registration and drops the connection."""
        client, transport = connected_client()
        client.dataReceived(b"Please enter your name:\r\nerror: name taken\r\n")
        failure = self.failureResultOf(client.registered, RegistrationError)
        self.assertIn("name taken", str(failure.value))
        self.assertTrue(transport.disconnecting)

    def test_closed_before_registration(self) -> None:
        """A connection lost before the online list fails registration and closes."""
        client, _ = connected_client()
        client.connectionLost(Failure(ConnectionDone()))
        self.failureResultOf(client.registered, RegistrationError)
        self.assertIsNone(self.successResultOf(client.closed))
        self.assertFalse(client.connected)


class CountingTests(SynchronousTestCase):
    def test_counts_lines_shared(self) -> None:
        """Two clients add the lines they read to one tally, partial lines excluded."""
        tally = Tally()
        first, _ = registered_client(tally)
        second, _ = registered_client(tally)
        first.dataReceived(b"b00002: 1 x\r\nb00003: 2 x\r\nb000")
        second.dataReceived(b"b00002: 1 x\r\n")
        first.dataReceived(b"04: 3 x\r\n")
        self.assertEqual(tally.lines, 4)

    def test_not_sampling_parses_nothing(self) -> None:
        """A client that is not a sampler records no latency."""
        tally = Tally()
        client, _ = registered_client(tally, FakeNow(1000))
        client.dataReceived(b"b00002: 900 x\r\n")
        self.assertEqual(tally.latencies, [])
        self.assertEqual(tally.lines, 1)

    def test_sampler_parses_every_line_once(self) -> None:
        """A sampler records each message once, even when split across reads."""
        tally = Tally()
        now = FakeNow(1000)
        client, _ = registered_client(tally, now)
        client.sampling = True
        client.dataReceived(b"b00002: 900 x\r\nb00003 is joined to the chatroom!\r\nb0")
        now.value = 2000
        client.dataReceived(b"0004: 1500 x\r\n")
        self.assertEqual(tally.latencies, [100, 500])
        self.assertEqual(tally.lines, 3)

    def test_quit(self) -> None:
        """Quitting sends the /quit command with an LF."""
        client, transport = registered_client()
        client.quit()
        self.assertEqual(transport.value(), b"/quit\n")


class PacerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        connected = [registered_client() for _ in range(2)]
        self.senders = [client for client, _ in connected]
        self.transports = [transport for _, transport in connected]

    def now_ns(self) -> int:
        return int(self.clock.seconds() * 1e9)

    def test_rate_and_round_robin(self) -> None:
        """Ten messages a second for one second go out five per sender, on time."""
        pacer = Pacer(self.clock, self.senders, 10, 1.0, 32, self.now_ns)
        done = pacer.start()
        self.clock.pump([0.01] * 55)
        self.assertEqual(pacer.sent, 5)
        self.assertNoResult(done)
        self.clock.pump([0.01] * 50)
        self.assertIsNone(self.successResultOf(done))
        self.assertEqual(pacer.sent, 10)
        lines = [transport.value().splitlines() for transport in self.transports]
        self.assertEqual([len(x) for x in lines], [5, 5])
        self.assertTrue(all(len(line) == 32 for x in lines for line in x))
        first = int(lines[0][0].split()[0])
        self.assertTrue(100_000_000 <= first <= 110_000_000, first)

    def test_open_loop_catches_up(self) -> None:
        """A late tick writes every message due by then instead of dropping them."""
        pacer = Pacer(self.clock, self.senders, 100, 1.0, 32, self.now_ns)
        pacer.start()
        self.clock.advance(0.5)
        self.assertEqual(pacer.sent, 50)
        self.assertGreater(pacer.max_lag, 0.4)

    def test_stops_after_duration(self) -> None:
        """Nothing more is sent once the duration has passed."""
        pacer = Pacer(self.clock, self.senders, 10, 1.0, 32, self.now_ns)
        pacer.start()
        self.clock.pump([0.1] * 30)
        self.assertEqual(pacer.sent, 10)

    def test_lost_sender_not_counted(self) -> None:
        """Messages due on a closed connection are not counted as sent."""
        self.senders[1].connectionLost(Failure(ConnectionDone()))
        pacer = Pacer(self.clock, self.senders, 10, 1.0, 32, self.now_ns)
        pacer.start()
        self.clock.pump([0.1] * 11)
        self.assertEqual((pacer.scheduled, pacer.sent), (10, 5))


class WaitTests(SynchronousTestCase):
    def test_condition_met(self) -> None:
        """The wait ends True as soon as the condition holds."""
        clock = Clock()
        state = {"ready": False}
        waiting = wait_until(clock, lambda: state["ready"], 5.0, 0.1)
        clock.advance(0.1)
        self.assertNoResult(waiting)
        state["ready"] = True
        clock.advance(0.1)
        self.assertTrue(self.successResultOf(waiting))

    def test_timeout(self) -> None:
        """The wait ends False after its timeout when the condition never holds."""
        clock = Clock()
        waiting = wait_until(clock, lambda: False, 1.0, 0.1)
        clock.pump([0.1] * 9)
        self.assertNoResult(waiting)
        clock.pump([0.1] * 2)
        self.assertFalse(self.successResultOf(waiting))


class ChoiceTests(SynchronousTestCase):
    def test_pick_spread(self) -> None:
        """Samplers are spread from the first client to the last."""
        self.assertEqual(pick_spread(range(10), 3), [0, 4, 9])
        self.assertEqual(pick_spread(range(3), 5), [0, 1, 2])
        self.assertEqual(pick_spread(range(3), 1), [0])
        self.assertEqual(pick_spread([], 2), [])

    def test_sampler_count(self) -> None:
        """The number of samplers keeps parsed lines per second within budget."""
        self.assertEqual(sampler_count(1000, 200, 20000), 20)
        self.assertEqual(sampler_count(10, 200, 20000), 200)
        self.assertEqual(sampler_count(50000, 200, 20000), 1)
        self.assertEqual(sampler_count(0, 200, 20000), 1)


class ReportTests(SynchronousTestCase):
    def result(self, **changes: object) -> dict[str, object]:
        result: dict[str, object] = {
            "mode": "load",
            "clients": 10,
            "connected": 10,
            "connect_seconds": 0.01,
            "senders": 2,
            "rate": 20.0,
            "duration": 1.0,
            "msg_size": 64,
            "sent": 20,
            "max_send_lag_ms": 0.5,
            "expected": 180,
            "received": 171,
            "deliveries_per_second": 171.0,
            "loss": 0.05,
            "latency_ms": {"samples": 0, "receivers": 1},
            "still_connected": 10,
            "cpu_percent": 12.0,
            "bench_bottleneck": False,
            "held": True,
        }
        result.update(changes)
        return result

    def test_summary_figures(self) -> None:
        """The summary shows the counts, the loss in percent and the verdict."""
        text = format_summary(self.result())
        self.assertIn("expected    180", text)
        self.assertIn("5.00 %", text)
        self.assertIn("verdict     held", text)
        self.assertNotIn("warning", text)

    def test_bottleneck_warning(self) -> None:
        """A busy benchmark says it may be the bottleneck."""
        text = format_summary(self.result(bench_bottleneck=True, cpu_percent=97.0, held=False))
        self.assertIn("NOT held", text)
        self.assertIn("warning: the benchmark itself used 97 %", text)

    def test_idle_summary(self) -> None:
        """The idle report gives the server's memory per client."""
        text = format_summary(
            {
                "mode": "idle",
                "clients": 4,
                "connected": 4,
                "connect_seconds": 0.01,
                "hold_seconds": 1.0,
                "still_connected": 4,
                "server_rss_kib_before": 1000,
                "server_rss_kib_after": 1040,
                "server_kib_per_client": 10.0,
                "cpu_percent": 1.0,
                "bench_bottleneck": False,
                "held": True,
            }
        )
        self.assertIn("per client  10.0 KiB", text)


class SystemTests(SynchronousTestCase):
    def test_idle_sets_clients(self) -> None:
        """--idle N means N clients."""
        self.assertEqual(parse_arguments(["--idle", "7"]).clients, 7)

    def test_bad_prefix(self) -> None:
        """A name prefix the server would refuse is a usage error."""
        self.assertRaises(SystemExit, parse_arguments, ["--prefix", "a b"])

    def test_own_rss(self) -> None:
        """This process's VmRSS is read; a missing process gives None."""
        self.assertGreater(read_rss_kib(os.getpid()) or 0, 0)
        self.assertIsNone(read_rss_kib(0))

    def test_open_files_limit(self) -> None:
        """The soft open-files limit is raised to the hard one."""
        soft = raise_open_files_limit()
        current, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.assertEqual(soft, current)
        if hard != resource.RLIM_INFINITY:
            self.assertEqual(current, hard)


class OneAddressTests(SynchronousTestCase):
    def run_bench(self, refusal: str) -> tuple[SystemExit, OneHostServer]:
        """A bench of five clients against a server that takes two from this address."""
        clock = Clock()
        server = OneHostServer(2, refusal)
        options = parse_arguments(["--clients", "5", "--quit-timeout", "1"])
        running = Deferred.fromCoroutine(bench(clock, options, server))
        clock.pump([0.1] * 20)
        stopped = self.failureResultOf(running, SystemExit).value
        assert isinstance(stopped, SystemExit)
        return stopped, server

    def test_per_address_cap(self) -> None:
        """Refused by the per-address cap, the bench stops with one line on the options to use."""
        stopped, server = self.run_bench(lines.TOO_MANY_FROM_ADDRESS)
        message = str(stopped.code)
        self.assertIn(lines.TOO_MANY_FROM_ADDRESS, message)
        self.assertIn("start it with --max-per-ip 0 --connect-burst 0", message)
        self.assertNotIn("\n", message)
        self.assertEqual(len(server.transports), 3)
        self.assertEqual(server.transports[0].value(), b"b00000\n/quit\n")

    def test_throttle(self) -> None:
        """Refused by the connection throttle, the bench stops with the same advice."""
        stopped, _ = self.run_bench(lines.TOO_MANY_NEW_FROM_ADDRESS)
        self.assertIn("--max-per-ip 0 --connect-burst 0", str(stopped.code))

    def test_other_refusal(self) -> None:
        """A refusal that is not about the address (a full server) gives no such advice."""
        run = Run(parse_arguments(["--clients", "3"]))
        server = OneHostServer(1, lines.SERVER_FULL)
        self.successResultOf(Deferred.fromCoroutine(connect_all(Clock(), server, run)))
        self.assertIsNone(run.refused)
        self.assertIn(lines.SERVER_FULL, run.error or "")

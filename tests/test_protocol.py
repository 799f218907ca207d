"""docs/protocol.md §1 and §5: framing, hostile input, flood control, slow readers, limits."""

from __future__ import annotations

import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.logger import capturedLogs
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from chat.limits import CLOSE_GRACE
from chat.protocol import ChatProtocol
from tests.harness import Harness, logged
from tests.test_outbox import waiting, waiting_all
from tests.test_sockets import twisted_tcp

LONG = "error: line too long (more than 1024 bytes), discarded"


class FramingTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()
        self.soheil, self.ali = self.server.chatters("soheil", "ali")

    def test_crlf_out(self) -> None:
        """Every line to a client ends with CRLF."""
        self.soheil.send("hi")
        self.server.room.flush()
        self.assertEqual(self.ali.transport.value(), b"soheil: hi\r\n")

    def test_byte_at_a_time(self) -> None:
        """Input cut into single bytes gives the same lines as input sent whole."""
        data = "one\r\ntwo\nسه\n".encode()
        for index in range(len(data)):
            self.soheil.send(data[index : index + 1])
        self.assertEqual(self.ali.take(), ["soheil: one", "soheil: two", "soheil: سه"])

    def test_telnet_negotiation_removed(self) -> None:
        """Telnet commands never show up in a message, even split across reads."""
        self.soheil.send(b"he\xff\xfb")
        self.soheil.send(b"\x01llo\xff\xfa\x18\n\xff\xf0\r\n")
        self.assertEqual(self.ali.take(), ["soheil: hello"])

    def test_telnet_negotiation_in_name(self) -> None:
        """Telnet negotiation before the name does not end up in it."""
        client = self.server.connect()
        client.send(b"\xff\xfd\x03\xff\xfb\x18hasan\r\n")
        self.assertEqual(client.take()[-1], "online (3): ali, hasan, soheil")

    def test_escape_sequences_never_reach_others(self) -> None:
        """No control character from one client reaches another's screen."""
        self.soheil.send(b"\x1b[2J\x1b[31mred\x9b\x07\tbell\x7f\n")
        self.assertEqual(self.ali.take(), ["soheil: [2J[31mred\ufffd bell"])

    def test_long_line_discarded(self) -> None:
        """A line over the limit is discarded with one error; the next is read."""
        self.soheil.send("x" * 1025)
        self.soheil.send("after")
        self.assertEqual(self.soheil.take(), [LONG])
        self.assertEqual(self.ali.take(), ["soheil: after"])
        self.assertFalse(self.soheil.closing)

    def test_line_of_exactly_the_limit(self) -> None:
        """A line of exactly the maximum length is a message, with LF or CRLF."""
        self.soheil.send("x" * 1024)
        self.soheil.send(b"y" * 1024 + b"\r\n")
        self.assertEqual(self.ali.take(), ["soheil: " + "x" * 1024, "soheil: " + "y" * 1024])
        self.assertEqual(self.soheil.take(), [])

    def test_limit_counts_bytes(self) -> None:
        """The limit is in bytes of UTF-8, not characters."""
        self.soheil.send("ب" * 512)  # 1024 bytes
        self.soheil.send("ب" * 512 + "x")  # 1025 bytes
        self.assertEqual(self.ali.take(), ["soheil: " + "ب" * 512])
        self.assertEqual(self.soheil.take(), [LONG])

    def test_long_line_in_pieces(self) -> None:
        """A long line arriving in many reads gets one error and nothing else."""
        for _ in range(50):
            self.soheil.send(b"z" * 1000)
        self.soheil.send(b"z\nok\n")
        self.server.clock.advance(10)  # 50 kB of no line cost flood control its time
        self.assertEqual(self.soheil.take(), [LONG])
        self.assertEqual(self.ali.take(), ["soheil: ok"])

    def test_long_line_among_others(self) -> None:
        """Lines around a long one in the same read are kept."""
        self.soheil.send(b"before\n" + b"x" * 5000 + b"\nafter\n")
        self.assertEqual(self.ali.take(), ["soheil: before", "soheil: after"])
        self.assertEqual(self.soheil.take(), [LONG])

    def test_long_line_after_quit(self) -> None:
        """A long line after /quit gets no error: the connection is closing."""
        self.soheil.send("/quit")
        self.soheil.send(b"x" * 5000 + b"\n")
        self.assertEqual(self.soheil.take(), ["Goodbye, soheil!"])

    def test_two_long_lines_two_errors(self) -> None:
        """Each long line gets its own error line."""
        self.soheil.send(b"x" * 2000 + b"\n" + b"y" * 2000 + b"\n")
        self.assertEqual(self.soheil.take(), [LONG, LONG])

    def test_long_name(self) -> None:
        """A long line instead of a name gets the error and the prompt again."""
        client = self.server.connect()
        client.take()
        client.send("n" * 3000)
        self.assertEqual(client.take(), [LONG, "Please enter your name:"])

    def test_limit_option(self) -> None:
        """--max-line-length sets the limit; 0 turns it off."""
        self.server = Harness(max_line_length=10)
        soheil, ali = self.server.chatters("soheil", "ali")
        soheil.send("x" * 11)
        self.assertEqual(soheil.take(), ["error: line too long (more than 10 bytes), discarded"])
        self.server = Harness(max_line_length=0)
        soheil, ali = self.server.chatters("soheil", "ali")
        soheil.send("x" * 100_000)
        self.assertEqual(ali.take(), ["soheil: " + "x" * 100_000])

    def test_last_line_without_newline(self) -> None:
        """A last line with no newline before the client half-closes is processed."""
        self.soheil.send(b"first\nlast words")
        self.soheil.chat_protocol.readConnectionLost()
        self.assertEqual(
            self.ali.take(),
            ["soheil: first", "soheil: last words", "soheil has left the chatroom!"],
        )

    def test_half_close_gets_replies(self) -> None:
        """A client that half-closes receives every reply, then is closed."""
        self.soheil.send(b"/who\n/quit")
        self.soheil.chat_protocol.readConnectionLost()
        self.assertEqual(self.soheil.take(), ["online (2): ali, soheil", "Goodbye, soheil!"])
        self.assertTrue(self.soheil.closing)
        self.soheil.finish_close()
        self.assertEqual(self.ali.take(), ["soheil has left the chatroom!"])

    def test_half_close_without_quit(self) -> None:
        """A half-close alone closes the connection; others get one leave line."""
        self.soheil.chat_protocol.readConnectionLost()
        self.assertTrue(self.soheil.closing)
        self.soheil.finish_close()
        self.assertEqual(self.ali.take(), ["soheil has left the chatroom!"])

    def test_close_does_not_wait_for_ever(self) -> None:
        """A closing connection that does not drain is cut after a grace period."""
        self.soheil.send("/quit")
        self.server.clock.advance(CLOSE_GRACE - 0.01)
        self.assertFalse(self.soheil.transport.disconnected)
        self.server.clock.advance(0.01)
        self.assertTrue(self.soheil.transport.disconnected)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.binary(max_size=300), max_size=8))
    @example([b"hi /quit\n/Q\x00UIT bye\n", b"after\n"])
    def test_any_bytes(self, chunks: list[bytes]) -> None:
        """Whatever bytes a client sends, nothing breaks and only its own /quit closes it."""
        server = Harness()
        soheil, ali = server.chatters("soheil", "ali")
        for chunk in chunks:
            soheil.send(chunk)
        received = soheil.take()
        if soheil.closing:
            # However the /quit was spelled, its answer is the last line sent.
            self.assertRegex(received[-1] if received else "", r"^Goodbye, .+!$")
        for line in ali.take():
            self.assertFalse([c for c in line if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0])


class FloodTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness(rate=5, burst=10)
        self.soheil, self.ali = self.server.chatters("soheil", "ali")
        self.server.clock.advance(10)  # a full bucket again after registering

    def test_burst_then_paused(self) -> None:
        """A burst of lines goes through at once; then the server stops reading."""
        self.soheil.send(b"".join(b"m%d\n" % n for n in range(15)))
        self.assertEqual(self.ali.take(), [f"soheil: m{n}" for n in range(10)])
        self.assertEqual(self.soheil.transport.producerState, "paused")

    def test_delayed_not_dropped(self) -> None:
        """Lines over the rate are delayed, in order, never dropped."""
        self.soheil.send(b"".join(b"m%d\n" % n for n in range(15)))
        self.ali.take()
        self.server.clock.advance(0.2)
        self.assertEqual(self.ali.take(), ["soheil: m10"])
        self.server.clock.advance(0.8)
        self.assertEqual(self.ali.take(), [f"soheil: m{n}" for n in range(11, 15)])
        self.server.clock.advance(0.2)
        self.assertEqual(self.soheil.transport.producerState, "producing")

    def test_within_the_rate(self) -> None:
        """A client within the rate is never paused."""
        for n in range(30):
            self.soheil.send(f"m{n}")
            self.server.clock.advance(0.2)
        self.assertEqual(self.soheil.transport.producerState, "producing")
        self.assertEqual(len(self.ali.take()), 30)

    def test_others_unaffected(self) -> None:
        """One client's flood does not slow another client."""
        self.soheil.send(b"x\n" * 50)
        for n in range(10):
            self.ali.send(f"a{n}")
        self.assertEqual(self.soheil.take(), [f"ali: a{n}" for n in range(10)])

    def test_telnet_commands_cost(self) -> None:
        """Telnet commands spend flood control by their bytes: the server stops reading."""
        self.soheil.send(b"\xff\xf1" * 10240 + b"after\n")
        self.assertEqual(self.soheil.transport.producerState, "paused")
        self.assertEqual(self.ali.take(), [])
        self.server.clock.advance(2.2)
        self.assertEqual(self.ali.take(), ["soheil: after"])

    def test_overlong_lines_cost(self) -> None:
        """The bytes of overlong lines spend flood control by a line's worth per 1024."""
        self.soheil.send(b"x" * 20480 + b"\nafter\n")
        self.assertEqual(self.soheil.transport.producerState, "paused")
        self.assertEqual(self.ali.take(), [])
        self.server.clock.advance(2.5)  # 20 lines' worth, and the error, over a burst of 10
        self.assertEqual(self.ali.take(), ["soheil: after"])

    def test_a_few_telnet_commands_are_free(self) -> None:
        """Telnet's usual negotiation costs a client nothing noticeable."""
        self.soheil.send(b"\xff\xfd\x03\xff\xfb\x18\xff\xfa\x18\x00xterm\xff\xf0hi\r\n")
        self.assertEqual(self.ali.take(), ["soheil: hi"])
        self.assertEqual(self.soheil.transport.producerState, "producing")

    def test_half_close_while_paused(self) -> None:
        """A flood followed by a half-close is still read to the end, at the rate."""
        self.soheil.send(b"".join(b"m%d\n" % n for n in range(12)) + b"tail")
        self.soheil.chat_protocol.readConnectionLost()
        self.ali.take()
        self.server.clock.advance(5)
        self.assertEqual(
            self.ali.take(),
            ["soheil: m10", "soheil: m11", "soheil: tail", "soheil has left the chatroom!"],
        )

    def test_rate_zero_is_off(self) -> None:
        """--rate 0 turns flood control off."""
        server = Harness(rate=0)
        soheil, ali = server.chatters("soheil", "ali")
        soheil.send(b"x\n" * 1000)
        self.assertEqual(len(ali.take()), 1000)
        self.assertEqual(soheil.transport.producerState, "producing")


class SlowReaderTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness(max_send_queue=1000, rate=0)
        self.soheil, self.ali, self.hasan = self.server.chatters("soheil", "ali", "hasan")
        # The transport's buffer is full: hasan stopped reading.
        self.hasan.producer.pauseProducing()

    def say(self, size: int) -> None:
        """soheil says a line that takes ``size`` bytes on the wire, delivered."""
        self.soheil.send("x" * (size - len("soheil: \r\n")))
        self.server.room.flush()

    def test_up_to_the_limit_kept(self) -> None:
        """Exactly --max-send-queue bytes may wait; the client stays."""
        self.say(500)
        self.say(500)
        self.server.clock.advance(10)
        self.assertFalse(self.hasan.transport.disconnected)
        self.hasan.producer.resumeProducing()
        self.assertEqual(self.hasan.take(), ["soheil: " + "x" * 490] * 2)

    def test_one_byte_over_drops(self) -> None:
        """A line that would take the queue one byte over drops the client at once."""
        with capturedLogs() as events:
            self.say(500)
            self.say(501)
        self.assertTrue(self.hasan.transport.disconnected)
        self.assertEqual(
            self.ali.take(),
            ["soheil: " + "x" * 490, "soheil: " + "x" * 491, "hasan has left the chatroom!"],
        )
        (line,) = [text for text in logged(events) if "dropped" in text]
        self.assertRegex(line, r"hasan \(10\.[0-9.]+:[0-9]+\)")
        self.assertIn("over 1000 bytes", line)

    def test_never_over_the_limit(self) -> None:
        """However the lines come, no more than --max-send-queue bytes are ever held."""
        outbox = self.hasan.chat_protocol._outbox
        assert outbox is not None
        for size in (300, 300, 300, 99, 2, 300):
            self.say(size)
            if not self.hasan.transport.disconnected:
                self.assertLessEqual(outbox.held(), 1000)
        self.assertTrue(self.hasan.transport.disconnected)

    def test_one_answer_always_fits(self) -> None:
        """An empty queue takes one answer, however long: a /who in a huge room."""
        server = Harness(max_send_queue=100)
        (soheil,) = server.chatters("s" * 32)
        server.chatters(*[f"{n:032}" for n in range(10)])
        soheil.take()
        soheil.producer.pauseProducing()
        soheil.send("/who")
        self.assertFalse(soheil.transport.disconnected)
        soheil.producer.resumeProducing()
        (online,) = soheil.take()
        self.assertTrue(online.startswith("online (11): "))
        self.assertGreater(len(online), 100)

    def test_nobody_else_waits(self) -> None:
        """Others keep receiving everything while a slow reader is being dropped."""
        for n in range(100):
            self.soheil.send(f"message {n:03}")
            self.server.clock.advance(0.1)
        self.assertTrue(self.hasan.transport.disconnected)
        self.assertEqual(len([line for line in self.ali.take() if "message" in line]), 100)

    def test_nothing_more_reaches_a_client_being_cut(self) -> None:
        """After the protocol aborts a connection, no line reaches its socket (real TCP)."""
        server = Harness(rate=0)
        protocol = server.factory.buildProtocol(IPv4Address("TCP", "10.0.0.9", 40000))
        assert isinstance(protocol, ChatProtocol)
        with twisted_tcp(protocol) as (_, _, client):
            protocol.dataReceived(b"hasan\n")
            self.assertIn(b"online (1)", waiting_all(client))
            protocol.write(b"soheil: before\r\n")
            self.assertEqual(waiting_all(client), b"soheil: before\r\n")
            protocol.abort()
            protocol.write(b"soheil: after\r\n")
            self.assertEqual(waiting(client), b"")

    def test_off(self) -> None:
        """--max-send-queue 0 never drops a slow reader."""
        server = Harness(max_send_queue=0, rate=0)
        soheil, hasan = server.chatters("soheil", "hasan")
        hasan.producer.pauseProducing()
        for _ in range(100):
            soheil.send("y" * 1000)
            server.clock.advance(1)
        self.assertFalse(hasan.transport.disconnected)


class ConnectionLimitTests(SynchronousTestCase):
    def test_server_full(self) -> None:
        """Beyond --max-clients: an error line, then close; never counted or listed."""
        server = Harness(max_clients=2)
        soheil, ali = server.chatters("soheil", "ali")
        refused = server.connect()
        self.assertEqual(refused.take(), ["error: the server is full, please try again later"])
        self.assertTrue(refused.closing)
        refused.finish_close()
        soheil.send("/who")
        self.assertEqual(soheil.take(), ["online (2): ali, soheil"])
        self.assertEqual(ali.take(), [])

    def test_unregistered_count(self) -> None:
        """Connections still choosing a name count toward --max-clients."""
        server = Harness(max_clients=1)
        server.connect()
        self.assertTrue(server.connect().closing)

    def test_room_again_after_leaving(self) -> None:
        """A place freed by a client that left can be taken."""
        server = Harness(max_clients=1)
        first = server.connect()
        first.disconnect()
        self.assertEqual(server.connect().take(), ["Please enter your name:"])

    def test_per_address(self) -> None:
        """Beyond --max-per-ip from one address: an error line, then close."""
        server = Harness(max_per_ip=2)
        server.connect("10.0.0.1"), server.connect("10.0.0.1")
        refused = server.connect("10.0.0.1")
        self.assertEqual(refused.take(), ["error: too many connections from your address"])
        self.assertTrue(refused.closing)
        self.assertEqual(server.connect("10.0.0.2").take(), ["Please enter your name:"])

    def test_refusal_logged(self) -> None:
        """A refused connection is logged with its address."""
        server = Harness(max_clients=1)
        server.connect()
        with capturedLogs() as events:
            server.connect("192.0.2.7")
        self.assertTrue(any("192.0.2.7" in line for line in logged(events)))

    def test_keepalive(self) -> None:
        """TCP keepalive (and no Nagle delay) is turned on for each client connection."""

        class TCPTransport(StringTransport):
            keepalive = nodelay = False

            def setTcpKeepAlive(self, enabled: int) -> None:
                self.keepalive = bool(enabled)

            def setTcpNoDelay(self, enabled: int) -> None:
                self.nodelay = bool(enabled)

        server = Harness()
        address = IPv4Address("TCP", "127.0.0.1", 5555)
        transport = TCPTransport(peerAddress=address)
        server.factory.buildProtocol(address).makeConnection(transport)
        self.assertTrue(transport.keepalive)
        self.assertTrue(transport.nodelay)


class SharedKeysTests(SynchronousTestCase):
    """The attributes of every connection's protocol share one key table (docs/performance.md)."""

    def test_one_key_table(self) -> None:
        """Whatever a connection went through, its protocol's attributes are in the one order."""
        if sys.implementation.name != "cpython":
            raise SkipTest("key-sharing instance dictionaries are CPython's")
        server = Harness(max_line_length=64, rate=5, burst=2)
        plain = server.join("soheil")
        telnet = server.connect()
        telnet.send(b"\xff\xfb\x01ali\r\n")
        unframed = server.connect()
        unframed.send(b"has")
        overflowing = server.join("hasan")
        overflowing.send("x" * 100)
        flooding = server.join("flood")
        flooding.send(b"1\n2\n3\n4\n")
        leaving = server.join("leaving")
        leaving.send("/quit")
        unlimited = Harness(rate=0).join("reza")
        protocols = [
            client.chat_protocol
            for client in (plain, telnet, unframed, overflowing, flooding, leaving, unlimited)
        ]
        order = list(vars(plain.chat_protocol))
        for protocol in protocols:
            attributes = vars(protocol)
            self.assertEqual(list(attributes), order)
            # A dictionary sharing its keys is smaller than a copy with keys of its own.
            self.assertLess(sys.getsizeof(attributes), sys.getsizeof(dict(attributes)))

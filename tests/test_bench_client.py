"""
The benchmark's client protocol (chat/bench/client.py) over StringTransport:
registration, counting, sampling and the order check's records.
"""

from __future__ import annotations

import zlib

from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from chat.bench.client import RegistrationError
from chat.bench.measure import Tally
from chat.bench.order import new_ids
from tests.benchclients import WELCOME, FakeNow, connected_client, registered_client


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

    def test_checking_counts_and_hashes(self) -> None:
        """A checking client counts and hashes what it reads, however the reads are cut."""
        client, _ = registered_client()
        client.checking = True
        client.dataReceived(b"b00002: 900 3 x\r\nb000")
        client.dataReceived(b"03: 901 4 x\r\n")
        self.assertEqual(client.received, 2)
        self.assertEqual(client.crc, zlib.crc32(b"b00002: 900 3 x\r\nb00003: 901 4 x\r\n"))
        self.assertIsNone(client.ids)

    def test_recording_client(self) -> None:
        """A recording client keeps the numbers of the messages it reads, in order."""
        client, _ = registered_client()
        client.ids = new_ids()
        client.dataReceived(b"b00002: 900 3 x\r\nb00004 has joined the chatroom!\r\nb0")
        client.dataReceived(b"0003: 901 1 x\r\n")
        self.assertEqual(list(client.ids), [3, 1])
        self.assertEqual(client.tally.latencies, [])

    def test_quit(self) -> None:
        """Quitting sends the /quit command with an LF."""
        client, transport = registered_client()
        client.quit()
        self.assertEqual(transport.value(), b"/quit\n")

"""
chat.bench.arrival: a sampling client's lines are timed as its socket got
them, and a sender's message leaves when it is stamped.
"""

from __future__ import annotations

import sys

import pytest
from twisted.internet import main
from twisted.internet.testing import StringTransport

from chat.bench.arrival import CLOCK_NS, stamp_arrivals
from chat.bench.client import BenchClient
from chat.bench.measure import Tally
from chat.bench.pacing import make_message
from tests.test_sockets import twisted_tcp

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_TIMESTAMPNS is Linux's")


def sampling_client(now_ns: int) -> BenchClient:
    """A registered, sampling bench client whose own clock says ``now_ns``."""
    client = BenchClient("b00001", Tally(), now_ns=lambda: now_ns)
    client.registering = False
    client.sampling = True
    return client


@linux
def test_a_read_is_timed_as_the_socket_got_it() -> None:
    """The latency is the kernel's receive time minus the stamp, however late the bench reads."""
    client = sampling_client(now_ns=CLOCK_NS() + 3_600 * 10**9 // 2)  # a bench half an hour late
    with twisted_tcp(client) as (transport, _, peer):
        assert stamp_arrivals(client, transport)
        sent = CLOCK_NS()
        peer.sendall(b"ali: " + make_message(sent, 0, 64))
        received = CLOCK_NS()
        transport.doRead()
        (latency,) = client.tally.latencies
        assert 0 <= latency <= CLOCK_NS() - sent
        assert sent <= client.arrived_ns <= received + 1_000_000


@linux
def test_the_lines_still_reach_the_client() -> None:
    """Reading with recvmsg hands the client every byte, and the end of the connection."""
    client = sampling_client(now_ns=CLOCK_NS())
    with twisted_tcp(client) as (transport, _, peer):
        stamp_arrivals(client, transport)
        peer.sendall(b"ali: 1 0 x\nali: 2 1 x\n")
        transport.doRead()
        assert client.tally.lines == 2
        peer.close()
        assert transport.doRead() is main.CONNECTION_DONE


@linux
def test_nothing_to_read_is_not_an_end() -> None:
    """A read that finds nothing waiting leaves the connection as it is."""
    client = sampling_client(now_ns=CLOCK_NS())
    with twisted_tcp(client) as (transport, _, _):
        stamp_arrivals(client, transport)
        assert transport.doRead() is None


def test_other_transports_are_timed_as_read() -> None:
    """Without a plain TCP socket the client keeps its own clock."""
    client = sampling_client(now_ns=10**18)
    assert not stamp_arrivals(client, StringTransport())
    client.dataReceived(b"ali: " + make_message(10**18 - 5_000, 0, 64))
    assert client.tally.latencies == [5_000]


def test_a_message_leaves_when_it_is_sent() -> None:
    """With nothing waiting in its transport, a sender's message is in the socket at once."""
    client = BenchClient("b00002", Tally())
    with twisted_tcp(client) as (transport, reactor, peer):
        message = make_message(CLOCK_NS(), 7, 64)
        client.send_message(message)
        assert peer.recv(100) == message
        assert transport not in reactor.getWriters()

"""
Real ``twistd`` daemons on one real Redis (tests/redis_server.py): one room
across them, a race for a name, a daemon killed, Redis stopped and started
again, and Redis dropping the subscribers. Leases are short here
(``CHATROOM_REDIS_LEASE``), so a killed daemon is reaped in about a second.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.redis_server import RedisServer
from tests.wire import Daemon, Peer, running_daemon

CUT_OFF = "The chatroom is cut off from its other servers; reconnecting..."
BACK = "The chatroom is back."


@pytest.fixture
def daemons(
    redis: RedisServer, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Daemon]]:
    """Two daemons on the test's Redis, sharing one room."""
    monkeypatch.setenv("CHATROOM_REDIS_LEASE", "1,0.25")
    options = ("--redis", redis.url, "--redis-prefix", redis_prefix, "--rate", "0")
    with ExitStack() as stack:
        started = [stack.enter_context(running_daemon(*options)) for _ in range(2)]
        for daemon in started:
            daemon.log.until("Redis link up")
        yield started


def joined(daemon: Daemon, name: str) -> Peer:
    """A client of ``daemon`` named ``name``, its welcome read."""
    peer = daemon.connect()
    assert peer.register(name)[-1].startswith("online ("), name
    return peer


def test_one_room_across_daemons(daemons: list[Daemon]) -> None:
    """Chat crosses daemons; of two racing for one name exactly one gets it; a stop is a leave."""
    first, second = daemons
    soheil, ali = joined(first, "soheil"), joined(second, "ali")
    assert soheil.line() == "ali is joined to the chatroom!"
    soheil.send("hello this is soheil")
    assert ali.line() == "soheil: hello this is soheil"
    ali.send("/msg soheil see you at 6?")
    assert soheil.line() == "[private] ali: see you at 6?"

    racers = [first.connect(), second.connect()]
    for racer in racers:
        assert racer.line() == "Please enter your name:"
    for racer in racers:
        racer.send("hasan")
    answers = [racer.line() for racer in racers]
    welcome, taken = (
        "Chat with your friends and enjoy",
        "error: the name hasan is taken, choose another",
    )
    assert sorted(map(str, answers)) == [welcome, taken]
    assert soheil.line() == "hasan is joined to the chatroom!"

    # The second daemon stops: the first's users see each of its users leave.
    second.stop(signal.SIGTERM)
    gone = {"ali has left the chatroom!"}
    if answers[1] == welcome:
        gone.add("hasan has left the chatroom!")
    assert {soheil.line() for _ in gone} == gone


def test_killed_daemon_users_leave(daemons: list[Daemon]) -> None:
    """A daemon killed with SIGKILL: its users leave within 15 s, seen once, names free."""
    first, second = daemons
    soheil = joined(first, "soheil")
    others = [joined(second, "ali"), joined(second, "hasan")]
    assert soheil.lines(2) == ["ali is joined to the chatroom!", "hasan is joined to the chatroom!"]
    second.process.kill()
    leaves = sorted(str(line) for line in soheil.lines(2, timeout=15))
    assert leaves == ["ali has left the chatroom!", "hasan has left the chatroom!"]
    soheil.send("/who")
    assert soheil.line() == "online (1): soheil"
    joined(first, "ali")
    for other in others:  # their daemon is gone
        other.reader.until_closed()


def test_redis_down_and_back(daemons: list[Daemon], redis: RedisServer) -> None:
    """Redis stopped, started again empty, then dropping subscribers: nothing lost silently."""
    first, second = daemons
    soheil, ali = joined(first, "soheil"), joined(second, "ali")
    assert soheil.line() == "ali is joined to the chatroom!"

    redis.stop()
    assert soheil.line() == CUT_OFF
    assert ali.line() == CUT_OFF
    soheil.send("is anyone there?")
    assert soheil.line() == "error: the chatroom is cut off, not sent: is anyone there?"
    newcomer = first.connect()
    assert newcomer.register("mina")[-1] == "error: the chatroom is cut off, try again in a moment"

    redis.start()
    soheil.reader.until(BACK, timeout=15)
    ali.reader.until(BACK, timeout=15)
    if "soheil has left the chatroom!" in ali.reader.seen:
        # Redis came back empty and ali's daemon read it before soheil's
        # claimed soheil again (docs/scaling.md): soheil comes back next.
        ali.reader.until("^soheil is joined to the chatroom!$")
    ali.send("/who")
    ali.reader.until(r"^online \(2\): ali, soheil$")
    ali.send("we are back")
    soheil.reader.until("^ali: we are back$")

    redis.command("CLIENT", "KILL", "TYPE", "pubsub")
    assert soheil.line() == CUT_OFF
    soheil.reader.until(BACK, timeout=15)
    soheil.send("still here")
    ali.reader.until("^soheil: still here$")

"""
What only the Redis engine does: one script per turn, leases and reaping,
the link cut and back, and its metrics; two daemons in this process on the
tests' redis-server (tests/redis_server.py).
"""

from __future__ import annotations

import json
from typing import cast

import pytest
import pytest_twisted
import txredisapi
from prometheus_client.registry import CollectorRegistry
from twisted.internet.defer import Deferred, fail
from twisted.internet.task import Clock
from twisted.logger import ILogObserver, LogEvent, capturedLogs, formatEvent, globalLogPublisher

from chat import lines
from chat.engines.redis.batches import Batches, nothing
from chat.engines.redis.link import Link
from chat.engines.redis.scripts import Keys
from chat.engines.redis.stats import LinkStats
from chat.pressure import TURN_LIMIT
from tests.engines import OneRoom, reactor_time, received, redis_engine
from tests.harness import logged
from tests.redis_server import RedisServer


@pytest.fixture
def room(two_daemons: OneRoom) -> OneRoom:
    """Two daemons on one Redis."""
    return two_daemons


@pytest_twisted.ensureDeferred
async def test_one_script_per_turn(room: OneRoom) -> None:
    """Many lines typed in one reactor turn go to Redis as one batch."""
    soheil, ali, hasan = await room.chatters("soheil", "hasan", "ali")
    engine = room.engines[0]
    before = engine.stats.published_batches
    for n in range(50):
        soheil.send(f"line {n}")
        ali.send(f"line {n}")
    await room.settled()
    assert engine.stats.published_batches == before + 1
    assert len(hasan.take()) == 100


@pytest_twisted.ensureDeferred
async def test_a_burst_goes_to_redis_a_turn_at_a_time(room: OneRoom) -> None:
    """Everyone sending at once: no batch holds much more than a turn's limit, and all arrives."""
    senders = [await room.join(f"user{n}", 0) for n in range(40)]
    reader = await room.join("reader", 1)
    await room.settled()
    engine = room.engines[0]
    run, sizes = engine.link.run, []

    def measured(script: str, keys: list[str], args: list[object]) -> Deferred[object]:
        sizes.append(len(str(args[-1])))
        return run(script, keys, args)

    engine.link.run = measured  # type: ignore[method-assign]
    reader.take()
    for n, sender in enumerate(senders):
        sender.send(b"".join(b"%02d-%d " % (n, i) + b"x" * 990 + b"\n" for i in range(10)))
    got: list[str] = []

    def all_in() -> bool:
        got.extend(reader.take())
        return len(got) == 400

    await room.until(all_in, "every line")
    assert max(sizes) < TURN_LIMIT + 4096, sizes
    for n in range(40):
        mine = [line.split()[1] for line in got if line.startswith(f"user{n}: ")]
        assert mine == [f"{n:02}-{i}" for i in range(10)]


@pytest_twisted.ensureDeferred
async def test_name_free_at_once_after_quit(room: OneRoom) -> None:
    """A name is free again as soon as its holder quits, as on one daemon."""
    soheil, ali = await room.chatters("soheil", "ali")
    soheil.send("/quit")
    again = room.connect(0)
    again.take()
    again.send("soheil")
    await room.settled()
    assert again.take()[-1] == "online (2): ali, soheil"
    assert ali.take() == ["soheil has left the chatroom!", "soheil is joined to the chatroom!"]


class RefusingRedis:
    """A link to a Redis that refuses every script, as one out of memory does."""

    def __init__(self) -> None:
        self.cuts = 0

    def run(self, script: str, keys: list[str], args: list[object]) -> Deferred[object]:
        return fail(txredisapi.ResponseError("OOM command not allowed"))

    def cut(self) -> None:
        self.cuts += 1


def test_refused_batches_logged_once_a_second() -> None:
    """Redis refusing batches: each sender is told, the link cut, the log written once a second."""
    clock, redis = Clock(), RefusingRedis()
    batches = Batches(clock, cast(Link, redis), Keys("p"), "d", 20, LinkStats())
    told: list[None] = []
    with capturedLogs() as events:
        for n in range(50):
            event = {"o": "s", "k": "soheil", "n": "soheil", "x": f"line {n}"}
            batches.send(event, nothing, lambda: told.append(None))
            clock.advance(0.01)
        clock.pump([1, 1, 1])
    assert len(told) == redis.cuts == 50
    assert batches.pending_bytes == 0
    assert logged(events) == [
        "Redis refused a batch of lines (OOM command not allowed); making the room whole again",
        "Redis refused 49 more batch(es) of lines in the last second",
    ]
    assert clock.getDelayedCalls() == []


class SlowRedis:
    """A link to a Redis that answers each script only when the test says so."""

    def __init__(self) -> None:
        self.scripts: list[tuple[list[object], Deferred[object]]] = []

    def run(self, script: str, keys: list[str], args: list[object]) -> Deferred[object]:
        answer: Deferred[object] = Deferred()
        self.scripts.append((args, answer))
        return answer

    def answer(self) -> None:
        """Redis answers the oldest script not yet answered: published, every line."""
        number, answer = next((n, d) for n, (_, d) in enumerate(self.scripts, 1) if not d.called)
        answer.callback([number])


def test_one_batch_on_its_way_at_a_time() -> None:
    """Lines typed until a batch is back on the channel wait, then go together in the next."""
    clock, redis = Clock(), SlowRedis()
    batches = Batches(clock, cast(Link, redis), Keys("p"), "d", 20, LinkStats())

    def say(text: str) -> None:
        batches.send({"o": "s", "k": "soheil", "n": "soheil", "x": text}, nothing, nothing)
        clock.advance(0)

    say("first")
    for n in range(5):
        say(f"meanwhile {n}")  # each in a turn of its own
    redis.answer()
    clock.advance(0)
    assert len(redis.scripts) == 1  # answered, not yet back
    batches.delivered(1)
    clock.advance(0)
    assert [len(json.loads(str(args[4]))) for args, _ in redis.scripts] == [1, 5]
    redis.answer()
    batches.delivered(2)
    clock.advance(0)
    assert len(redis.scripts) == 2
    assert clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_dead_daemon_reaped_once(
    room: OneRoom, redis: RedisServer, redis_prefix: str
) -> None:
    """A daemon that stops without a word: its users leave, seen once by everyone, names free."""
    third = await OneRoom.on_redis(redis.url, redis_prefix, daemons=1, rate=0)
    try:
        soheil, ali = await room.chatters("soheil", "ali")
        hasan = await third.join("hasan")
        joined = "hasan is joined to the chatroom!"
        await room.until(lambda: received(soheil, joined) and received(ali, joined), "the join")
        soheil.take(), ali.take()
    finally:
        third.stop()  # no leave lines, no more lease
    await room.until(
        lambda: (
            received(soheil, "hasan has left the chatroom!")
            and received(ali, "hasan has left the chatroom!")
        ),
        "hasan to leave",
    )
    await room.settled()
    assert soheil.take() == ali.take() == ["hasan has left the chatroom!"]
    assert hasan.take() == []
    await room.join("hasan")


@pytest_twisted.ensureDeferred
async def test_slow_subscriber_killed(room: OneRoom, redis: RedisServer) -> None:
    """Redis drops the subscribers: everyone is told once cut off, once back, and chat goes on."""
    soheil, ali = await room.chatters("soheil", "ali")
    redis.command("CLIENT", "KILL", "TYPE", "pubsub")
    await room.until(lambda: not room.engines[0].up, "the cut")
    soheil.send("anyone?")
    await room.until(lambda: received(soheil, lines.BACK), "the link back")
    await room.settled()
    assert soheil.take() == [lines.CUT_OFF, lines.not_sent("anyone?"), lines.BACK]
    await room.until(lambda: received(ali, lines.BACK), "the link back")
    assert ali.take() == [lines.CUT_OFF, lines.BACK]
    soheil.send("/who")
    ali.send("back again")
    await room.settled()
    assert soheil.take() == ["online (2): ali, soheil", "ali: back again"]


@pytest_twisted.ensureDeferred
async def test_redis_restarted_empty(room: OneRoom, redis: RedisServer) -> None:
    """Redis restarted with nothing kept: the daemons claim their names again; /who is right."""
    soheil, ali, hasan = await room.chatters("soheil", "ali", "hasan")
    redis.stop()
    await room.until(lambda: not any(engine.up for engine in room.engines), "the cut")
    newcomer = room.connect(0)
    newcomer.take()
    newcomer.send("mina")
    hasan.send("/nick hasan2")
    await room.until(lambda: received(hasan, lines.error(lines.NAME_CUT_OFF)), "/nick")
    assert newcomer.take() == [lines.error(lines.NAME_CUT_OFF), lines.PROMPT]
    assert hasan.take()[-1] == lines.error(lines.NAME_CUT_OFF)
    redis.start()
    await room.until(lambda: all(received(c, lines.BACK) for c in (soheil, ali)), "back")
    # Each daemon claims its names again in turn (docs/scaling.md): the
    # other's may come a moment after a daemon is back.
    everyone = ["ali", "hasan", "soheil"]
    await room.until(lambda: all(e.names() == everyone for e in room.engines), "every name")
    await room.settled()
    for client in (soheil, ali, hasan):
        client.take()
        client.send("/who")
    await room.settled()
    assert soheil.take() == ali.take() == hasan.take() == ["online (3): ali, hasan, soheil"]


@pytest_twisted.ensureDeferred
async def test_metrics(room: OneRoom) -> None:
    """--metrics has the link's state, lines published and received, and the lag."""
    soheil, _ = await room.chatters("soheil", "ali")
    soheil.send("hello")
    await room.settled()
    registry = CollectorRegistry()
    registry.register(room.engines[0].collector())
    value = registry.get_sample_value
    assert value("chatroom_redis_up") == 1
    assert (value("chatroom_redis_published_lines_total") or 0) >= 2  # the join and the line
    assert (value("chatroom_redis_received_lines_total") or 0) >= 3
    assert (value("chatroom_redis_lag_seconds_count") or 0) >= 3


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://localhost", "use redis://"),
        ("redis://", "no host"),
        ("redis://localhost/zero", "must be a number"),
        ("unix://", "needs a socket path"),
    ],
)
def test_bad_url(url: str, reason: str) -> None:
    """A --redis URL that can't be used says why."""
    from chat.engines.redis.address import RedisAddress

    with pytest.raises(ValueError, match=reason):
        RedisAddress.parse(url)


def test_urls() -> None:
    """redis://, rediss:// and unix:// URLs give their host, port, database and password."""
    from chat.engines.redis.address import RedisAddress

    full = RedisAddress.parse("rediss://:s%40cret@redis.example:6380/2")
    assert (full.scheme, full.host, full.port, full.db, full.password) == (
        "rediss", "redis.example", 6380, 2, "s@cret"
    )  # fmt: skip
    assert str(full) == "rediss://redis.example:6380/2"
    plain = RedisAddress.parse("redis://localhost")
    assert (plain.port, plain.db, plain.password) == (6379, None, None)
    local = RedisAddress.parse("unix:///run/redis/redis.sock?db=3")
    assert (local.path, local.db) == ("/run/redis/redis.sock", 3)


@pytest_twisted.ensureDeferred
async def test_name_taken_while_cut_off(
    room: OneRoom, redis: RedisServer, redis_prefix: str
) -> None:
    """A user whose name someone else took while the link was down is told, and chooses again."""
    soheil, _ = await room.chatters("soheil", "ali")
    someone_else = '{"n": "Soheil", "d": "elsewhere"}'
    redis.command("HSET", f"{redis_prefix}:names", "soheil", someone_else)
    room.engines[0].link.cut()
    await room.until(lambda: received(soheil, lines.PROMPT), "the prompt")
    assert soheil.take() == [lines.CUT_OFF, lines.name_lost("soheil"), lines.PROMPT]
    soheil.send("sohrab")
    await room.settled()
    assert soheil.take()[-1] == "online (3): ali, Soheil, sohrab"


@pytest_twisted.ensureDeferred
async def test_refused_login_logged(redis: RedisServer, redis_prefix: str) -> None:
    """A Redis that refuses the password: the log says why, and the room stays cut off."""
    url = f"unix://:wrong@{redis.socket}"
    seen: list[str] = []
    logged: Deferred[None] = Deferred()

    def observe(event: LogEvent) -> None:
        text = formatEvent(event)
        if text.startswith("Redis: cannot connect"):
            seen.append(text)
            if not logged.called:
                logged.callback(None)

    observer = cast(ILogObserver, observe)
    globalLogPublisher.addObserver(observer)
    engine = redis_engine(url, redis_prefix)
    try:
        engine.start()
        timer = reactor_time().callLater(10, logged.cancel)
        await logged
        timer.cancel()
    finally:
        engine.leases.stop()
        engine.link.stop()
        globalLogPublisher.removeObserver(observer)
    assert not engine.up
    assert "AUTH" in seen[0], seen

"""
The Redis engine making the room whole after a cut (docs/scaling.md): what
a daemon missed is delivered, and whoever left meanwhile leaves once; two
daemons in this process on the tests' redis-server (tests/redis_server.py).
"""

from __future__ import annotations

import pytest_twisted

from chat import lines
from tests.engines import OneRoom, reactor_time, received
from tests.harness import Client
from tests.redis_server import RedisServer


async def missed(room: OneRoom, client: Client) -> list[str]:
    """What ``client`` of the first daemon gets once its daemon, which missed a batch, is back."""
    engine = room.engines[0]
    engine.mirror.last_seq -= 1  # as if the last batch had been lost with the link
    engine.link.cut()
    await room.until(lambda: received(client, lines.BACK), "the link back")
    return client.take()


@pytest_twisted.ensureDeferred
async def test_missed_lines_delivered_when_back(two_daemons: OneRoom) -> None:
    """A batch a daemon never got (its link was down) is delivered from Redis when back."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    ali.send("are you there?")
    await two_daemons.settled()
    assert soheil.take() == ["ali: are you there?"]
    assert await missed(two_daemons, soheil) == [lines.CUT_OFF, "ali: are you there?", lines.BACK]


@pytest_twisted.ensureDeferred
async def test_missed_private_message_delivered(two_daemons: OneRoom) -> None:
    """A private message a daemon never got (its link was down) is delivered when back."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    ali.send("/msg soheil psst")
    await two_daemons.settled()
    assert soheil.take() == ["[private] ali: psst"]
    assert await missed(two_daemons, soheil) == [lines.CUT_OFF, "[private] ali: psst", lines.BACK]


@pytest_twisted.ensureDeferred
async def test_missed_lines_beyond_the_history(redis: RedisServer, redis_prefix: str) -> None:
    """Missed lines are all delivered when back, more of them than --history keeps."""
    room = await OneRoom.on_redis(redis.url, redis_prefix, history=1, rate=0)
    try:
        soheil, ali = await room.chatters("soheil", "ali")
        ali.send("one")
        ali.send("two")
        await room.settled()
        assert soheil.take() == ["ali: one", "ali: two"]
        assert await missed(room, soheil) == [lines.CUT_OFF, "ali: one", "ali: two", lines.BACK]
    finally:
        room.stop()


@pytest_twisted.ensureDeferred
async def test_leave_while_the_room_is_made_whole(two_daemons: OneRoom) -> None:
    """A user who goes just as the link comes back leaves once, and its name is free."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    engine = two_daemons.engines[1]  # ali's
    link_up = engine.link_up

    def up_then_gone() -> None:
        link_up()
        ali.disconnect()

    engine.link_up = up_then_gone  # type: ignore[method-assign]
    engine.link.cut()
    await two_daemons.until(lambda: received(soheil, lines.left("ali")), "ali to leave")
    await two_daemons.settled()
    assert soheil.take() == [lines.left("ali")]
    soheil.send("/who")
    await two_daemons.settled()
    assert soheil.take() == ["online (1): soheil"]
    await two_daemons.join("ali")


@pytest_twisted.ensureDeferred
async def test_missed_lines_beyond_what_redis_keeps(two_daemons: OneRoom) -> None:
    """Missed lines Redis no longer has: the users are told some are lost, and get the rest."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    for engine in two_daemons.engines:
        engine.batches.replay = 2
    for word in ("one", "two", "three"):
        ali.send(word)
    await two_daemons.settled()
    assert soheil.take() == ["ali: one", "ali: two", "ali: three"]
    assert await missed(two_daemons, soheil) == [
        lines.CUT_OFF,
        lines.LINES_LOST,
        "ali: two",
        "ali: three",
        lines.BACK,
    ]


@pytest_twisted.ensureDeferred
async def test_leave_refused_by_redis(two_daemons: OneRoom, redis: RedisServer) -> None:
    """A leave Redis refuses (a read-only replica now) is made good once it takes writes again."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    engine = two_daemons.engines[1]  # ali's
    redis.command("REPLICAOF", "127.0.0.1", "1")  # a primary that never answers
    try:
        ali.disconnect()
        await two_daemons.until(engine.batches.idle, "the leave refused")
    finally:
        redis.command("REPLICAOF", "NO", "ONE")
    await two_daemons.until(lambda: received(soheil, lines.left("ali")), "ali to leave")
    await two_daemons.settled()
    assert soheil.take() == [lines.left("ali")]
    await two_daemons.join("ali")


@pytest_twisted.ensureDeferred
async def test_redis_back_empty_nobody_leaves(two_daemons: OneRoom, redis: RedisServer) -> None:
    """Redis back empty: users whose daemon claims their names a moment later never leave."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    late = two_daemons.engines[1]  # ali's reads the room a second after soheil's
    link_up = late.link_up

    def up_a_second_later() -> None:
        reactor_time().callLater(1.0, link_up)

    late.link_up = up_a_second_later  # type: ignore[method-assign]
    redis.stop()
    await two_daemons.until(lambda: not any(e.up for e in two_daemons.engines), "the cut")
    redis.start()
    await two_daemons.until(lambda: all(received(c, lines.BACK) for c in (soheil, ali)), "back")
    await two_daemons.settled()
    assert soheil.take() == ali.take() == [lines.CUT_OFF, lines.BACK]
    soheil.send("/who")
    await two_daemons.settled()
    assert soheil.take() == ["online (2): ali, soheil"]


@pytest_twisted.ensureDeferred
async def test_redis_back_empty_and_a_daemon_gone(two_daemons: OneRoom, redis: RedisServer) -> None:
    """Redis back empty, and a daemon gone with it: its users leave, once, a moment later."""
    soheil, _ = await two_daemons.chatters("soheil", "ali")
    first, gone = two_daemons.engines
    first.mirror.grace = 0.5
    gone.leases.stop()
    gone.link.stop()
    redis.stop()
    await two_daemons.until(lambda: not first.up, "the cut")
    redis.start()
    await two_daemons.until(lambda: received(soheil, lines.left("ali")), "ali to leave")
    assert soheil.take() == [lines.CUT_OFF, lines.BACK, lines.left("ali")]
    soheil.send("/who")
    assert soheil.take() == ["online (1): soheil"]

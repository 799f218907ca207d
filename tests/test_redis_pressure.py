"""
Lines on their way to Redis count toward the pressure on everyone's
output (docs/protocol.md §5) until they are back on the channel: a Redis
that takes lines but does not answer, or a channel that falls behind,
stops the reading, rather than the daemon buffering without bound.
"""

from __future__ import annotations

import signal

import pytest_twisted

from tests.engines import OneRoom
from tests.redis_server import RedisServer

LINES = 200  # of 1 kB: past a turn's limit (chat.pressure.TURN_LIMIT)
FLOOD = b"".join(b"%d %s\n" % (n, b"x" * 1000) for n in range(LINES))


@pytest_twisted.ensureDeferred
async def test_reading_stops_while_redis_does_not_answer(
    two_daemons: OneRoom, redis: RedisServer
) -> None:
    """Lines waiting for a stalled Redis stop the reading; all are delivered once it answers."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    engine = two_daemons.engines[0]  # soheil's
    assert redis.process is not None
    redis.process.send_signal(signal.SIGSTOP)
    try:
        soheil.send(FLOOD)
        assert soheil.transport.producerState == "paused"
        assert engine.queued_bytes < 2 * 64 * 1024
    finally:
        redis.process.send_signal(signal.SIGCONT)
    await two_daemons.until(lambda: soheil.transport.producerState == "producing", "reading")
    await two_daemons.settled()
    assert [line.split()[1] for line in ali.take()] == [str(n) for n in range(LINES)]


@pytest_twisted.ensureDeferred
async def test_reading_stops_until_lines_come_back_from_redis(two_daemons: OneRoom) -> None:
    """Lines Redis took but has not yet sent back on the channel still stop the reading."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    engine = two_daemons.engines[0]  # soheil's
    held: list[str] = []

    def behind(text: str) -> None:
        held.append(text)  # the channel falls behind: Redis's batches wait here

    engine.message = behind  # type: ignore[method-assign]
    try:
        soheil.send(FLOOD)
        await two_daemons.until(engine.batches.idle, "Redis to answer")
        assert soheil.transport.producerState == "paused"
        assert engine.queued_bytes < 2 * 64 * 1024
    finally:
        del engine.message
    for text in held:
        engine.message(text)
    await two_daemons.until(lambda: soheil.transport.producerState == "producing", "reading")
    await two_daemons.settled()
    assert [line.split()[1] for line in ali.take()] == [str(n) for n in range(LINES)]

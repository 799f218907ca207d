"""
Lines on their way to Redis count toward the pressure on everyone's
output (docs/protocol.md §5): a Redis that takes lines but does not
answer stops the reading, rather than the daemon buffering without bound.
"""

from __future__ import annotations

import signal

import pytest_twisted

from tests.engines import OneRoom
from tests.redis_server import RedisServer

LINES = 200  # of 1 kB: past a turn's limit (chat.pressure.TURN_LIMIT)


@pytest_twisted.ensureDeferred
async def test_reading_stops_while_redis_does_not_answer(
    two_daemons: OneRoom, redis: RedisServer
) -> None:
    """Lines waiting for a stalled Redis stop the reading; all are delivered once it answers."""
    soheil, ali = await two_daemons.chatters("soheil", "ali")
    engine = two_daemons.engines[0]  # soheil's
    assert redis.process is not None
    flood = b"".join(b"%d %s\n" % (n, b"x" * 1000) for n in range(LINES))
    redis.process.send_signal(signal.SIGSTOP)
    try:
        soheil.send(flood)
        assert soheil.transport.producerState == "paused"
        assert engine.queued_bytes < 2 * 64 * 1024
    finally:
        redis.process.send_signal(signal.SIGCONT)
    await two_daemons.until(lambda: soheil.transport.producerState == "producing", "reading")
    await two_daemons.settled()
    assert [line.split()[1] for line in ali.take()] == [str(n) for n in range(LINES)]

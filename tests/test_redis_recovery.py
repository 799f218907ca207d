"""
The Redis engine making the room whole after a cut (docs/scaling.md): what
a daemon missed is delivered, and whoever left meanwhile leaves once; two
daemons in this process on the tests' redis-server (tests/redis_server.py).
"""

from __future__ import annotations

import pytest_twisted

from chat import lines
from tests.engines import OneRoom, received


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

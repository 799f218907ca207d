"""
The room's behaviour (§2–§4 of docs/protocol.md), the same on both engines:
one in-memory daemon, and two daemons on one Redis with the clients dealt to
them in turn. A focused set of the room's tests (tests/test_room.py,
tests/test_commands.py and tests/test_session.py have the rest, in memory).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted

from tests.engines import OneRoom
from tests.redis_server import RedisServer


@pytest_twisted.async_yield_fixture(params=["memory", "redis"])
async def room(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[OneRoom]:
    """One room on each engine: in memory, or two daemons on one Redis."""
    if request.param == "memory":
        yield OneRoom.in_memory(history=3, rate=0)
        return
    server: RedisServer = request.getfixturevalue("redis")
    one = await OneRoom.on_redis(server.url, redis_prefix, history=3, rate=0)
    yield one
    one.stop()


@pytest_twisted.ensureDeferred
async def test_join_and_welcome(room: OneRoom) -> None:
    """A newcomer gets the welcome and everyone online; the others get its join line."""
    soheil = await room.join("soheil")
    ali = room.connect()
    assert ali.take() == ["Please enter your name:"]
    ali.send("ali")
    await room.settled()
    assert ali.take() == ["Chat with your friends and enjoy", "online (2): ali, soheil"]
    assert soheil.take() == ["ali is joined to the chatroom!"]


@pytest_twisted.ensureDeferred
async def test_message_reaches_the_others_not_the_sender(room: OneRoom) -> None:
    """A message and an action reach every other member, with no echo."""
    soheil, ali, hasan = await room.chatters("soheil", "ali", "hasan")
    soheil.send("hello this is soheil")
    ali.send("/me waves")
    await room.settled()
    assert soheil.take() == ["* ali waves"]
    assert ali.take() == ["soheil: hello this is soheil"]
    assert hasan.take() == ["soheil: hello this is soheil", "* ali waves"]


@pytest_twisted.ensureDeferred
async def test_one_order_for_everyone(room: OneRoom) -> None:
    """Lines from every daemon reach every member in one order, each sender's in order."""
    soheil, ali, hasan, mina = await room.chatters("soheil", "ali", "hasan", "mina")
    for n in range(20):
        soheil.send(f"s{n}")
        ali.send(f"a{n}")
    await room.settled()
    seen_by_hasan, seen_by_mina = hasan.take(), mina.take()
    assert seen_by_hasan == seen_by_mina
    assert [line for line in seen_by_hasan if line.startswith("soheil")] == [
        f"soheil: s{n}" for n in range(20)
    ]
    assert len(seen_by_hasan) == 40


@pytest_twisted.ensureDeferred
async def test_who_lists_everyone(room: OneRoom) -> None:
    """/who lists everyone online, whichever daemon they are on."""
    soheil, *_ = await room.chatters("soheil", "ali", "hasan")
    soheil.send("/who")
    await room.settled()
    assert soheil.take() == ["online (3): ali, hasan, soheil"]


@pytest_twisted.ensureDeferred
async def test_names_unique_with_look_alikes(room: OneRoom) -> None:
    """A name taken on any daemon, in any case or as a look-alike, is refused; prompt again."""
    await room.chatters("soheil")
    for _ in range(2):  # one try on each daemon
        other = room.connect()
        other.take()
        other.send("SOHEIL")
        other.send("ѕоһеіӏ")
        await room.settled()
        assert other.take() == [
            "error: the name SOHEIL is taken, choose another",
            "Please enter your name:",
            "error: the name ѕоһеіӏ looks like soheil, who is online",
            "Please enter your name:",
        ]


@pytest_twisted.ensureDeferred
async def test_race_for_one_name(room: OneRoom) -> None:
    """Two people asking for one name at once, on two daemons: exactly one gets it."""
    first, second = room.connect(), room.connect()
    first.send("soheil")
    second.send("Soheil")
    await room.settled()
    answers = [first.take()[-1], second.take()[-1]]
    assert sorted(answers) == [
        "Please enter your name:",
        "online (1): " + ("soheil" if answers[0].startswith("online") else "Soheil"),
    ]


@pytest_twisted.ensureDeferred
async def test_nick(room: OneRoom) -> None:
    """/nick: the user is told, the others see the rename, and a name held elsewhere is refused."""
    soheil, ali = await room.chatters("soheil", "ali")
    soheil.send("/nick ali")
    soheil.send("/nick sohrab")
    await room.settled()
    assert soheil.take() == [
        "error: the name ali is taken, choose another",
        "you are now known as sohrab",
    ]
    assert ali.take() == ["soheil is now known as sohrab"]
    ali.send("/who")
    await room.settled()
    assert ali.take() == ["online (2): ali, sohrab"]


@pytest_twisted.ensureDeferred
async def test_private_message(room: OneRoom) -> None:
    """/msg reaches only its target, on whichever daemon; an unknown name is an error."""
    soheil, ali, hasan = await room.chatters("soheil", "ali", "hasan")
    soheil.send("/msg ALI see you at 6?")
    soheil.send("/msg nobody hi")
    await room.settled()
    assert soheil.take() == ["[private to ali] see you at 6?", "error: no such user: nobody"]
    assert ali.take() == ["[private] soheil: see you at 6?"]
    assert hasan.take() == []


@pytest_twisted.ensureDeferred
async def test_ignore_across_daemons(room: OneRoom) -> None:
    """/ignore hides what the ignored one says, does and whispers, wherever it is."""
    soheil, ali = await room.chatters("soheil", "ali")
    soheil.send("/ignore ali")
    await room.settled()
    assert soheil.take() == ["ignoring ali"]
    ali.send("hello")
    ali.send("/me waves")
    ali.send("/msg soheil psst")
    soheil.send("still here")
    await room.settled()
    assert soheil.take() == []
    assert ali.take() == ["[private to soheil] psst", "soheil: still here"]


@pytest_twisted.ensureDeferred
async def test_leave_once_and_name_free(room: OneRoom) -> None:
    """A user who goes is announced once to everyone, and its name is free again."""
    soheil, ali, hasan = await room.chatters("soheil", "ali", "hasan")
    ali.send("/quit")
    await room.settled()
    assert ali.take() == ["Goodbye, ali!"]
    assert soheil.take() == hasan.take() == ["ali has left the chatroom!"]
    await room.join("Ali")


@pytest_twisted.ensureDeferred
async def test_history_from_every_daemon(room: OneRoom) -> None:
    """A newcomer gets the room's last messages, whichever daemon they were said on."""
    soheil, ali, hasan = await room.chatters("soheil", "ali", "hasan")
    for n in range(3):
        soheil.send(f"s{n}")
        ali.send(f"a{n}")
    await room.settled()
    last_three = hasan.take()[-3:]  # in the room's order
    for daemon in range(len(room.daemons)):
        newcomer = room.connect(daemon)
        newcomer.send(f"new{daemon}")
        await room.settled()
        welcome = newcomer.take()
        assert [line[8:] for line in welcome[2:-1]] == last_three


@pytest_twisted.ensureDeferred
async def test_half_close_while_the_name_is_decided(room: OneRoom) -> None:
    """Name, a line and half-close at once: welcome, the line sent, goodbye, then closed."""
    soheil = await room.join("soheil")
    ali = room.connect()
    ali.take()
    ali.send(b"ali\nhello\n/who\n")
    ali.chat_protocol.readConnectionLost()
    await room.settled()
    online = "online (2): ali, soheil"
    assert ali.take() == ["Chat with your friends and enjoy", online, online]
    assert ali.closing
    ali.finish_close()
    await room.settled()
    assert soheil.take() == [
        "ali is joined to the chatroom!",
        "ali: hello",
        "ali has left the chatroom!",
    ]


@pytest_twisted.ensureDeferred
async def test_nick_then_gone(room: OneRoom) -> None:
    """A user who leaves right after /nick leaves once, under the new name, which is free again."""
    soheil, ali = await room.chatters("soheil", "ali")
    ali.send("/nick alireza")
    ali.disconnect()
    await room.settled()
    assert soheil.take() == ["ali is now known as alireza", "alireza has left the chatroom!"]
    await room.join("alireza")

"""
A crowd of hostile clients against a real daemon (docs/protocol.md §1, §3, §5): garbage
bytes, a reset mid-line, a half-closed socket, a client that never reads, a
flood, and a slowloris that never finishes its name. Three well-behaved
friends chat all the while; each must get every message of the others, in
order, exactly once, and one leave line per departure.

Clients and the daemon's log run on the reactor (pytest-twisted), so every
connection is read while the others misbehave.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

import pytest_twisted
from twisted.internet import reactor

from tests.wire_reactor import WAIT, connect, start_daemon

FRIENDS = ("ali", "hasan", "soheil")
MESSAGES = 15
FLOOD_LINES = 150
FLOOD_LINE = "f" * 12000


def chat_lines(lines: list[str], sender: str) -> list[str]:
    return [line for line in lines if line.startswith(f"{sender}: ")]


def all_messages_from(sender: str) -> Callable[[list[str]], bool]:
    return lambda lines: len(chat_lines(lines, sender)) == MESSAGES


@pytest_twisted.ensureDeferred
async def test_hostile_crowd_costs_the_friends_nothing() -> None:
    """Whatever the hostile clients do, the friends' chat is whole and in order."""
    options = [
        "--port", "tcp:0:interface=127.0.0.1",
        "--rate", "50", "--burst", "20",
        "--max-line-length", "16384",
        "--max-send-queue", "32768",
        "--registration-timeout", "3",
    ]  # fmt: skip
    daemon = await start_daemon(*options)
    port = daemon.port
    try:
        friends = {name: await connect(port) for name in FRIENDS}
        for name, friend in friends.items():
            await friend.register(name)

        # The slowloris, a telnet client (so framed by line endings alone,
        # docs/protocol.md "Framing"), starts a name and never ends it.
        slowloris = await connect(port)
        slowloris.send(b"\xff\xfb\x18slo")

        # Garbage: telnet commands, escapes, bad UTF-8, a huge line, then a name.
        garbage = await connect(port)
        garbage.send(b"\xff\xfb\x01\x00\x1b[2J\xc3\x28\n" + b"g" * 9000 + b"\ngarbage\n")
        await garbage.seen.until(garbage.seen.has("^online"), "garbage's welcome")
        garbage.send(b"\x1b]0;pwned\x07hello\xc0\xfe world\xff\xfe\x01\r\n")

        # A reset in the middle of a line.
        resetter = await connect(port)
        await resetter.register("resetter")
        resetter.send(b"this line never ends")
        handle = resetter.transport.getHandle()
        handle.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        resetter.transport.abortConnection()

        # A half-closed client: its last line has no newline.
        half = await connect(port)
        await half.register("half")
        half.send(b"/who\nbye from half")
        half.transport.loseWriteConnection()
        # Answered and closed before the next ones join, who would be news to it.
        await half.closed.addTimeout(WAIT, reactor)

        # A client that never reads (test_twistd.py shows it dropped, which
        # takes megabytes through the kernel's buffers).
        deaf = socket.socket()
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        deaf.connect(("127.0.0.1", port))
        deaf.sendall(b"deaf\n")

        # A flood of long lines, all at once: delayed, never dropped.
        flood = await connect(port)
        await flood.register("flood")
        flood.send(b"".join(f"{n:04} {FLOOD_LINE}\n".encode() for n in range(FLOOD_LINES)))

        for n in range(MESSAGES):
            for name, friend in friends.items():
                friend.send(f"{name} says {n}")

        for name, friend in friends.items():
            seen = friend.seen
            await seen.until(
                lambda lines: len(chat_lines(lines, "flood")) == FLOOD_LINES,
                f"{name} to get the whole flood",
            )
            for other in FRIENDS:
                if other != name:
                    await seen.until(all_messages_from(other), f"{name} to hear {other}")

        await slowloris.closed.addTimeout(WAIT, reactor)
        assert slowloris.seen.lines[-1] == "error: no name given within 3 seconds, goodbye"
        assert half.seen.lines[-1].startswith("online (")
        flood.send("/quit")
        garbage.send("/quit")
        deaf.close()
        await flood.closed.addTimeout(WAIT, reactor)
        await garbage.closed.addTimeout(WAIT, reactor)
        for name, friend in friends.items():
            await friend.seen.until(
                lambda lines: sum(" has left the chatroom!" in line for line in lines) >= 5,
                f"{name} to see everyone leave",
            )

        for name, friend in friends.items():
            lines = friend.seen.lines
            for other in FRIENDS:
                if other != name:
                    expected = [f"{other}: {other} says {n}" for n in range(MESSAGES)]
                    assert chat_lines(lines, other) == expected
            assert chat_lines(lines, "flood") == [
                f"flood: {n:04} {FLOOD_LINE}" for n in range(FLOOD_LINES)
            ]
            assert chat_lines(lines, "garbage") == ["garbage: ]0;pwnedhello\ufffd\ufffd world"]
            assert chat_lines(lines, "half") == ["half: bye from half"]
            assert chat_lines(lines, "resetter") == []
            departures = [line for line in lines if line.endswith(" has left the chatroom!")]
            assert sorted(departures) == sorted(
                f"{who} has left the chatroom!"
                for who in ("resetter", "half", "deaf", "flood", "garbage")
            )
            assert not [line for line in lines if "\x1b" in line or "\x07" in line]

        assert daemon.log.has(r"an unnamed client \(127\.0\.0\.1:\d+\) dropped: no name")(
            daemon.log.lines
        )
        assert not daemon.log.has("Traceback|Unhandled")(daemon.log.lines)
    finally:
        deaf.close()
        await daemon.stop()

"""
What a front end of ``chatroom-client`` is (the pipe or the terminal), and
all it sees of the session: the two sides meet only through these types.
"""

from __future__ import annotations

from typing import Protocol

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime


class Front(Protocol):
    """What the session needs from a front end (the pipe or the terminal)."""

    def show(self, line: str) -> None:
        """Put one line from the server in front of the user."""

    def close(self) -> defer.Deferred[None]:
        """Flush what is left for the user; fire once that is done."""


class Session(Protocol):
    """What a front end needs from the session: the user's lines, and leaving."""

    def send_line(self, text: str) -> None:
        """Send one line the user wrote."""

    def quit(self) -> None:
        """Leave the way a user does, with ``/quit``."""


def bounded(
    clock: IReactorTime, waiting: defer.Deferred[None], seconds: float
) -> defer.Deferred[None]:
    """``waiting``, or None after ``seconds``: never hang on a stuck reader."""
    done: defer.Deferred[None] = defer.Deferred()

    def expired() -> None:
        if not done.called:
            done.callback(None)

    timer = clock.callLater(seconds, expired)

    def finish(result: object) -> None:
        if timer.active():
            timer.cancel()
        if not done.called:
            done.callback(None)

    waiting.addBoth(finish)
    return done

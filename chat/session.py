"""
One client's life in the chat: choosing a name, then messages and commands,
until it quits, times out, is dropped or goes away.

A session sees its connection only through ``write``, ``close`` and
``abort``, so it is tested with a fake connection and a ``Clock``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from chat import lines
from chat.commands import COMMANDS
from chat.engines.base import Engine
from chat.limits import Limits
from chat.names import NameRejected, check_name
from chat.stats import DropReason, Stats
from chat.text import clean_message

log = Logger()


class Server(Protocol):
    """What every session shares: the daemon's factory in practice."""

    room: Engine
    limits: Limits
    clock: IReactorTime
    stats: Stats


class Connection(Protocol):
    @property
    def peer(self) -> str: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class Session:
    """A client, from the name prompt to the leave line."""

    __slots__ = ("_connection", "_held", "_server", "_timer", "deliver", "key", "name", "room")

    def __init__(
        self,
        server: Server,
        connection: Connection,
        deliver: Callable[[bytes], None] | None = None,
    ) -> None:
        self.name: str | None = None
        self.key: str | None = None
        self.room = server.room
        self._server = server
        self._connection = connection
        # Bytes from the room, straight to the connection: the room calls
        # this for every member a line reaches, so it is the connection's
        # own (or the quicker way in it gives), with no call of the
        # session's in between.
        self.deliver: Callable[[bytes], None] = deliver or connection.write
        self._timer: IDelayedCall | None = None
        # Lines that came while the engine decided on a name (None: not
        # deciding); a None among them: the client's input ended there.
        self._held: list[str | None] | None = None

    def start(self) -> None:
        self.send_line(lines.PROMPT)
        self._start_timer(self._server.limits.registration_timeout, self._registration_expired)

    def send(self, data: bytes) -> None:
        """Lines for this client, after what the room has queued for it."""
        if self.room.is_member(self):
            self.room.tell(self, data)
        else:
            self.deliver(data)

    def send_line(self, line: str) -> None:
        self.send(lines.encode(line))

    def line_received(self, text: str) -> None:
        """A clean line of text from the client."""
        if self._held is not None:
            self._held.append(text)
        elif self.name is None:
            self._register(text)
        else:
            self._chat(text)

    def line_too_long(self) -> None:
        self.send_line(lines.line_too_long(self._server.limits.max_line_length))
        if self.name is None:
            self.send_line(lines.PROMPT)

    def quit(self) -> None:
        """The user said goodbye."""
        self._end(lines.goodbye(self.name) if self.name else lines.GOODBYE_UNNAMED)

    def input_ended(self) -> None:
        """The client stopped sending and every line it sent was handled."""
        if self._held is not None:
            self._held.append(None)  # once the lines before are
            return
        self._end()

    def disconnected(self) -> None:
        self._leave()

    def drop(self, kind: DropReason, reason: str) -> None:
        """Cut a client that broke a limit; the others see it leave."""
        self._log_drop(kind, reason)
        self._leave()
        self._connection.abort()

    def name_lost(self, line: str) -> None:
        """
        The room took this client's name away (another daemon has it, see
        docs/scaling.md): it is told why and chooses a name again.
        """
        self.name = self.key = None
        self._cancel_timer()
        self.deliver(lines.encode_all([line, lines.PROMPT]))
        self._start_timer(self._server.limits.registration_timeout, self._registration_expired)

    def shut_down(self) -> None:
        """The server is stopping: tell the client, then close."""
        self._cancel_timer()
        self.send_line(lines.SHUTTING_DOWN)
        self._connection.close()

    def _register(self, text: str) -> None:
        if text.strip().lower() == "/quit":
            self.quit()
            return
        try:
            name = check_name(text)
            joining = self.room.join(self, name)
        except NameRejected as rejected:
            self._refused(rejected)
            return
        if joining is None:
            self._welcome()
            return
        # The engine asks the other daemons first (Redis): what the client
        # sends meanwhile waits, in order, for the answer.
        self._held = []
        joining.addCallbacks(lambda _: self._decided(None), self._join_failed)

    def _join_failed(self, failure: Failure) -> None:
        failure.trap(NameRejected)
        assert isinstance(failure.value, NameRejected)
        self._decided(failure.value)

    def _decided(self, rejected: NameRejected | None) -> None:
        held, self._held = self._held or [], None
        if rejected is None:
            self._welcome()
        else:
            self._refused(rejected)
        for text in held:
            if text is None:
                self.input_ended()
            else:
                self.line_received(text)

    def _refused(self, rejected: NameRejected) -> None:
        self.send(lines.encode_all([lines.error(rejected.reason), lines.PROMPT]))

    def _welcome(self) -> None:
        # Straight to the connection: nothing the room queued before the join
        # is for this newcomer, and what it queues after comes after this.
        self.deliver(
            lines.encode_all([lines.WELCOME, *self.room.history_lines(), self.room.online_line()])
        )
        self._cancel_timer()
        self._start_timer(self._server.limits.idle_timeout, self._idle_expired)

    def _chat(self, text: str) -> None:
        if self._timer is not None:
            self._timer.reset(self._server.limits.idle_timeout)
        text = text.strip()
        if text.startswith("/") and not text.startswith("//"):
            COMMANDS.dispatch(self, text)
            return
        message = clean_message(text[1:] if text.startswith("/") else text).strip()
        if message:
            self.room.say(self, message)

    def _end(self, last_line: str | None = None) -> None:
        """Take what the room still holds for this client, leave, then close."""
        self.room.hand_over(self)
        self._leave()
        if last_line is not None:
            self.send_line(last_line)
        self._connection.close()

    def _leave(self) -> None:
        self._cancel_timer()
        self.room.leave(self)

    def _start_timer(self, seconds: float, expired: Callable[[], None]) -> None:
        if seconds > 0:
            self._timer = self._server.clock.callLater(seconds, expired)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            if self._timer.active():
                self._timer.cancel()
            self._timer = None

    def _registration_expired(self) -> None:
        self._timer = None
        seconds = self._server.limits.registration_timeout
        self._log_drop(DropReason.NO_NAME, f"no name within {seconds:g} seconds")
        self.send_line(lines.registration_timeout(seconds))
        self._connection.close()

    def _idle_expired(self) -> None:
        self._timer = None
        seconds = self._server.limits.idle_timeout
        self._log_drop(DropReason.IDLE, f"idle for {seconds:g} seconds")
        self._end(lines.idle_timeout(seconds))

    def _log_drop(self, kind: DropReason, reason: str) -> None:
        self._server.stats.drops[kind] += 1
        who = self.name or "an unnamed client"
        log.info(lines.LOG_DROPPED, who=who, peer=self._connection.peer, reason=reason)

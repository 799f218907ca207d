"""
The chat session of ``chatroom-client`` on the wire: answers the name
prompt, sends the user's lines, shows every server line (and text a server
sends without a line ending, once it pauses), and says how the session
ended.  It knows nothing about the front ends (``chat.client.pipe``,
``chat.client.terminal``): they meet through ``chat.client.front``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure

from chat.client.errors import ClientError, NotConnected, describe_loss, is_tls_error
from chat.lines import PROMPT, WELCOME
from chat.sockets import ISocketTransport
from chat.text import strip_controls as clean

QUIT = "/quit"
QUIT_TIMEOUT = 5.0
"""Seconds to wait for the server to close after ``/quit``..."""
SERVER_RATE = 5.0
"""... plus one second per this many lines sent: the server's default
``--rate`` delays a flood of lines instead of dropping them, and the /quit
comes last in the queue."""
PARTIAL_LINE_PAUSE = 0.5
"""Seconds of silence after which text the server sent without a line
ending is shown as a line: some servers never end their lines."""

_TAKEN = re.compile(r"\b(taken|in use)\b", re.IGNORECASE)

log = Logger()


def candidate_names(name: str) -> Iterator[str]:
    """The name itself, then ``name2``, ``name3``, ... for a taken name."""
    yield name
    number = 2
    while True:
        yield f"{name}{number}"
        number += 1


class ChatClient(LineReceiver):
    """
    One chat session: answers the name prompt if told a name, sends the
    user's lines, shows every server line (and text sent with no line
    ending, once the server pauses), and tells how the session ended.

    ``ended`` fires with None after a ``/quit``, or fails with a
    ``ClientError`` when the connection ends any other way.
    """

    delimiter = b"\n"
    MAX_LENGTH = 1 << 20
    transport: ISocketTransport

    def __init__(
        self,
        clock: IReactorTime,
        name: str | None = None,
        next_free_name: bool = False,
        quit_timeout: float = QUIT_TIMEOUT,
    ) -> None:
        self.clock = clock
        self.name = name
        self.next_free_name = next_free_name
        self.quit_timeout = quit_timeout
        self.ended: defer.Deferred[None] = defer.Deferred()
        self.registered = False
        self.quitting = False
        self.heard_from_server = False
        self._names = candidate_names(name) if name else None
        self._answer_prompt = name is not None
        self._tried: str | None = None
        self._pending: list[str] = []
        self._backlog: list[str] = []
        self._show: Callable[[str], None] = self._backlog.append
        self._last_error: str | None = None
        self._problem: ClientError | None = None
        self._quit_call: IDelayedCall | None = None
        self._partial_call: IDelayedCall | None = None
        self._partial_shown = False
        self._closed = False
        self._sent = 0

    def attach(self, show: Callable[[str], None]) -> None:
        """Send server lines to ``show``, starting with any that came early."""
        self._show = show
        backlog, self._backlog = self._backlog, []
        for line in backlog:
            show(line)

    def dataReceived(self, data: bytes) -> None:
        """Each line as it ends; text with no line ending once the server pauses."""
        self._cancel_partial()
        if self._partial_shown:
            # A line ending right after a part shown already ends that line.
            self._partial_shown = False
            for ending in (b"\r\n", b"\n"):
                if data.startswith(ending):
                    data = data[len(ending) :]
                    break
        super().dataReceived(data)
        if data and not data.endswith(self.delimiter) and not self.transport.disconnecting:
            self._partial_call = self.clock.callLater(PARTIAL_LINE_PAUSE, self._show_partial)

    def _show_partial(self) -> None:
        """The server paused in mid-line: what it sent of the line is a line."""
        self._partial_call = None
        rest = self.clearLineBuffer()
        if rest:
            self._partial_shown = True
            self.lineReceived(rest)

    def _cancel_partial(self) -> None:
        if self._partial_call is not None and self._partial_call.active():
            self._partial_call.cancel()
        self._partial_call = None

    def _show_line(self, line: bytes) -> str:
        self.heard_from_server = True
        text = clean(line.rstrip(b"\r").decode("utf-8", "replace"))
        self._show(text)
        return text

    def lineReceived(self, line: bytes) -> None:
        text = self._show_line(line)
        if self.registered:
            return
        if text == WELCOME:
            self.registered = True
            pending, self._pending = self._pending, []
            for queued in pending:
                self._send(queued)
        elif text.startswith("error: "):
            self._last_error = text
            if self._tried is not None:
                self._name_refused(text)
        elif text == PROMPT and self._answer_prompt and self._names is not None:
            self._answer_prompt = False
            self._tried = next(self._names)
            self._send(self._tried)

    def _name_refused(self, text: str) -> None:
        """Try the next free name if asked to, else end: nobody is typing."""
        if self.next_free_name and _TAKEN.search(text):
            self._answer_prompt = True
            return
        reason = text.removeprefix("error: ")
        self._problem = ClientError(f"the name {self._tried} was refused: {reason}")
        self.transport.loseConnection()

    def send_line(self, text: str) -> None:
        """
        Send one line the user wrote; held back while the name given on
        the command line is still being registered, so it is not taken for
        a name.
        """
        if self.quitting or self._closed:
            return
        if self._names is not None and not self.registered:
            self._pending.append(text)
        else:
            self._send(text)
        if text.strip().lower() == QUIT:
            self._start_quitting()

    def quit(self) -> None:
        """Leave the way a user does, with ``/quit``."""
        self.send_line(QUIT)

    def _send(self, text: str) -> None:
        self._sent += 1
        self.sendLine(text.encode("utf-8"))

    def _start_quitting(self) -> None:
        self.quitting = True
        lines = self._sent + len(self._pending)
        delay = self.quit_timeout + lines / SERVER_RATE
        self._quit_call = self.clock.callLater(delay, self._give_up)

    def _give_up(self) -> None:
        """The server did not close in time after ``/quit``: close ourselves."""
        self._quit_call = None
        log.warn("no answer to /quit, closing the connection")
        self.transport.abortConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._closed = True
        self._cancel_partial()
        rest = self.clearLineBuffer()
        if rest and self._problem is None:
            # The last text the server sent, with no line ending after it.
            self._show_line(rest)
        if self._quit_call is not None and self._quit_call.active():
            self._quit_call.cancel()
        self._quit_call = None
        if self._problem is not None:
            self.ended.errback(self._problem)
        elif self.quitting and not is_tls_error(reason.value):
            # A TLS failure is never a clean end, even after /quit (end of
            # input comes at once from an empty pipe).
            self.ended.callback(None)
        else:
            self.ended.errback(self._loss(reason))

    def _loss(self, reason: Failure) -> ClientError:
        """Why the connection ended, as the user should hear it."""
        text = describe_loss(reason, self._last_error)
        if is_tls_error(reason.value) and not self.heard_from_server:
            return NotConnected(text)
        return ClientError(text)

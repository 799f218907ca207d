"""
The terminal front end of ``chatroom-client``: a ``prompt_toolkit`` line
editor (emacs keys, history, wrapping, wide and zero-width characters), with
each line from the server printed above the line being typed.

``prompt_toolkit`` runs on asyncio, so in a terminal the client runs Twisted
on the asyncio reactor (``install_asyncio_reactor``, before anything imports
the reactor); the pipe front end keeps the default one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import termios
import tty
from collections.abc import Awaitable, Iterator
from contextlib import AbstractContextManager

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.input.vt100 import Vt100Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime

from chat.client.front import Front, Session, bounded
from chat.text import clean_message, strip_controls

PROMPT = "> "


def install_asyncio_reactor() -> None:
    """Twisted on a fresh asyncio loop, the one ``prompt_toolkit`` will use."""
    from twisted.internet import asyncioreactor

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)


def displayable(line: str) -> str:
    """
    A server line made safe to print: no control or escape characters, and
    no bidi overrides, isolates or zero-width spaces (ZWNJ, ZWJ, LRM and RLM
    stay, as in messages; see docs/protocol.md).
    """
    return strip_controls(clean_message(line))


def chat_keys(client: Session) -> KeyBindings:
    """Ctrl-C, and Ctrl-D on an empty line, leave with ``/quit``; paste is one line."""
    keys = KeyBindings()

    @keys.add("c-c")
    def _quit(event: KeyPressEvent) -> None:
        client.quit()

    @keys.add("c-d")
    def _delete_or_quit(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.delete(event.arg)
        else:
            client.quit()

    @keys.add("c-q")
    @keys.add("c-z")
    def _nothing(event: KeyPressEvent) -> None:
        """Quoted insert and Ctrl-Z as a character would put a control key in the line."""

    @keys.add(Keys.BracketedPaste)
    def _paste(event: KeyPressEvent) -> None:
        text = " ".join(event.data.splitlines())
        event.current_buffer.insert_text(strip_controls(text))

    return keys


class RawKeys(Vt100Input):
    """
    The keyboard, left in raw mode while a server line is printed.

    ``run_in_terminal`` puts the terminal back in cooked mode around what it
    prints, and the terminal then echoes keys typed meanwhile where the
    cursor is, beside that line and where the prompt does not know: the
    prompt is drawn again after them, and the next line from the server
    lands on the typed text's row. Left raw, those keys wait, unechoed, for
    the prompt to read them.
    """

    def cooked_mode(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()


class TerminalFront:
    """
    The prompt at the bottom, with history on the arrow keys; server lines
    and the user's own sent lines scroll up above it.
    """

    FLUSH_TIMEOUT = 2.0

    def __init__(self, client: Session, clock: IReactorTime) -> None:
        self.client = client
        self.clock = clock
        self.prompt: PromptSession[str] = PromptSession(
            PROMPT,
            key_bindings=chat_keys(client),
            enable_suspend=False,
            input=RawKeys(sys.stdin),
        )
        self._closing = False
        self._printed: Awaitable[None] | None = None
        self._reading = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        """Send each line the user enters, until the session is over."""
        while not self._closing:
            text = await self.prompt.prompt_async()
            if not self.closing():
                self.client.send_line(strip_controls(text))

    def closing(self) -> bool:
        """Whether the session is over (the prompt was ended by ``close``)."""
        return self._closing

    def show(self, line: str) -> None:
        """Print a server line above the prompt, which is drawn again below it."""
        output = self.prompt.output
        text = displayable(line) + "\r\n"

        def write() -> None:
            output.write_raw(text)
            output.flush()

        self._printed = run_in_terminal(write)

    def close(self) -> defer.Deferred[None]:
        """Print what is left; leave the text being typed, if any, on screen."""
        done = defer.Deferred.fromFuture(asyncio.ensure_future(self._close()))
        return bounded(self.clock, done, self.FLUSH_TIMEOUT)

    async def _close(self) -> None:
        self._closing = True
        if self._printed is not None:
            with contextlib.suppress(Exception):
                await self._printed
        app = self.prompt.app
        app.erase_when_done = not app.current_buffer.text
        if app.is_running:
            app.exit(result="")
        else:
            self._reading.cancel()
        with contextlib.suppress(BaseException):
            await self._reading


def start_terminal(reactor: IReactorTime, client: Session) -> Front:
    """Run the line editor on the terminal (the asyncio reactor must be running)."""
    return TerminalFront(client, reactor)


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """
    Raw input (every key at once, Ctrl-C as a key, no echo) even between two
    prompts, with output still turning ``\\n`` into ``\\r\\n``; the old mode
    comes back on every way out.
    """
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    mode = termios.tcgetattr(fd)
    mode[tty.OFLAG] |= termios.OPOST | termios.ONLCR
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
        for descriptor in (0, 1, 2):
            with contextlib.suppress(OSError):
                os.set_blocking(descriptor, True)

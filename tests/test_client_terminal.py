"""
Tests for ``chat.client.terminal``: what it prints of a server line, and its
own keys, on a prompt fed from a pipe (the screen itself is in
``test_client_terminal_e2e``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from chat.client.terminal import PROMPT, chat_keys, displayable


@pytest.fixture(autouse=True)
def _keep_signal_wakeup_fd() -> Iterator[None]:
    """
    Each ``asyncio.run`` here takes the process's signal wakeup fd for its
    loop (``prompt_toolkit`` watches SIGWINCH) and resets it when the loop
    closes; the Twisted reactor that later tests share needs its own back,
    or it never hears that a child process ended.
    """
    saved = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(saved)
    yield
    signal.set_wakeup_fd(saved)


class Recorder:
    """A session that remembers what the front end asked of it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.quits = 0

    def send_line(self, text: str) -> None:
        self.sent.append(text)

    def quit(self) -> None:
        self.quits += 1


def enter(keys: str, client: Recorder) -> str:
    """The line the prompt returns after ``keys`` (which must end it)."""

    async def prompt() -> str:
        with create_pipe_input() as pipe:
            session: PromptSession[str] = PromptSession(
                PROMPT, key_bindings=chat_keys(client), input=pipe, output=DummyOutput()
            )
            pipe.send_text(keys)
            return await session.prompt_async()

    return asyncio.run(prompt())


def test_displayable_neutralises() -> None:
    """Escape, control, bidi override and zero-width space characters go; ZWNJ stays."""
    line = "ali: \x1b[2J\x07\u202egnp.exe\u202c \u200bhi \u0645\u06cc\u200c\u0631\u0648\u0645"
    assert displayable(line) == "ali: [2Jgnp.exe hi \u0645\u06cc\u200c\u0631\u0648\u0645"


def test_ctrl_d_on_empty_line_quits() -> None:
    """Ctrl-D on an empty line leaves with /quit."""
    client = Recorder()
    assert enter("\x04\r", client) == ""
    assert client.quits == 1


def test_ctrl_d_with_text_deletes() -> None:
    """Ctrl-D with text on the line deletes the character under the cursor."""
    client = Recorder()
    assert enter("ab\x01\x04\r", client) == "b"
    assert client.quits == 0


def test_ctrl_c_quits() -> None:
    """Ctrl-C leaves with /quit whatever is typed."""
    client = Recorder()
    enter("half\x03\r", client)
    assert client.quits == 1


def test_control_keys_insert_nothing() -> None:
    """Quoted insert and Ctrl-Z put no control character in the line."""
    assert enter("a\x11\x07b\x1ac\r", Recorder()) == "abc"


def test_paste_is_one_clean_line() -> None:
    """Pasted lines join with spaces, and control characters in them go."""
    pasted = "\x1b[200~one\ntwo\x07\r\nthree\x1b[201~\r"
    assert enter(pasted, Recorder()) == "one two three"

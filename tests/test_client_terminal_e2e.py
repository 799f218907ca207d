"""
End to end: ``chatroom-client`` in a terminal (a pty, seen through a pyte
screen of 80 x 24) against a real ``twistd -n chatroom`` or a scripted
server: what a person sees while lines arrive and they type.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
from collections.abc import Iterator

import pytest

from tests.screen import BACKSPACE, CTRL_A, CTRL_L, ENTER, LEFT, UP, Terminal
from tests.wire import WAIT, Daemon, Peer, running_daemon

_names = (f"soheil{number}" for number in itertools.count())


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    with running_daemon() as running:
        yield running


@pytest.fixture
def ali(daemon: Daemon) -> Iterator[Peer]:
    peer = daemon.connect()
    peer.register("ali")
    yield peer
    peer.close()


def join(daemon: Daemon, ali: Peer, columns: int = 80) -> tuple[Terminal, str]:
    """The client in a terminal, registered under a fresh name that ``ali`` saw join."""
    name = next(_names)
    terminal = Terminal("--name", name, daemon.host, str(daemon.port), columns=columns)
    terminal.until_shown("online (")
    assert ali.line() == f"{name} is joined to the chatroom!"
    return terminal, name


def say(ali: Peer, terminal: Terminal, *texts: str) -> None:
    """``ali`` says each text; wait until the last one is on the screen."""
    for text in texts:
        ali.send(text)
    terminal.until_shown(f"ali: {texts[-1]}")
    terminal.settle()


def prompt_rows(terminal: Terminal) -> list[str]:
    """The rows from the last one that starts with the prompt to the end."""
    rows = terminal.rows()
    starts = [number for number, row in enumerate(rows) if row.startswith(">")]
    return rows[starts[-1] :] if starts else []


@pytest.fixture
def terminal_and_name(daemon: Daemon, ali: Peer) -> Iterator[tuple[Terminal, str]]:
    terminal, name = join(daemon, ali)
    yield terminal, name
    terminal.close()


@contextlib.contextmanager
def scripted_server() -> Iterator[tuple[Terminal, socket.socket]]:
    """The client in a terminal, connected to a bare socket that the test writes to."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(WAIT)
        terminal = Terminal("127.0.0.1", str(listener.getsockname()[1]))
        try:
            server, _ = listener.accept()
            with server:
                yield terminal, server
        finally:
            terminal.close()


def test_line_as_wide_as_the_terminal(terminal_and_name: tuple[Terminal, str], ali: Peer) -> None:
    """With a typed line exactly the terminal's width, every arriving line stays on screen."""
    terminal, name = terminal_and_name
    typed = "x" * 78
    terminal.type(typed)
    terminal.until_shown(typed)
    say(ali, terminal, "one", "two", "three")
    rows = terminal.rows()
    assert rows[-4:] == ["ali: one", "ali: two", "ali: three", f"> {typed}"]
    terminal.type(ENTER)
    assert ali.line() == f"{name}: {typed}"


def test_ctrl_l_leaves_no_orphan_prompts(
    terminal_and_name: tuple[Terminal, str], ali: Peer
) -> None:
    """After Ctrl-L, arriving lines leave exactly one prompt row, at the bottom."""
    terminal, _ = terminal_and_name
    terminal.type("abc")
    terminal.type(CTRL_L)
    terminal.until(lambda: terminal.rows() == ["> abc"], "Ctrl-L did not redraw")
    say(ali, terminal, "one", "two")
    assert terminal.rows() == ["ali: one", "ali: two", "> abc"]


def test_control_keys_insert_nothing(terminal_and_name: tuple[Terminal, str], ali: Peer) -> None:
    """Unbound control keys neither show nor are sent; Ctrl-W deletes a word."""
    terminal, name = terminal_and_name
    terminal.type("hello world\x07\x11\x1a\x1c\x1e")
    terminal.type("\x17there")
    terminal.until_shown("> hello there")
    terminal.type(ENTER)
    assert ali.line() == f"{name}: hello there"


def test_persian_with_zwnj(terminal_and_name: tuple[Terminal, str], ali: Peer) -> None:
    """Persian text with a ZWNJ takes its columns; Ctrl-A puts the cursor after the prompt."""
    terminal, name = terminal_and_name
    word = "می\u200cروم"
    terminal.type(word)
    terminal.until_shown("> م")
    terminal.settle()
    row = terminal.cursor()[1]
    assert terminal.cursor() == (7, row)
    terminal.type(CTRL_A)
    terminal.until(lambda: terminal.cursor() == (2, row), "Ctrl-A did not go to column 2")
    say(ali, terminal, "salam")
    assert terminal.cursor() == (2, row + 1)
    terminal.type(ENTER)
    assert ali.line() == f"{name}: {word}"


def test_cjk_wrapping(terminal_and_name: tuple[Terminal, str], ali: Peer) -> None:
    """Wide characters wrap at the terminal's edge and the cursor follows them."""
    terminal, name = terminal_and_name
    typed = "你好世界" * 10
    terminal.type(typed)
    terminal.until_shown("> 你")
    say(ali, terminal, "hi")
    shown = prompt_rows(terminal)
    assert "".join(shown).replace(" ", "") == f">{typed}"
    assert terminal.cursor() == (2, len(terminal.rows()) - 1)
    terminal.type(ENTER)
    assert ali.line() == f"{name}: {typed}"


def test_wrapped_line_edited_while_lines_arrive(
    terminal_and_name: tuple[Terminal, str], ali: Peer
) -> None:
    """A line over three rows is edited across rows while lines arrive; history brings it back."""
    terminal, name = terminal_and_name
    typed = "".join(f"w{number:03d} " for number in range(40)).strip()
    terminal.type(typed)
    terminal.until_shown("w039")
    say(ali, terminal, "first")
    terminal.type(LEFT * 100 + BACKSPACE)
    terminal.type("X")
    say(ali, terminal, "second")
    edited = typed[: len(typed) - 101] + "X" + typed[len(typed) - 100 :]
    rows = prompt_rows(terminal)
    assert len(rows) == 3
    assert "".join(rows) == f"> {edited}"
    assert terminal.rows()[-5:-3] == ["ali: first", "ali: second"]
    terminal.type(ENTER)
    assert ali.line() == f"{name}: {edited}"
    terminal.until(lambda: terminal.rows()[-1] == ">", "no fresh prompt")
    terminal.type(UP)
    terminal.until(lambda: "".join(prompt_rows(terminal)) == f"> {edited}", "no history")
    assert sum(row.startswith("> w000") for row in terminal.rows()) == 2, terminal.rows()


def test_resize(terminal_and_name: tuple[Terminal, str], ali: Peer) -> None:
    """After the window narrows, the typed line wraps at the new width and lines still go above."""
    terminal, name = terminal_and_name
    typed = "abcdefghij" * 6
    terminal.type(typed)
    terminal.until_shown(typed)
    terminal.resize(40, 24)
    say(ali, terminal, "narrow")
    rows = prompt_rows(terminal)
    assert rows == [f"> {typed[:38]}", typed[38:]]
    assert terminal.rows()[-3] == "ali: narrow"
    terminal.type(ENTER)
    assert ali.line() == f"{name}: {typed}"


def test_typed_text_stays_when_the_server_goes() -> None:
    """When the server shuts down, its goodbye shows and the unsent text stays on screen."""
    with running_daemon() as daemon:
        terminal = Terminal("--name", "soheil", daemon.host, str(daemon.port))
        try:
            terminal.until_shown("online (")
            terminal.type("not sent yet")
            terminal.until_shown("> not sent yet")
            daemon.stop()
            assert terminal.wait() == 1
        finally:
            terminal.close()
    rows = terminal.rows()
    assert "Server is shutting down. Goodbye!" in rows
    assert "> not sent yet" in rows
    assert rows[-1] == "chatroom-client: the server closed the connection"


def test_hostile_server_text_neutralised() -> None:
    """Escape sequences and bidi controls from a server are not rendered; unended text shows."""
    with scripted_server() as (terminal, server):
        server.sendall(b"Please enter your name:\r\n")
        terminal.until_shown("Please enter your name:")
        hostile = "a \x1b[2J\x1b]0;title\x07\x1b[31mred \u202egnp.exe\u202c \u200bend"
        server.sendall(f"{hostile}\r\nno line ending".encode())
        terminal.until_shown("no line ending")
        rows = terminal.rows()
        assert rows[:3] == [
            "Please enter your name:",
            "a [2J]0;title[31mred gnp.exe end",
            "no line ending",
        ]
        assert all(cell.fg == "default" for cell in terminal.screen.buffer[1].values())


def test_keys_typed_while_a_line_prints_are_not_echoed() -> None:
    """Keys typed while a server line is being printed show once, in the prompt below it."""
    long_line = "x" * (1250 * 80 + 37)
    with scripted_server() as (terminal, server):
        server.sendall(b"Please enter your name:\r\n")
        terminal.until_shown("Please enter your name:")
        terminal.settle()
        server.sendall(f"{long_line}\r\n".encode())
        # A pty holds some 20 kB: with the first of the line read, the client is still writing it.
        terminal.until_shown("x" * 80)
        terminal.type("abc")
        terminal.until_shown("> abc")
        terminal.settle()
        rows = terminal.rows()
    assert rows[-2:] == ["x" * 37, "> abc"]
    assert rows[:-2] == ["x" * 80] * (len(rows) - 2)

"""
``chatroom-client`` in a terminal emulator: the client runs on a pty, and
what it writes is fed to a ``pyte`` screen, so tests can assert what a
person would see (rows, cursor) instead of the bytes written.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import unicodedata
from collections.abc import Callable

import pyte
from wcwidth import wcwidth

from tests.wire import WAIT, TimedOut, child_environment

CLIENT = [sys.executable, "-c", "from chat.client.main import main; main()"]

CTRL_A = b"\x01"
CTRL_L = b"\x0c"
ENTER = b"\r"
LEFT = b"\x1b[D"
BACKSPACE = b"\x7f"
UP = b"\x1b[A"


class AnsweringScreen(pyte.Screen):
    """A screen that answers the terminal's questions (cursor position) back to the program."""

    def __init__(self, columns: int, lines: int, master: int) -> None:
        super().__init__(columns, lines)
        self.master = master

    def write_process_input(self, data: str) -> None:
        os.write(self.master, data.encode())

    def draw(self, data: str) -> None:
        """
        As a terminal does, a zero-width character that is not a combining
        mark (ZWNJ, ZWJ) joins the cell before it; pyte would stop drawing.
        """
        start = 0
        for index, char in enumerate(data):
            if wcwidth(char) == 0 and not unicodedata.combining(char):
                super().draw(data[start:index])
                start = index + 1
                line = self.buffer[self.cursor.y]
                if self.cursor.x > 0:
                    cell = line[self.cursor.x - 1]
                    line[self.cursor.x - 1] = cell._replace(data=cell.data + char)
        super().draw(data[start:])


class Terminal:
    """The client on a pty of ``columns`` x ``lines``, seen through a pyte screen."""

    def __init__(self, *argv: str, columns: int = 80, lines: int = 24) -> None:
        self.master, slave = os.openpty()
        self._set_size(slave, columns, lines)
        env = child_environment()
        env["TERM"] = "xterm"
        self.process = subprocess.Popen(
            [*CLIENT, *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = AnsweringScreen(columns, lines, self.master)
        self.stream = pyte.ByteStream(self.screen)
        self.closed = False
        self.stream_fed = 0

    @staticmethod
    def _set_size(fd: int, columns: int, lines: int) -> None:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

    def resize(self, columns: int, lines: int) -> None:
        """Change the window size, as a terminal emulator does, and say so with SIGWINCH."""
        self._set_size(self.master, columns, lines)
        self.screen.resize(lines, columns)
        self.process.send_signal(signal.SIGWINCH)

    def type(self, keys: str | bytes) -> None:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def _pump(self, deadline: float) -> None:
        """Feed the screen whatever the client wrote, waiting at most until ``deadline``."""
        if self.closed:
            return
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError as problem:
            if problem.errno != errno.EIO:
                raise
            data = b""
        if data:
            self.stream_fed += len(data)
            self.stream.feed(data)
        else:
            self.closed = True

    def until(self, check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Read until ``check()`` holds on the screen; fail, showing it, after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not check():
            if self.closed or time.monotonic() >= deadline:
                raise TimedOut(f"{what}; the screen shows:\n" + "\n".join(self.rows()))
            self._pump(deadline)

    def until_shown(self, text: str, timeout: float = WAIT) -> None:
        self.until(lambda: any(text in row for row in self.rows()), f"no {text!r}", timeout)

    def settle(self, timeout: float = WAIT) -> None:
        """Read until the client has written nothing for a moment (redraws done)."""
        end = time.monotonic() + timeout
        quiet_until = time.monotonic() + 0.3
        while not self.closed and time.monotonic() < min(quiet_until, end):
            before = self.stream_fed
            self._pump(min(quiet_until, end))
            if self.stream_fed != before:
                quiet_until = time.monotonic() + 0.3

    def rows(self) -> list[str]:
        """The screen's rows, without trailing blanks, down to the last one with text."""
        rows = [row.rstrip() for row in self.screen.display]
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def cursor(self) -> tuple[int, int]:
        return self.screen.cursor.x, self.screen.cursor.y

    def wait(self, timeout: float = WAIT) -> int:
        """The client's exit status, once it closed the terminal, with all it wrote read."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._pump(deadline)
        return self.process.wait(max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)

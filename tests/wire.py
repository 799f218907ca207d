"""
Blocking helpers for the end-to-end tests: a real ``twistd`` child process
and plain socket clients, each wait bounded by a deadline.

They live in the test process only; the daemon never blocks.
``tests/wire_reactor.py`` has the reactor-driven counterparts, for tests that
must keep reading many connections at once.
"""

from __future__ import annotations

import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAIT = 10.0
RUNNING = "Server is Running and waiting for connections..."
LISTENING = re.compile(r"Listening on (?P<host>[^ ]+):(?P<port>\d+) ")


class TimedOut(AssertionError):
    """A line we waited for did not come in time."""


class LineReader:
    """Splits what arrives on a file descriptor into lines, with deadlines."""

    def __init__(self, fd: int, ending: bytes) -> None:
        self.fd = fd
        self.ending = ending
        self.buffer = b""
        self.closed = False
        self.seen: list[str] = []

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut(f"nothing more arrived; so far: {self.seen!r}")
        ready, _, _ = select.select([self.fd], [], [], remaining)
        if not ready:
            raise TimedOut(f"nothing more arrived; so far: {self.seen!r}")
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
        self.buffer += chunk

    def line(self, timeout: float = WAIT) -> str | None:
        """The next line, or None once the other side has closed."""
        deadline = time.monotonic() + timeout
        while self.ending not in self.buffer:
            if self.closed:
                return None
            self._fill(deadline)
        raw, self.buffer = self.buffer.split(self.ending, 1)
        text = raw.decode("utf-8", "replace")
        self.seen.append(text)
        return text

    def until(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        """Read lines until one matches ``pattern`` (a regular expression)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.line(max(deadline - time.monotonic(), 0.001))
            if text is None:
                raise TimedOut(f"closed before {pattern!r}; saw {self.seen!r}")
            found = re.search(pattern, text)
            if found:
                return found

    def until_closed(self, timeout: float = WAIT) -> list[str]:
        """Every line left before the other side closes."""
        deadline = time.monotonic() + timeout
        lines = []
        while (text := self.line(max(deadline - time.monotonic(), 0.001))) is not None:
            lines.append(text)
        return lines


class Daemon:
    """A running ``twistd -n chatroom`` and its log, read by blocking waits."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        assert process.stdout is not None
        self.log = LineReader(process.stdout.fileno(), b"\n")
        self.host = "127.0.0.1"
        self.port = 0

    def wait_running(self) -> None:
        found = self.log.until(LISTENING.pattern)
        self.host, self.port = found["host"], int(found["port"])
        self.log.until(re.escape(RUNNING))

    def connect(self) -> Peer:
        return Peer(socket.create_connection((self.host, self.port), timeout=WAIT))

    def feed(self, peer: Peer, data: bytes, timeout: float = WAIT) -> None:
        """
        Send a lot to the daemon while reading its log, so that neither side
        blocks on a full pipe (every message is a log line).
        """
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        peer.sock.setblocking(False)
        try:
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimedOut(f"could not send {len(view)} more bytes")
                readable, writable, _ = select.select([self.log.fd], [peer.sock], [], remaining)
                if readable:
                    self.log.buffer += os.read(self.log.fd, 1 << 20)
                if writable:
                    view = view[peer.sock.send(view[: 1 << 16]) :]
        finally:
            peer.sock.settimeout(WAIT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = WAIT) -> int:
        """Signal the daemon and wait for it to end, reading its log meanwhile."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        deadline = time.monotonic() + timeout
        try:
            while not self.log.closed and time.monotonic() < deadline:
                readable, _, _ = select.select([self.log.fd], [], [], deadline - time.monotonic())
                if readable:
                    chunk = os.read(self.log.fd, 1 << 20)
                    self.log.buffer += chunk
                    self.log.closed = not chunk
            return self.process.wait(max(deadline - time.monotonic(), 0.1))
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def twistd_command(*args: str) -> list[str]:
    """``twistd ARGS`` run by this interpreter."""
    return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", *args]


def run_twistd(
    *arguments: str, cwd: str | Path, timeout: float = WAIT * 2
) -> subprocess.CompletedProcess[str]:
    """``twistd ARGS`` run to its end, its output captured."""
    return subprocess.run(
        twistd_command(*arguments),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=child_environment(),
    )


def child_environment() -> dict[str, str]:
    """The test's environment, with this checkout first on ``sys.path``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def running_daemon(
    *options: str, cwd: str | Path | None = None, open_files: int | None = None
) -> Iterator[Daemon]:
    """
    ``twistd -n chatroom OPTIONS`` on a free loopback port, up and listening;
    with ``open_files``, under that limit (soft and hard) on open files.

    Without a ``--port`` among the options it listens on
    ``tcp:0:interface=127.0.0.1`` and learns the port from its log.
    """

    def limit_open_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    if "--port" not in options:
        options = ("--port", "tcp:0:interface=127.0.0.1", *options)
    process = subprocess.Popen(
        twistd_command("-n", "--pidfile=", "chatroom", *options),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd or ROOT,
        env=child_environment(),
        preexec_fn=limit_open_files,
    )
    assert process.stdout is not None  # a pipe, as asked
    daemon = Daemon(process)
    try:
        daemon.wait_running()
        yield daemon
    finally:
        daemon.stop()
        process.stdout.close()


class Peer:
    """A plain TCP chat client, as netcat would be."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = LineReader(sock.fileno(), b"\r\n")

    def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            data = (data + "\n").encode("utf-8")
        self.sock.sendall(data)

    def line(self, timeout: float = WAIT) -> str | None:
        return self.reader.line(timeout)

    def lines(self, count: int, timeout: float = WAIT) -> list[str | None]:
        return [self.reader.line(timeout) for _ in range(count)]

    def register(self, name: str) -> list[str]:
        """Answer the prompt; return what the server says up to the online list."""
        assert self.line() == "Please enter your name:"
        self.send(name)
        received: list[str] = []
        while True:
            text = self.line()
            assert text is not None, f"closed while registering; saw {received!r}"
            received.append(text)
            if text.startswith(("online (", "error: ")):
                return received

    def close(self) -> None:
        self.sock.close()


def run_client(
    *argv: str, stdin: bytes = b"", timeout: float = WAIT
) -> subprocess.CompletedProcess[bytes]:
    """``chatroom-client`` with ``stdin`` as its whole input, waited for (bounded)."""
    return subprocess.run(
        [sys.executable, "-c", "from chat.client.main import main; main()", *argv],
        input=stdin,
        capture_output=True,
        env=child_environment(),
        timeout=timeout,
    )

"""
A real ``redis-server`` for the tests: started in a temporary directory with
persistence off, on a unix socket, and stopped at the end (``redis`` fixture,
one per test session). Tests that need no Redis never start it; without
``redis-server`` installed they are skipped (``.ci/run`` installs it).

Each test gets a key prefix of its own (``redis_prefix``), so no test sees
another's room; ``two_daemons`` is that room served by two daemons in this
process (tests/engines.py).
"""

from __future__ import annotations

import itertools
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_twisted

from tests.wire import LineReader

if TYPE_CHECKING:
    from tests.engines import OneRoom

READY = "(?i)ready to accept connections"
_prefixes = itertools.count()


class RedisServer:
    """One redis-server process; ``stop`` and ``start`` again keep its socket path."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", "0", "--unixsocket", str(self.socket)),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        try:
            LineReader(self.process.stdout.fileno(), b"\n").until(READY)
        except BaseException:
            self.stop()  # not left running if it never said it was ready
            raise

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop it at once (SIGKILL: as a crash, nothing saved)."""
        if self.process is not None:
            self.process.send_signal(sig)
            self.process.wait(10)
            assert self.process.stdout is not None
            self.process.stdout.close()
            self.process = None

    def command(self, *words: str) -> bytes:
        """One command over a plain socket, as redis-cli would send it; its raw answer."""
        request = f"*{len(words)}\r\n".encode() + b"".join(
            f"${len(word.encode())}\r\n{word}\r\n".encode() for word in words
        )
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(10)
            connection.connect(str(self.socket))
            connection.sendall(request)
            return connection.recv(65536)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop(signal.SIGTERM)


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The shared redis-server, running again after a test that stopped it."""
    if redis_server.process is None:
        redis_server.start()
    yield redis_server
    if redis_server.process is None:
        redis_server.start()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses: a room of the test's own."""
    return f"test{next(_prefixes)}"


@pytest_twisted.async_yield_fixture
async def two_daemons(redis: RedisServer, redis_prefix: str) -> AsyncIterator[OneRoom]:
    """Two daemons in this process on one Redis, serving the test's room."""
    from tests.engines import OneRoom  # the Redis engine, only for the tests that use it

    one = await OneRoom.on_redis(redis.url, redis_prefix, rate=0)
    yield one
    one.stop()

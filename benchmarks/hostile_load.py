"""
Raw non-blocking client sockets on one epoll loop, for ``benchmarks/hostile.py``.

A benchmark client has to cost less than the server it measures: one
``recv`` per readable event, no framework, and what a client does with the
bytes after its registration is one function the scenario gives it.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import time
from collections.abc import Callable, Sequence

HOST = "127.0.0.1"
PROMPT = b"Please enter your name:"
ONLINE = b"online ("
RECV_SIZE = 1 << 18
# Level-triggered: a readable client is read once per loop iteration.
READ = select.EPOLLIN | select.EPOLLRDHUP
WRITE = select.EPOLLOUT
GONE = select.EPOLLHUP | select.EPOLLERR | select.EPOLLRDHUP
LINGER_RESET = struct.pack("ii", 1, 0)
# Writes of a flood per writable event, so that one flood can't stall the loop.
STREAM_WRITES = 4


class Loop:
    """One epoll for every client."""

    def __init__(self) -> None:
        self.poller = select.epoll()
        self.clients: dict[int, Client] = {}

    def add(self, client: Client, mask: int) -> None:
        self.clients[client.fd] = client
        self.poller.register(client.fd, mask)

    def modify(self, client: Client, mask: int) -> None:
        self.poller.modify(client.fd, mask)

    def remove(self, client: Client) -> None:
        if self.clients.pop(client.fd, None) is not None:
            self.poller.unregister(client.fd)

    def run(
        self,
        done: Callable[[], bool],
        timeout: float,
        every: Callable[[], None] | None = None,
        interval: float = 0.01,
    ) -> bool:
        """
        Dispatch events until ``done()`` (True) or ``timeout`` seconds (False);
        ``every()`` runs after each poll, at least every ``interval`` seconds.
        """
        deadline = time.monotonic() + timeout
        clients = self.clients
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for fd, events in self.poller.poll(min(interval, remaining), 4096):
                client = clients.get(fd)
                if client is not None:
                    client.on_event(events)
            if every is not None:
                every()
        return True

    def close(self) -> None:
        for client in list(self.clients.values()):
            client.close()
        self.poller.close()


class Client:
    """
    One connection from 127.0.0.1: registers as ``name``, then hands every
    chunk it reads to ``on_data`` (or stops reading, with ``reading`` off).
    """

    def __init__(
        self,
        loop: Loop,
        port: int,
        name: str,
        on_data: Callable[[Client, bytes], None] | None = None,
        rcvbuf: int | None = None,
        then: bytes = b"",
    ) -> None:
        self.loop = loop
        self.name = name
        self.on_data = on_data
        self.then = then  # sent right after the name, in the same write
        self.reset = False  # close by RST once the server has closed
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connecting, so that the window it offers is small too.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fd = self.sock.fileno()
        self.connecting = True
        self.registered = False
        self.reading = True
        self.closed = False
        self.error: str | None = None  # why it closed, if it did
        self.buffer = b""
        self.out = bytearray()
        self.stream: bytes | None = None  # written for ever while writable
        self.received = 0
        self.sent_bytes = 0
        code = self.sock.connect_ex((HOST, port))
        if code not in (0, errno.EINPROGRESS):
            self._lost(f"connect: {errno.errorcode.get(code, code)}")
            return
        loop.add(self, READ | WRITE)

    # Events.

    def on_event(self, events: int) -> None:
        if not self.closed and events & WRITE:
            self._writable()
        if self.closed:  # before, or closed by _writable
            return
        if self.reading and events & (select.EPOLLIN | GONE):
            self._readable()
        elif events & GONE:
            self._lost("closed by the server")

    def _writable(self) -> None:
        if self.connecting:
            code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                self._lost(f"connect: {errno.errorcode.get(code, code)}")
                return
            self.connecting = False
        self._flush()

    def _readable(self) -> None:
        try:
            data = self.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError as problem:
            self._lost(f"recv: {problem}")
            return
        if not data:
            self._lost("closed by the server")
            return
        self.received += len(data)
        if self.registered:
            if self.on_data is not None:
                self.on_data(self, data)
        else:
            self._register(data)

    def _register(self, data: bytes) -> None:
        """Answer the prompt; registered at the online line."""
        self.buffer += data
        while not self.registered:
            if self.buffer.startswith(PROMPT):
                self.buffer = self.buffer[len(PROMPT) :].lstrip(b"\r\n")
                self.send(self.name.encode() + b"\n" + self.then)
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                return
            line = self.buffer[:end].rstrip(b"\r")
            self.buffer = self.buffer[end + 1 :]
            if line.startswith(b"error: "):
                self._lost(line.decode("utf-8", "replace"))
                return
            if line.startswith(ONLINE):
                self.registered = True
                rest, self.buffer = self.buffer, b""
                if rest and self.on_data is not None:
                    self.on_data(self, rest)

    # What a scenario does with it.

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        self.out += data
        if not self.connecting:
            self._flush()

    def flood(self, chunk: bytes) -> None:
        """Write ``chunk`` again and again, as fast as the server takes it."""
        self.stream = chunk
        self._flush()

    def stop_reading(self) -> None:
        """Read nothing more; a close by the server is still seen."""
        self.reading = False
        self._watch()

    def _flush(self) -> None:
        try:
            while self.out:
                sent = self.sock.send(self.out)
                del self.out[:sent]
                self.sent_bytes += sent
            stream = self.stream
            if stream is not None:
                for _ in range(STREAM_WRITES):
                    self.sent_bytes += self.sock.send(stream)
        except BlockingIOError:
            pass
        except OSError as problem:
            self._lost(f"send: {problem}")
            return
        self._watch()

    def _watch(self) -> None:
        if self.closed:
            return
        mask = (READ if self.reading else select.EPOLLRDHUP) | (
            WRITE if self.connecting or self.out or self.stream is not None else 0
        )
        self.loop.modify(self, mask)

    def _lost(self, why: str) -> None:
        if self.error is None:
            self.error = why
        self.close(self.reset)

    def close(self, reset: bool = False) -> None:
        """Close; with ``reset``, by RST, so that no TIME_WAIT is left behind."""
        if self.closed:
            return
        self.closed = True
        self.loop.remove(self)
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        self.sock.close()


def connect_all(
    loop: Loop,
    port: int,
    names: Sequence[str],
    make: Callable[[str], Client] | None = None,
    concurrency: int = 50,
    timeout: float = 120.0,
) -> list[Client]:
    """
    Connect and register a client for each name, ``concurrency`` at a time
    (so that no listen backlog overflows). Raises RuntimeError with the
    first refusal or failure.
    """
    build = make or (lambda name: Client(loop, port, name))
    clients: list[Client] = []
    pending = iter(names)
    busy: list[Client] = []

    def top_up() -> None:
        for client in busy:
            if client.closed and not client.registered:
                raise RuntimeError(f"{client.name}: {client.error}")
        busy[:] = [c for c in busy if not c.registered]
        while len(busy) < concurrency:
            name = next(pending, None)
            if name is None:
                return
            client = build(name)
            clients.append(client)
            busy.append(client)

    top_up()
    if not loop.run(lambda: len(clients) == len(names) and not busy, timeout, top_up):
        raise RuntimeError(f"{sum(c.registered for c in clients)}/{len(names)} registered")
    return clients

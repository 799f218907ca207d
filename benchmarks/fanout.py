"""
What one line costs per receiver, and how much of it is the kernel's:

    taskset -c 0 python benchmarks/fanout.py --clients 200

The daemon's real factory, room and protocols, over Twisted's real TCP
transport on real loopback connections, in this one process: no reactor
runs (the transports get a ``MemoryReactor``), so a turn's delivery is
timed alone, the clients' sockets emptied between turns. One client says a
line, the room's flush (``chat.delivery``) writes it to every other client,
and every transport that was left bytes to write writes them, as the
reactor's next turn would (without its ``epoll_ctl`` calls, which this
leaves out). Beside it, the same line sent by a bare ``socket.send`` loop to the
same sockets: the part no Python can save.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.tcp import Server
from twisted.internet.testing import MemoryReactor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat.factory import ChatFactory
from chat.limits import Limits
from chat.protocol import ChatProtocol
from chat.room import Room

LINE = b"hello everyone, this is a line of about sixty four bytes.......\n"


class Crowd:
    """``clients`` chat protocols on real TCP transports, every one joined."""

    def __init__(self, clients: int) -> None:
        clock = Clock()
        limits = Limits(rate=0, max_per_ip=0, connect_burst=0)
        self.room = Room(clock, limits.history)
        factory = ChatFactory(self.room, limits, clock)
        self.reactor = reactor = MemoryReactor()
        self.readers: list[socket.socket] = []
        self.protocols: list[ChatProtocol] = []
        with socket.create_server(("127.0.0.1", 0)) as listener:
            for n in range(clients):
                reader = socket.create_connection(listener.getsockname())
                reader.setblocking(False)
                accepted, (host, port) = listener.accept()
                protocol = factory.buildProtocol(IPv4Address("TCP", host, port))
                assert isinstance(protocol, ChatProtocol)
                protocol.makeConnection(Server(accepted, protocol, (host, port), None, n, reactor))  # type: ignore[arg-type]
                protocol.dataReceived(f"user{n}\n".encode())
                self.room.flush()
                self.readers.append(reader)
                self.protocols.append(protocol)
        self.drain()

    def drain(self) -> None:
        for reader in self.readers:
            try:
                while reader.recv(1 << 20):
                    pass
            except BlockingIOError:
                pass


def median_seconds(turns: int, crowd: Crowd, turn: Callable[[], object]) -> float:
    """The median time of ``turn``, the readers emptied after each."""
    times = []
    for _ in range(turns):
        start = time.perf_counter()
        turn()
        times.append(time.perf_counter() - start)
        crowd.drain()
    return sorted(times)[len(times) // 2]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--turns", type=int, default=500)
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    crowd = Crowd(options.clients)
    sender = crowd.protocols[0]
    receivers = options.clients - 1

    def turn() -> None:
        sender.dataReceived(LINE)
        crowd.room.flush()
        for writer in crowd.reactor.getWriters():
            writer.doWrite()

    line = b"user0: " + LINE.rstrip(b"\n") + b"\r\n"
    sockets = [protocol.transport.socket for protocol in crowd.protocols[1:]]  # type: ignore[attr-defined]

    def bare() -> None:
        for sock in sockets:
            sock.send(line)

    daemon = median_seconds(options.turns, crowd, turn)
    kernel = median_seconds(options.turns, crowd, bare)
    print(f"| what | one turn, {receivers} receivers | per receiver |")
    print("|---|---:|---:|")
    print(f"| the daemon's delivery | {daemon * 1e6:,.0f} µs | {daemon * 1e6 / receivers:.2f} µs |")
    print(f"| `socket.send` alone | {kernel * 1e6:,.0f} µs | {kernel * 1e6 / receivers:.2f} µs |")


if __name__ == "__main__":
    main()

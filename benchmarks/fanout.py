"""
What one line costs per receiver, and how much of it is the kernel's:

    taskset -c 0 python benchmarks/fanout.py --clients 200
    taskset -c 0 python benchmarks/fanout.py --clients 200 --turns 300 --pace 0.02

The daemon's real factory, room and protocols, over Twisted's real TCP
transport on real loopback connections, in this one process: no reactor
runs (the transports get a ``MemoryReactor``), so a turn's delivery is
timed alone, the clients' sockets emptied between turns. One client says a
line, the room's flush (``chat.delivery``) writes it to every other client,
and every transport that was left bytes to write writes them, as the
reactor's next turn would (without its ``epoll_ctl`` calls, which this
leaves out). Beside it, turn for turn, the same line sent by a bare
``socket.send`` loop to the same sockets: the part no Python can save.
With ``--pace``, the turns are that many seconds apart, as lines are at a
chat's pace, and find the code and data gone cold as the daemon does.
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


def side_by_side(
    turns: int,
    crowd: Crowd,
    timed: Sequence[tuple[Callable[[], object], Callable[[], object]]],
    pace: float,
) -> list[list[float]]:
    """
    The times of each ``(prepare, turn)``, taken in turn, the readers
    emptied after each and ``pace`` seconds apart: the machine's moods
    (another guest on the host, the CPU's clock) fall on all of them alike.
    """
    times: list[list[float]] = [[] for _ in timed]
    for _ in range(turns):
        for (prepare, turn), taken in zip(timed, times, strict=True):
            prepare()
            start = time.perf_counter()
            turn()
            taken.append(time.perf_counter() - start)
            crowd.drain()
            if pace:
                time.sleep(pace)
    return times


def median(values: Sequence[float]) -> float:
    return sorted(values)[len(values) // 2]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="seconds idle between turns, as between lines at a chat's pace (0.02: 50 msg/s)",
    )
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    crowd = Crowd(options.clients)
    sender = crowd.protocols[0]
    receivers = options.clients - 1

    def say() -> None:
        crowd.room.flush()  # the last turn's log line, out of the timing
        sender.dataReceived(LINE)

    def deliver() -> None:
        crowd.room._deliver_queued()  # the delivery alone: the log line comes after it
        for writer in crowd.reactor.getWriters():
            writer.doWrite()

    line = b"user0: " + LINE.rstrip(b"\n") + b"\r\n"
    sockets = [protocol.transport.socket for protocol in crowd.protocols[1:]]  # type: ignore[attr-defined]

    def bare() -> None:
        for sock in sockets:
            sock.send(line)

    daemon, kernel = side_by_side(
        options.turns, crowd, [(say, deliver), (lambda: None, bare)], options.pace
    )
    python = median([ours - theirs for ours, theirs in zip(daemon, kernel, strict=True)])
    print(f"| what | one turn, {receivers} receivers | per receiver |")
    print("|---|---:|---:|")
    for name, value in [
        ("the daemon's delivery", median(daemon)),
        ("`socket.send` alone", median(kernel)),
        ("the difference (median of each pair)", python),
    ]:
        print(f"| {name} | {value * 1e6:,.0f} µs | {value * 1e6 / receivers:.2f} µs |")


if __name__ == "__main__":
    main()

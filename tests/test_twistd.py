"""
End to end: a real ``twistd -n chatroom`` over real sockets (docs/protocol.md
§1-§6, and the log and usage the README shows). The classic story: soheil,
ali and hasan connect, chat, leave.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from twisted.copyright import version as twisted_version

from chat import __version__
from tests.wire import (
    RUNNING,
    WAIT,
    Peer,
    run_twistd,
    running_daemon,
)

FULL = "error: the server is full, please try again later"


def test_three_friends_chat() -> None:
    """Every line each friend sees, and every line in the log, is the spec's."""
    with running_daemon() as daemon:
        soheil = daemon.connect()
        assert soheil.register("soheil") == [
            "Chat with your friends and enjoy",
            "online (1): soheil",
        ]
        daemon.log.until(r"soheil is joined to the chatroom!$")
        ali = daemon.connect()
        assert ali.register("ali") == [
            "Chat with your friends and enjoy",
            "online (2): ali, soheil",
        ]
        assert soheil.line() == "ali is joined to the chatroom!"
        ali.send("hi soheil im ali")
        assert soheil.line() == "ali: hi soheil im ali"
        daemon.log.until(r"ali said hi soheil im ali$")

        hasan = daemon.connect()
        welcome = hasan.register("hasan")
        assert welcome[0] == "Chat with your friends and enjoy"
        assert re.fullmatch(r"\[\d\d:\d\d\] ali: hi soheil im ali", welcome[1])
        assert welcome[2] == "online (3): ali, hasan, soheil"
        assert soheil.line() == ali.line() == "hasan is joined to the chatroom!"

        soheil.send("hello this is soheil")
        assert ali.line() == hasan.line() == "soheil: hello this is soheil"
        daemon.log.until(r"soheil said hello this is soheil$")

        soheil.send("/quit")
        assert soheil.reader.until_closed() == ["Goodbye, soheil!"]
        assert ali.line() == hasan.line() == "soheil has left the chatroom!"
        daemon.log.until(r"soheil has left the chatroom!$")

        hasan.close()
        assert ali.line() == "hasan has left the chatroom!"
        ali.send("/who")
        assert ali.line() == "online (1): ali"
        # The sender got no echo of anything it said.
        assert all("ali:" not in line for line in ali.reader.seen)


def test_telnet_style_client() -> None:
    """CRLF input and telnet negotiation work as from telnet itself."""
    with running_daemon() as daemon:
        ali = daemon.connect()
        ali.register("ali")
        telnet = daemon.connect()
        assert telnet.line() == "Please enter your name:"
        telnet.send(b"\xff\xfd\x03\xff\xfb\x18soheil\r\n")
        assert telnet.line() == "Chat with your friends and enjoy"
        assert ali.line() == "soheil is joined to the chatroom!"
        telnet.send(b"salam\r\n")
        assert ali.line() == "soheil: salam"


def test_course_client_never_ends_a_line() -> None:
    """
    The course's own client sends the name and each message with one send()
    and no line ending: it joins, chats both ways with an nc-style client,
    and leaves, with exactly the lines of any other client.
    """
    with running_daemon() as daemon:
        ali = daemon.connect()
        ali.register("ali")
        course = daemon.connect()
        assert course.line() == "Please enter your name:"
        course.send(b"soheil")
        assert course.lines(2) == ["Chat with your friends and enjoy", "online (2): ali, soheil"]
        assert ali.line() == "soheil is joined to the chatroom!"
        course.send(b"hello this is soheil")
        assert ali.line() == "soheil: hello this is soheil"
        ali.send("hi soheil im ali")
        assert course.line() == "ali: hi soheil im ali"
        course.send(b"/quit")
        assert course.reader.until_closed() == ["Goodbye, soheil!"]
        assert ali.line() == "soheil has left the chatroom!"
        daemon.log.until(r"soheil said hello this is soheil$")


def test_telnet_character_mode() -> None:
    """Telnet in character mode sends each key as it is typed and Enter as CR NUL."""
    with running_daemon() as daemon:
        ali = daemon.connect()
        ali.register("ali")
        telnet = daemon.connect()
        assert telnet.line() == "Please enter your name:"
        telnet.send(b"\xff\xfd\x03")
        for key in b"soheil\r\x00salam\r\x00":
            telnet.send(bytes([key]))
        assert telnet.lines(2) == ["Chat with your friends and enjoy", "online (2): ali, soheil"]
        assert ali.lines(2) == ["soheil is joined to the chatroom!", "soheil: salam"]


def test_one_host_looping_join_and_quit() -> None:
    """
    One host connecting, naming itself and quitting over and over is
    announced --connect-burst times; then it is refused, and the log says so
    once with a count rather than once a connection.
    """
    with running_daemon("--connect-burst", "5", "--connect-rate", "1") as daemon:
        ali = daemon.connect()
        ali.register("ali")
        refused = 0
        for n in range(30):
            looper = daemon.connect()
            first = looper.line()
            if first != "Please enter your name:":
                assert first == (
                    "error: too many new connections from your address, try again in a minute"
                )
                assert looper.line() is None
                refused += 1
                continue
            looper.send(f"bot{n}\n/quit")
            assert looper.reader.until_closed()[-1] == f"Goodbye, bot{n}!"
        assert refused == 26
        ali.send("/who")
        ali.reader.until(r"^online \(1\): ali$")
        joins = [line for line in ali.reader.seen if line.endswith(" is joined to the chatroom!")]
        assert len(joins) == 4
        daemon.log.until(r"connection from 127\.0\.0\.1:\d+ refused: error: too many new")
        daemon.log.until(r"\d+ more connection\(s\) refused in the last second", timeout=3)


CHAT_LINE = re.compile(rb"u\d+: (\d+-\d+) ")


def peak_memory_kib(pid: int) -> tuple[int, int]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def test_everyone_bursting_at_once() -> None:
    """
    K clients each send ten lines of 1,000 bytes at the same moment, all
    reading: every line reaches every other client in order, nobody is
    dropped, and the daemon's memory barely grows (it grew with K²: +18 MB
    at K=50, +367 MB at 200).
    """
    clients, lines = 100, 10
    with running_daemon("--max-per-ip", "0", "--connect-burst", "0") as daemon:
        peers = [daemon.connect() for _ in range(clients)]
        for n, peer in enumerate(peers):
            peer.register(f"u{n}")
        Path(f"/proc/{daemon.process.pid}/clear_refs").write_text("5")  # VmHWM from now
        before, _ = peak_memory_kib(daemon.process.pid)
        for n, peer in enumerate(peers):
            peer.send(b"".join(b"%d-%d " % (n, i) + b"x" * 990 + b"\n" for i in range(lines)))
        owed = lines * (clients - 1)
        got: list[list[bytes]] = [[] for _ in peers]
        by_fd = {peer.sock.fileno(): (peer, mine) for peer, mine in zip(peers, got, strict=True)}
        deadline = time.monotonic() + WAIT * 3
        while any(len(mine) < owed for mine in got):
            assert time.monotonic() < deadline, [len(mine) for mine in got]
            ready, _, _ = select.select([daemon.log.fd, *by_fd], [], [], 1)
            for fd in ready:
                if fd == daemon.log.fd:
                    os.read(fd, 1 << 20)  # keep the log flowing
                    continue
                peer, mine = by_fd[fd]
                peer.reader.buffer += os.read(fd, 1 << 20)
                *complete, peer.reader.buffer = peer.reader.buffer.split(b"\r\n")
                matches = (CHAT_LINE.match(line) for line in complete)
                mine.extend(found[1] for found in matches if found)
        _, peak = peak_memory_kib(daemon.process.pid)
    for n, mine in enumerate(got):
        for sender in range(clients):
            if sender != n:
                said = [word for word in mine if word.startswith(b"%d-" % sender)]
                assert said == [b"%d-%d" % (sender, i) for i in range(lines)]
    assert peak - before < 32 * 1024, f"peak RSS grew by {(peak - before) // 1024} MiB"


def test_half_closed_client_gets_replies() -> None:
    """A client that shuts down its sending side still gets every reply (nc -N)."""
    with running_daemon() as daemon:
        ali = daemon.connect()
        ali.register("ali")
        script = daemon.connect()
        script.send(b"soheil\n/who\nlast line, no newline")
        script.sock.shutdown(socket.SHUT_WR)
        assert script.reader.until_closed() == [
            "Please enter your name:",
            "Chat with your friends and enjoy",
            "online (2): ali, soheil",
            "online (2): ali, soheil",
        ]
        assert ali.lines(3) == [
            "soheil is joined to the chatroom!",
            "soheil: last line, no newline",
            "soheil has left the chatroom!",
        ]


@pytest.fixture
def taken_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def test_port_taken(taken_port: int, tmp_path: Path) -> None:
    """A port that cannot listen: exit non-zero, one line naming it, no traceback."""
    description = f"tcp:{taken_port}:interface=127.0.0.1"
    result = run_twistd("-n", "--pidfile=", "chatroom", "--port", description, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count(f"cannot listen on {description}: Address already in use") == 1
    assert "Traceback" not in output
    assert RUNNING not in output


def test_port_taken_in_background_mode(taken_port: int, tmp_path: Path) -> None:
    """In background mode the launching twistd prints the reason alone and exits 1, not forking."""
    description = f"tcp:{taken_port}:interface=127.0.0.1"
    result = run_twistd(
        "--pidfile", "chatroom.pid", "--logfile", "chatroom.log",
        "chatroom", "--port", description,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"cannot listen on {description}: Address already in use\n"
    assert result.stdout == ""
    assert not (tmp_path / "chatroom.pid").exists()


def test_bad_description(tmp_path: Path) -> None:
    """A description that does not parse: exit non-zero naming it, no traceback."""
    result = run_twistd("-n", "chatroom", "--port", "bogus:1234", cwd=tmp_path)
    assert result.returncode != 0
    assert "bogus:1234" in result.stdout.splitlines()[-1]
    assert "Traceback" not in result.stdout + result.stderr


def test_systemd_port_without_socket_activation(tmp_path: Path) -> None:
    """A systemd: port with no socket passed: exit 1, one line saying what is missing."""
    description = "systemd:domain=INET:index=0"
    result = run_twistd("-n", "--pidfile=", "chatroom", "--port", description, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    reason = "no socket passed by systemd (LISTEN_FDS is not set; start it from a .socket unit)"
    assert output.count(f"cannot listen on {description}: {reason}") == 1
    assert "Traceback" not in output
    assert "index out of range" not in output


def test_version(tmp_path: Path) -> None:
    """twistd chatroom --version prints the chatroom version (and Twisted's)."""
    result = run_twistd("chatroom", "--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"chatroom {__version__} (Twisted {twisted_version})\n"


def test_help_lists_options(tmp_path: Path) -> None:
    """twistd chatroom --help names every option of the spec."""
    result = run_twistd("chatroom", "--help", cwd=tmp_path)
    for option in [
        "--port", "--history", "--max-line-length", "--max-clients", "--max-per-ip",
        "--rate", "--burst", "--max-send-queue", "--registration-timeout", "--idle-timeout",
    ]:  # fmt: skip
        assert option in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown(sig: signal.Signals) -> None:
    """On SIGTERM or SIGINT every client is told, the connections close, the process ends."""
    with running_daemon() as daemon:
        soheil, ali = daemon.connect(), daemon.connect()
        soheil.register("soheil")
        ali.register("ali")
        assert soheil.line() == "ali is joined to the chatroom!"
        waiting = daemon.connect()
        assert waiting.line() == "Please enter your name:"
        started = time.monotonic()
        status = daemon.stop(sig)
        for peer in (soheil, ali, waiting):
            assert peer.reader.until_closed() == ["Server is shutting down. Goodbye!"]
        assert status in (0, -sig)
        assert time.monotonic() - started < 5
        rest = daemon.log.until_closed()
        assert not [line for line in rest if "Traceback" in line or "Unhandled" in line]


def test_sighup_and_sigusr1_do_not_stop() -> None:
    """SIGHUP and SIGUSR1 are logged and leave the foreground daemon serving its clients."""
    with running_daemon() as daemon:
        soheil = daemon.connect()
        soheil.register("soheil")
        daemon.process.send_signal(signal.SIGHUP)
        daemon.log.until(r"SIGHUP: no ssl: endpoint, no certificate to reload$")
        daemon.process.send_signal(signal.SIGUSR1)
        daemon.log.until(r"SIGUSR1: no log file to rotate")
        ali = daemon.connect()
        ali.register("ali")
        assert soheil.line() == "ali is joined to the chatroom!"
        assert daemon.process.poll() is None


def test_out_of_file_descriptors() -> None:
    """
    Under a low open-files limit the daemon logs how many clients fit, refuses
    the rest with the server-full line, and logs no EMFILE flood.
    """
    # Many connections from one address: the per-address caps are off here.
    with running_daemon("--max-per-ip", "0", "--connect-burst", "0", open_files=64) as daemon:
        cap = re.search(
            r"Open files limit 64 leaves room for (\d+) clients, fewer than --max-clients 10000",
            "\n".join(daemon.log.seen),
        )
        assert cap, daemon.log.seen
        clients = int(cap[1])
        peers, first = [], []
        for _ in range(70):  # more connections than open files, one after the other
            peers.append(daemon.connect())
            first.append(peers[-1].line())
        assert first == ["Please enter your name:"] * clients + [FULL] * (70 - clients)
        for peer in peers[clients:]:
            assert peer.reader.until_closed() == []
            peer.close()

        # A burst: the refusals may outrun the headroom; never one line each.
        burst = [daemon.connect() for _ in range(60)]
        answers = {peer.line() for peer in burst}
        assert answers <= {FULL, None}
        peers[0].send("soheil")
        assert peers[0].lines(2)[-1] == "online (1): soheil"
        for peer in burst:
            peer.close()
        status = daemon.stop()
        assert status in (0, -signal.SIGTERM)
        daemon.log.until_closed()
        log = daemon.log.seen
    assert not [line for line in log if "EMFILE" in line or "Traceback" in line]
    assert len([line for line in log if "Out of file descriptors" in line]) <= 2


def test_shutdown_with_a_client_not_reading() -> None:
    """A client that stopped reading does not hold up the shutdown."""
    with running_daemon("--rate", "0", "--max-send-queue", "0") as daemon:
        stuck = daemon.connect()
        stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.register("stuck")
        talker = daemon.connect()
        talker.register("talker")
        daemon.feed(talker, (b"x" * 1000 + b"\n") * 5000)  # about 5 MB for stuck, unread
        assert stuck.line() == "talker is joined to the chatroom!"
        started = time.monotonic()
        status = daemon.stop(signal.SIGTERM)
        assert status in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 8
        assert talker.reader.until_closed()[-1] == "Server is shutting down. Goodbye!"


def test_clients_of_two_ports_share_one_room(tmp_path: Path) -> None:
    """Several --port options serve one room."""
    sock_path = tmp_path / "chat.sock"
    with running_daemon(
        "--port", "tcp:0:interface=127.0.0.1", "--port", f"unix:{sock_path}"
    ) as daemon:
        over_tcp = daemon.connect()
        over_tcp.register("tcp_user")
        unix = socket.socket(socket.AF_UNIX)
        unix.settimeout(WAIT)
        unix.connect(str(sock_path))
        over_unix = Peer(unix)
        assert over_unix.register("unix_user")[-1] == "online (2): tcp_user, unix_user"
        over_unix.send("hello over unix")
        assert over_tcp.lines(2) == [
            "unix_user is joined to the chatroom!",
            "unix_user: hello over unix",
        ]


def test_client_not_reading_is_dropped() -> None:
    """A client that stops reading is dropped with a log line; the others see it leave."""
    with running_daemon("--rate", "0", "--max-send-queue", "65536") as daemon:
        deaf = socket.socket()
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        deaf.connect((daemon.host, daemon.port))
        deaf.sendall(b"deaf\n")
        talker = daemon.connect()
        talker.register("talker")
        daemon.feed(talker, (b"y" * 1000 + b"\n") * 8000 + b"done\n", timeout=WAIT * 2)
        daemon.log.until(r"deaf \(127\.0\.0\.1:\d+\) dropped: not reading, over 65536 bytes")
        # The daemon reads at the pace its output drains: read its log meanwhile.
        daemon.log.until(r"talker said done$", timeout=WAIT * 2)
        talker.send("/who")
        assert talker.lines(2) == ["deaf has left the chatroom!", "online (1): talker"]
        deaf.close()

"""
End to end: ``chatroom-client`` as a child process, fed through a pipe,
against a real ``twistd -n chatroom`` on a loopback port.
"""

from __future__ import annotations

import socket
import subprocess
import sys

from tests.wire import Daemon, LineReader, child_environment, run_client, running_daemon

TIMEOUT = 15.0
CLIENT = [sys.executable, "-c", "from chat.client.main import main; main()"]


def address(daemon: Daemon) -> tuple[str, str]:
    return daemon.host, str(daemon.port)


def test_pipe_session() -> None:
    """Piped lines reach the others; the welcome and the goodbye are printed; exit 0."""
    with running_daemon() as daemon:
        ali = daemon.connect()
        ali.register("ali")
        done = run_client(*address(daemon), stdin=b"soheil\nhello from soheil\n", timeout=TIMEOUT)
        assert ali.lines(3) == [
            "soheil is joined to the chatroom!",
            "soheil: hello from soheil",
            "soheil has left the chatroom!",
        ]
        ali.close()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[:3] == [
        "Please enter your name:",
        "Chat with your friends and enjoy",
        "online (2): ali, soheil",
    ]
    assert lines[-1] == "Goodbye, soheil!"
    assert b"\r" not in done.stdout
    assert done.stderr == b""


def test_name_and_next_free_name() -> None:
    """--name with --next-free-name registers as NAME2 when NAME is online."""
    with running_daemon() as daemon:
        soheil = daemon.connect()
        soheil.register("soheil")
        done = run_client(
            "--connect",
            f"tcp:{daemon.host}:{daemon.port}",
            "--name",
            "soheil",
            "--next-free-name",
            stdin=b"hi\n",
            timeout=TIMEOUT,
        )
        assert soheil.lines(2) == ["soheil2 is joined to the chatroom!", "soheil2: hi"]
        soheil.close()
    assert done.returncode == 0, done.stderr
    assert "online (2): soheil, soheil2" in done.stdout.decode().splitlines()
    assert done.stdout.decode().splitlines()[-1] == "Goodbye, soheil2!"


def test_taken_name_exit_1() -> None:
    """--name alone with a taken name ends with one line on stderr and exit 1."""
    with running_daemon() as daemon:
        soheil = daemon.connect()
        soheil.register("soheil")
        done = run_client("--name", "soheil", *address(daemon), stdin=b"hi\n", timeout=TIMEOUT)
        soheil.close()
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "chatroom-client: the name soheil was refused: the name soheil is taken, choose another"
    ]


def test_server_shutdown_exit_1() -> None:
    """The server going away without a /quit is exit 1 with one line on stderr."""
    with running_daemon() as daemon:
        watcher = daemon.connect()
        watcher.register("ali")
        process = subprocess.Popen(
            [*CLIENT, "--name", "soheil", *address(daemon)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_environment(),
        )
        try:
            assert watcher.line() == "soheil is joined to the chatroom!"
            watcher.close()
            daemon.stop()
            out, err = process.communicate(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 1
    assert out.decode().splitlines()[-1] == "Server is shutting down. Goodbye!"
    assert err.decode().splitlines() == ["chatroom-client: the server closed the connection"]


def test_server_without_line_endings() -> None:
    """A server that never ends its lines: each text shows once it pauses; its close is named."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(TIMEOUT)
        process = subprocess.Popen(
            [*CLIENT, "127.0.0.1", str(listener.getsockname()[1])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_environment(),
        )
        assert process.stdin is not None and process.stdout is not None  # pipes, as asked
        try:
            server, _ = listener.accept()
            printed = LineReader(process.stdout.fileno(), b"\n")
            with server:
                server.settimeout(TIMEOUT)
                server.sendall(b"Enter your name: ")
                assert printed.line(TIMEOUT) == "Enter your name: "
                process.stdin.write(b"soheil\n")
                process.stdin.flush()
                assert server.recv(100) == b"soheil\n"
                server.sendall(b"Welcome soheil")
                assert printed.line(TIMEOUT) == "Welcome soheil"
            _, err = process.communicate(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 1
    assert err.decode().splitlines() == ["chatroom-client: the server closed the connection"]


def test_connection_refused() -> None:
    """A closed port: exit 1 and exactly one line on stderr, no traceback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run_client("127.0.0.1", str(port), timeout=TIMEOUT)
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        f"chatroom-client: cannot connect to 127.0.0.1:{port}: connection refused"
    ]


def test_bad_option() -> None:
    """An unknown option prints the usage and exits 2, no traceback."""
    done = run_client("--colour", timeout=TIMEOUT)
    assert done.returncode == 2
    assert b"Usage: chatroom-client" in done.stderr
    assert b"Traceback" not in done.stderr

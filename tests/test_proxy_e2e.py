"""
End to end, docs/deploying.md "Behind HAProxy": a real twistd listening
with ``--port haproxy:tcp:0``, its clients saying where they come from with
PROXY v1 headers, then through Debian's ``haproxy`` (if installed) with the
example configuration in ``etc/haproxy/``.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.wire import ROOT, WAIT, Daemon, Peer, running_daemon

PROMPT = "Please enter your name:"
FULL = "error: too many connections from your address"
PROXIED = ("--port", "haproxy:tcp:0:interface=127.0.0.1")
EXAMPLE = ROOT / "etc" / "haproxy" / "chatroom.cfg"
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def proxied(daemon: Daemon, source: str, port: int) -> Peer:
    """A client that says, in a PROXY v1 header, it comes from ``source``:``port``."""
    peer = daemon.connect()
    peer.send(f"PROXY TCP4 {source} 10.0.0.1 {port} 5050\r\n".encode())
    return peer


def test_per_ip_cap_counts_claimed_addresses() -> None:
    """From one real address, the 17th connection claiming one address is refused, others not."""
    with running_daemon(*PROXIED) as daemon:
        held = [proxied(daemon, "203.0.113.7", 51000 + n) for n in range(16)]
        assert [peer.line() for peer in held] == [PROMPT] * 16
        refused = proxied(daemon, "203.0.113.7", 51016)
        assert refused.reader.until_closed() == [FULL]
        other = proxied(daemon, "198.51.100.9", 40000)
        assert other.register("ali")[-1] == "online (1): ali"
        daemon.log.until(rf"connection from 203\.0\.113\.7:51016 refused: {FULL}$")
        for peer in [*held, refused, other]:
            peer.close()


def test_no_header_closed_quietly() -> None:
    """A client that sends no PROXY header gets nothing and is closed; a log line, no traceback."""
    with running_daemon(*PROXIED) as daemon:
        peer = daemon.connect()
        peer.send("soheil")
        assert peer.reader.until_closed() == []
        daemon.log.until(r"connection from 127\.0\.0\.1:\d+ refused: no valid PROXY protocol")
        peer.close()
    rest = daemon.log.buffer.decode("utf-8", "replace")
    assert "Traceback" not in "\n".join([*daemon.log.seen, rest])


def test_example_config_is_valid(tmp_path: Path) -> None:
    """haproxy -c accepts etc/haproxy/chatroom.cfg, without a warning."""
    if HAPROXY is None:
        print("skipped: haproxy is not installed (apt-get install haproxy)")
        pytest.skip("haproxy is not installed")
    result = subprocess.run(
        [HAPROXY, "-c", "-f", str(EXAMPLE)], capture_output=True, text=True, timeout=WAIT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


@contextmanager
def haproxy_in_front(daemon: Daemon, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """
    HAProxy with the example configuration, sending to ``daemon`` alone, on
    a loopback socket opened here and handed over (``bind fd@``): clients
    may connect before HAProxy is up, and wait in its backlog.
    """
    assert HAPROXY is not None
    listener = socket.create_server(("127.0.0.1", 0))
    config = EXAMPLE.read_text()
    config = config.replace("bind :5050", f"bind fd@{listener.fileno()}")
    config = re.sub(r"maxconn \d+", "maxconn 100", config)  # within the test's open files
    config = re.sub(r"(?m)^\s*server .*\n", "", config)
    config += f"    server chat 127.0.0.1:{daemon.port}\n"
    (tmp_path / "haproxy.cfg").write_text(config)
    process = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(tmp_path / "haproxy.cfg")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=[listener.fileno()],
    )
    try:
        yield listener.getsockname()
    finally:
        listener.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_through_haproxy(tmp_path: Path) -> None:
    """Through HAProxy with send-proxy, each client counts as its own address, and is logged so."""
    if HAPROXY is None:
        print("skipped: haproxy is not installed (apt-get install haproxy)")
        pytest.skip("haproxy is not installed")
    with (
        running_daemon(*PROXIED, "--max-per-ip", "1") as daemon,
        haproxy_in_front(daemon, tmp_path) as front,
    ):

        def client(source: str) -> Peer:
            return Peer(socket.create_connection(front, WAIT, source_address=(source, 0)))

        ali = client("127.0.0.2")
        assert ali.register("ali")[-1] == "online (1): ali"
        # HAProxy connects from 127.0.0.1 for both: counted so, hasan would be refused.
        hasan = client("127.0.0.3")
        assert hasan.register("hasan")[-1] == "online (2): ali, hasan"
        again = client("127.0.0.2")
        assert again.reader.until_closed() == [FULL]
        port = again.sock.getsockname()[1]
        daemon.log.until(rf"connection from 127\.0\.0\.2:{port} refused: {FULL}$")
        for peer in (ali, hasan, again):
            peer.close()

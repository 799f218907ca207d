"""
End to end, the way an administrator runs the daemon: twistd in background
mode, socket activation, TLS, metrics over HTTP, JSON logs, and the systemd
files in ``etc/``.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from twisted.logger import eventFromJSON, formatEvent
from twisted.python.reflect import namedAny
from twisted.scripts.twistd import ServerOptions

from tests.certificates import make_certificates
from tests.harness import parse
from tests.wire import (
    LISTENING,
    ROOT,
    RUNNING,
    WAIT,
    Daemon,
    LineReader,
    Peer,
    child_environment,
    run_client,
    run_twistd,
    running_daemon,
    twistd_command,
)

GOODBYE = "Server is shutting down. Goodbye!"
LOOPBACK = "tcp:0:interface=127.0.0.1"


def wait_for_exit(pid: int, timeout: float = WAIT) -> None:
    """Wait for a process that is not our child (a daemon) to end."""
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no os.pidfd_open: cannot wait for a daemon's end without polling")
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([handle], [], [], timeout)
        assert ready, f"process {pid} still running after {timeout} s"
    finally:
        os.close(handle)


def start_in_background(directory: Path, *options: str) -> tuple[int, int]:
    """
    ``twistd --pidfile --logfile chatroom`` in ``directory``: once the launching
    twistd has exited 0 the daemon listens, so its pid and port are known.
    """
    launched = run_twistd(
        "--pidfile", "chatroom.pid", "--logfile", "chatroom.log",
        "chatroom", "--port", LOOPBACK, *options,
        cwd=directory,
        timeout=WAIT,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stderr
    pid = int((directory / "chatroom.pid").read_text())
    found = LISTENING.search((directory / "chatroom.log").read_text())
    assert found, "no Listening line in chatroom.log"
    return pid, int(found["port"])


def connect(port: int) -> Peer:
    return Peer(socket.create_connection(("127.0.0.1", port), timeout=WAIT))


def test_background_mode(tmp_path: Path) -> None:
    """Daemonised twistd writes pidfile and log; SIGTERM says goodbye, removes the pidfile."""
    pid, port = start_in_background(tmp_path)
    try:
        soheil, ali = connect(port), connect(port)
        soheil.register("soheil")
        ali.register("ali")
        assert soheil.line() == "ali is joined to the chatroom!"
        ali.send("salam soheil")
        assert soheil.line() == "ali: salam soheil"
    finally:
        os.kill(pid, signal.SIGTERM)
    assert soheil.reader.until_closed() == ali.reader.until_closed() == [GOODBYE]
    wait_for_exit(pid)
    assert not (tmp_path / "chatroom.pid").exists()
    log = (tmp_path / "chatroom.log").read_text()
    assert "ali said salam soheil" in log
    assert "Traceback" not in log


def test_sigusr1_rotates_log(tmp_path: Path) -> None:
    """SIGUSR1 makes twistd move chatroom.log to chatroom.log.1 and start a new one."""
    pid, port = start_in_background(tmp_path)
    try:
        os.kill(pid, signal.SIGUSR1)
        # The rotation is queued before the reactor reads from a new client.
        soheil = connect(port)
        soheil.register("soheil")
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_for_exit(pid)
    rotated = (tmp_path / "chatroom.log.1").read_text()
    current = (tmp_path / "chatroom.log").read_text()
    assert "Listening on" in rotated and "soheil is joined" not in rotated
    assert "soheil is joined to the chatroom!" in current and "Listening on" not in current


def test_sighup_in_background_mode(tmp_path: Path) -> None:
    """SIGHUP does not stop the daemon in background mode: it logs it and serves on."""
    pid, port = start_in_background(tmp_path)
    try:
        soheil = connect(port)
        soheil.register("soheil")
        os.kill(pid, signal.SIGHUP)
        # The reload is queued before the reactor reads from a new client.
        ali = connect(port)
        ali.register("ali")
        assert soheil.line() == "ali is joined to the chatroom!"
        assert (tmp_path / "chatroom.pid").exists()
    finally:
        os.kill(pid, signal.SIGTERM)
    assert soheil.reader.until_closed() == [GOODBYE]
    wait_for_exit(pid)
    log = (tmp_path / "chatroom.log").read_text()
    assert "SIGHUP: no ssl: endpoint, no certificate to reload" in log
    assert "Traceback" not in log


def unused_pid() -> int:
    """A pid no process has: the kernel hands out pids below pid_max only."""
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text())
    except OSError:
        pytest.skip("no /proc/sys/kernel/pid_max to find a pid nobody has")


def test_stale_pidfile_removed(tmp_path: Path) -> None:
    """A pidfile whose process is gone does not stop the start: twistd removes it and logs so."""
    stale = unused_pid()
    (tmp_path / "chatroom.pid").write_text(str(stale))
    pid, _ = start_in_background(tmp_path)
    try:
        assert pid != stale
        assert "Removing stale pidfile" in (tmp_path / "chatroom.log").read_text()
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_for_exit(pid)


def test_live_pidfile_refused(tmp_path: Path) -> None:
    """A pidfile naming a live process stops a second start, -n included; --pidfile= does not."""
    (tmp_path / "twistd.pid").write_text(str(os.getpid()))
    refused = run_twistd("-n", "chatroom", "--port", LOOPBACK, cwd=tmp_path)
    assert refused.returncode == 1
    assert f"Another twistd server is running, PID {os.getpid()}" in refused.stderr
    with running_daemon(cwd=tmp_path) as daemon:
        peer = daemon.connect()
        assert peer.line() == "Please enter your name:"
        peer.close()


SOCKET_FAMILIES = [
    ("INET", socket.AF_INET, "127.0.0.1"),
    ("INET6", socket.AF_INET6, "::1"),
]


@pytest.mark.parametrize(("domain", "family", "host"), SOCKET_FAMILIES)
def test_socket_activation(domain: str, family: socket.AddressFamily, host: str) -> None:
    """A listening socket handed over the systemd way (fd 3, LISTEN_*) serves clients."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.bind((host, 0))
    except OSError as problem:
        listener.close()
        pytest.skip(f"cannot bind {host}: {problem}")
    listener.listen()
    port = listener.getsockname()[1]
    # What systemd does between fork and exec: the socket at fd 3, and
    # LISTEN_PID set to the daemon's own pid.
    as_systemd = (
        "import os, sys; os.dup2(int(sys.argv[1]), 3); "
        "os.environ['LISTEN_PID'] = str(os.getpid()); "
        "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
    )
    twistd = twistd_command(
        "-n", "--pidfile=", "chatroom", "--port", f"systemd:domain={domain}:index=0"
    )
    env = child_environment() | {"LISTEN_FDS": "1", "LISTEN_FDNAMES": "chatroom.socket"}
    process = subprocess.Popen(
        [sys.executable, "-c", as_systemd, str(listener.fileno()), *twistd[1:]],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=[listener.fileno()],
        env=env,
    )
    assert process.stdout is not None  # a pipe, as asked
    listener.close()
    daemon = Daemon(process)
    try:
        daemon.wait_running()
        assert daemon.port == port
        peer = Peer(socket.create_connection((host, port), timeout=WAIT))
        assert peer.register("soheil") == [
            "Chat with your friends and enjoy",
            "online (1): soheil",
        ]
    finally:
        daemon.stop()
        process.stdout.close()


class TLSPeer:
    """A chat client over Python's own TLS, which checks the server certificate."""

    def __init__(self, port: int, ca: Path) -> None:
        context = ssl.create_default_context(cafile=str(ca))
        raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.buffer = b""

    def line(self) -> str:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, f"closed; unread: {self.buffer!r}"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8")

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8") + b"\n")


def served_certificate(port: int) -> bytes:
    """The certificate (DER) a new TLS connection to ``port`` is shown."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw,
        context.wrap_socket(raw) as tls,
    ):
        certificate = tls.getpeercert(binary_form=True)
        assert certificate is not None, "no certificate"
        return certificate


def der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def logged_port(daemon: Daemon, pattern: str) -> int:
    """The port of the first log line seen so far that matches ``pattern``."""
    for line in daemon.log.seen:
        found = re.search(pattern, line)
        if found:
            return int(found["port"])
    raise AssertionError(f"no {pattern!r} in {daemon.log.seen!r}")


def test_tls_next_to_tcp(tmp_path: Path) -> None:
    """TLS clients (Python's ssl, chatroom-client --ca) chat with a TCP client in one room."""
    pem = make_certificates(tmp_path)
    tls = f"ssl:0:interface=127.0.0.1:privateKey={pem['key']}:certKey={pem['cert']}"
    with running_daemon("--port", LOOPBACK, "--port", tls) as daemon:
        port = logged_port(daemon, r"Listening on 127\.0\.0\.1:(?P<port>\d+) \(ssl:")
        ali = daemon.connect()
        ali.register("ali")

        soheil = TLSPeer(port, pem["ca"])
        assert soheil.line() == "Please enter your name:"
        soheil.send("soheil")
        assert [soheil.line(), soheil.line()] == [
            "Chat with your friends and enjoy",
            "online (2): ali, soheil",
        ]
        soheil.send("hello over tls")
        assert ali.lines(2) == ["soheil is joined to the chatroom!", "soheil: hello over tls"]

        description = f"tls:localhost:{port}"
        done = run_client(
            "--connect", description, "--ca", str(pem["ca"]), "--name", "hasan",
            stdin=b"hi from hasan\n",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().splitlines()[-1] == "Goodbye, hasan!"
        assert ali.lines(3) == [
            "hasan is joined to the chatroom!",
            "hasan: hi from hasan",
            "hasan has left the chatroom!",
        ]

        untrusting = run_client("--connect", description, "--name", "mallory")
        assert untrusting.returncode == 1
        assert untrusting.stderr.decode().splitlines() == [
            f"chatroom-client: cannot connect to {description}: "
            "TLS failure: certificate verify failed"
        ]
        ali.send("/who")
        assert ali.line() == "online (2): ali, soheil"


def test_sighup_reloads_certificate(tmp_path: Path) -> None:
    """Once the files are renewed, SIGHUP makes new TLS connections get the new certificate."""
    pem = make_certificates(tmp_path)
    tls = f"ssl:0:interface=127.0.0.1:privateKey={pem['key']}:certKey={pem['cert']}"
    with running_daemon("--port", LOOPBACK, "--port", tls) as daemon:
        port = logged_port(daemon, r"Listening on 127\.0\.0\.1:(?P<port>\d+) \(ssl:")
        old = served_certificate(port)
        assert old == der(pem["cert"])
        soheil = TLSPeer(port, pem["ca"])
        assert soheil.line() == "Please enter your name:"

        (tmp_path / "renewed").mkdir()
        renewed = make_certificates(tmp_path / "renewed")
        for name in ("cert", "key"):
            os.replace(renewed[name], pem[name])
        daemon.process.send_signal(signal.SIGHUP)
        daemon.log.until(r"SIGHUP: reloaded the certificate and key of ssl:0:.* for new conn")

        assert served_certificate(port) == der(pem["cert"]) != old
        soheil.send("soheil")  # the connection made before goes on
        assert soheil.line() == "Chat with your friends and enjoy"
        hasan = TLSPeer(port, renewed["ca"])  # trusts the new certificate's CA only
        assert hasan.line() == "Please enter your name:"
        assert daemon.process.poll() is None


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample on the metrics page, by name and labels."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=WAIT) as response:
        text = response.read().decode("utf-8")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_follow_the_chat() -> None:
    """Scraped over HTTP, the numbers change as clients join, talk, get refused and leave."""
    options = ("--max-clients", "2", "--metrics", LOOPBACK)
    with running_daemon(*options) as daemon:
        port = logged_port(daemon, r"Metrics on http://127\.0\.0\.1:(?P<port>\d+)/metrics ")

        def heads() -> tuple[float, float]:
            now = scrape(port)
            return now["chatroom_connected_clients", ()], now["chatroom_registered_users", ()]

        assert heads() == (0, 0)
        soheil = daemon.connect()
        assert soheil.line() == "Please enter your name:"
        assert heads() == (1, 0)
        soheil.send("soheil")
        assert soheil.lines(2)[-1] == "online (1): soheil"
        assert heads() == (1, 1)
        ali = daemon.connect()
        ali.register("ali")
        assert soheil.line() == "ali is joined to the chatroom!"
        assert heads() == (2, 2)

        before = scrape(port)
        soheil.send("hello")
        assert ali.line() == "soheil: hello"
        after = scrape(port)
        for name, more in [
            ("chatroom_received_lines_total", 1),
            ("chatroom_sent_lines_total", 1),
            ("chatroom_sent_bytes_total", len(b"soheil: hello\r\n")),
        ]:
            assert after[name, ()] - before[name, ()] == more, name

        refused = daemon.connect()
        assert refused.reader.until_closed()[0].startswith("error: ")
        full = ("chatroom_dropped_connections_total", (("reason", "server_full"),))
        assert scrape(port)[full] == 1

        soheil.send("/quit")
        assert soheil.reader.until_closed() == ["Goodbye, soheil!"]
        assert heads() == (1, 1)


def http(port: int, request: bytes) -> bytes:
    """Send one raw HTTP request; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_metrics_endpoint_holds_up() -> None:
    """Over sockets: hostile requests get 413, 405 or the page, a 17th connection is cut, no log."""
    with running_daemon("--metrics", LOOPBACK) as daemon:
        port = logged_port(daemon, r"Metrics on http://127\.0\.0\.1:(?P<port>\d+)/metrics ")
        huge = b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000000\r\n\r\n"
        assert http(port, huge).startswith(b"HTTP/1.1 413 ")
        assert http(port, b"DELETE /metrics HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 405 ")
        head = http(port, b"HEAD /metrics HTTP/1.0\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200 ") and head.endswith(b"\r\n\r\n")
        for accept in (b"\xff", b"application/openmetrics-text; version=abc"):
            answer = http(port, b"GET /metrics HTTP/1.0\r\nAccept: " + accept + b"\r\n\r\n")
            assert answer.startswith(b"HTTP/1.0 200 ") and b"chatroom_connected_clients" in answer

        held = [socket.create_connection(("127.0.0.1", port), timeout=WAIT) for _ in range(16)]
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as extra:
            assert extra.recv(1) == b""  # closed at once
        held[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held[0].recv(12) == b"HTTP/1.1 200"
        for sock in held:
            sock.close()
        daemon.stop()
        daemon.log.until_closed()
    seen = daemon.log.seen
    running = next(i for i, line in enumerate(seen) if RUNNING in line)
    stopping = next(i for i, line in enumerate(seen) if "Received SIGTERM" in line)
    assert seen[running + 1 : stopping] == []  # nothing logged while it was abused


def test_metrics_port_taken(tmp_path: Path) -> None:
    """A metrics port that cannot listen ends the daemon with one line, before it runs."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = f"tcp:{holder.getsockname()[1]}:interface=127.0.0.1"
        result = run_twistd(
            "-n", "--pidfile=", "chatroom", "--port", LOOPBACK, "--metrics", taken,
            cwd=tmp_path,
            timeout=WAIT,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert output.count(f"cannot listen on {taken}: Address already in use") == 1
    assert "Traceback" not in output
    assert RUNNING not in output


def test_json_log() -> None:
    """twistd --logger chat.jsonlog.observer logs one JSON event per line: fields, and the text."""
    process = subprocess.Popen(
        twistd_command(
            "--logger", "chat.jsonlog.observer", "-n", "--pidfile=", "chatroom", "--port", LOOPBACK
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=child_environment(),
    )
    assert process.stdout is not None and process.stderr is not None  # pipes, as asked
    daemon = Daemon(process)
    log = LineReader(process.stdout.fileno(), b"\n")

    def event_where(**fields: str) -> dict:
        deadline = time.monotonic() + WAIT
        while True:
            line = log.line(max(deadline - time.monotonic(), 0.001))
            assert line is not None, f"log ended before {fields}"
            event = json.loads(line)
            if all(event.get(key) == value for key, value in fields.items()):
                return event

    try:
        listening = event_where(log_format="Listening on {address} ({description})")
        host, port = listening["address"].rsplit(":", 1)
        peer = Peer(socket.create_connection((host, int(port)), timeout=WAIT))
        peer.register("soheil")
        joined = event_where(log_namespace="chat.room", name="soheil")
        assert formatEvent(eventFromJSON(json.dumps(joined))) == "soheil is joined to the chatroom!"
        assert joined["text"] == "soheil is joined to the chatroom!"
        peer.send("hello this is soheil")
        said = event_where(log_namespace="chat.room", words="hello this is soheil")
        assert said["text"] == "soheil said hello this is soheil"
        assert formatEvent(eventFromJSON(json.dumps(said))) == said["text"]
    finally:
        daemon.stop()
        process.stdout.close()
        process.stderr.close()


def environment_file(name: str = "chatroom.env") -> dict[str, str]:
    """A file of etc/ as systemd's EnvironmentFile= reads it: KEY=VALUE lines, # comments."""
    values = {}
    for line in (ROOT / "etc" / name).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def quick_start_commands() -> list[list[str]]:
    """Every command in the README's quick start, code blocks and inline code, as argv lists."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    snippets = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    snippets += re.findall(r"`([^`]+)`", section)
    return [shlex.split(command) for snippet in snippets for command in snippet.split("&&")]


def test_readme_quick_start_commands() -> None:
    """The quick start makes the venv before installing into it, and its twistd lines parse."""
    commands = quick_start_commands()
    venv, activate, install, run = commands[:4]
    assert venv[:3] == ["python3", "-m", "venv"]
    assert activate == [".", f"{venv[3]}/bin/activate"]
    assert install == ["pip", "install", "."]
    assert run[0] == "twistd"
    twistd_lines = [c for c in commands if c[:1] == ["twistd"] and "chatroom" in c]
    assert len(twistd_lines) >= 3
    for command in twistd_lines:
        options = ServerOptions()
        options.parseOptions(command[1:])
        assert options["nodaemon"]
        assert options.subCommand == "chatroom"
        assert options.subOptions["port"][0].startswith("tcp:")
    assert ["twistd", "-n", "--pidfile=", "chatroom", "--port", "5051"] in twistd_lines


def test_environment_file_options() -> None:
    """The options in etc/chatroom.env are ones the plugin and twistd accept."""
    values = environment_file()
    options = parse(*values["CHATROOM_OPTIONS"].split())
    assert options["port"][0].startswith("systemd:")
    assert values["TWISTD_OPTIONS"] == ""
    commented = (ROOT / "etc" / "chatroom.env").read_text()
    logger = re.search(r"^#TWISTD_OPTIONS=--logger (\S+)$", commented, re.MULTILINE)
    assert logger and callable(namedAny(logger[1]))


def hardening(unit: str) -> list[str]:
    """The settings of a unit file from its user on: what it may do."""
    text = (ROOT / "etc" / unit).read_text()
    section = text.split("DynamicUser=yes", 1)[1].split("[Install]", 1)[0]
    return [line for line in section.splitlines() if line and not line.startswith("#")]


def test_template_unit() -> None:
    """chatroom@PORT.service: twistd on haproxy:tcp:PORT on loopback, as hardened as the other."""
    unit = (ROOT / "etc" / "chatroom@.service").read_text()
    (command,) = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    values = {**environment_file("chatroom-proxied.env"), "INSTANCE_OPTIONS": ""}
    command = re.sub(r"\$(\w+)", lambda m: values[m[1]], command.replace("%i", "5051"))
    argv = command.split()
    assert argv[0] == "/opt/chatroom/bin/twistd"
    options = ServerOptions()
    options.parseOptions(argv[1:])
    assert options["nodaemon"]
    assert options.subOptions["port"] == ["haproxy:tcp:5051:interface=127.0.0.1"]
    assert "--port" not in values["CHATROOM_OPTIONS"]
    assert hardening("chatroom@.service") == ["User=chatroom", *hardening("chatroom.service")]


def test_units_verify(tmp_path: Path) -> None:
    """systemd-analyze verify finds nothing wrong in chatroom.service, .socket and @.service."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("skipped: systemd-analyze is not installed (apt-get install systemd)")
        pytest.skip("systemd-analyze is not installed")
    # verify wants ExecStart's program to exist; it never runs it.
    service = (ROOT / "etc" / "chatroom.service").read_text()
    assert "ExecStart=/opt/chatroom/bin/twistd " in service
    (tmp_path / "chatroom.service").write_text(
        service.replace("/opt/chatroom/bin/twistd", shlex.quote(sys.executable))
    )
    # The template, as one of its instances: the %i in ExecStart filled in.
    template = (ROOT / "etc" / "chatroom@.service").read_text()
    assert "ExecStart=/opt/chatroom/bin/twistd " in template
    (tmp_path / "chatroom@5051.service").write_text(
        template.replace("/opt/chatroom/bin/twistd", shlex.quote(sys.executable))
    )
    shutil.copy(ROOT / "etc" / "chatroom.socket", tmp_path)
    result = subprocess.run(
        [analyze, "verify", "./chatroom.service", "./chatroom.socket", "./chatroom@5051.service"],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        cwd=tmp_path,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "chatroom." in line or "chatroom@" in line
    ]
    assert result.returncode == 0, result.stdout + result.stderr
    assert complaints == []

"""
The daemon under test for ``benchmarks/hostile.py``: this checkout's, or
an earlier commit's unpacked from git, run by twistd pinned to one core,
and its memory, read from ``/proc``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNNING = b"Server is Running and waiting for connections..."
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
KIB_PER_MIB = 1024
SAMPLE_EVERY = 0.02
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def unpack(commit: str, into: Path) -> Path:
    """The tree of ``commit`` of this repository, unpacked under ``into``."""
    tree = into / commit
    if not (tree / "chat").is_dir():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
            capture_output=True,
            check=True,
        ).stdout
        tree.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as spool:
            spool.write(archive)
            spool.seek(0)
            with tarfile.open(fileobj=spool) as tar:
                tar.extractall(tree, filter="data")
    return tree


def status_kib(pid: int, field: bytes) -> int | None:
    """A ``/proc/PID/status`` field in KiB (``VmRSS``, ``VmHWM``), or None."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(field + b":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class Daemon:
    """``twistd -n chatroom`` from ``tree``, pinned to ``core``, its log in a file."""

    def __init__(self, tree: Path, port: int, options: list[str], core: int, log: Path) -> None:
        self.tree = tree
        self.port = port
        self.options = options
        self.core = core
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start it and wait until it says it is running."""
        command = [
            "taskset",
            "-c",
            str(self.core),
            sys.executable,
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "chatroom",
            "--port",
            f"tcp:{self.port}:interface=127.0.0.1",
            *self.options,
        ]
        env = dict(os.environ, PYTHONPATH=str(self.tree))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.tree, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while RUNNING not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                tail = self.log.read_bytes()[-2000:].decode("utf-8", "replace")
                raise RuntimeError(f"the daemon did not start:\n{tail}")
            time.sleep(0.05)

    def rss_kib(self) -> int | None:
        return status_kib(self.pid, b"VmRSS")

    def reset_peak(self) -> bool:
        """Start VmHWM afresh from the current RSS (Linux ≥ 4.0); False if not allowed."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            return False
        return True

    def peak_kib(self) -> int | None:
        return status_kib(self.pid, b"VmHWM")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within STOP_TIMEOUT seconds."""
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def kernel_tcp_kib() -> int:
    """What every TCP socket's buffers take in the kernel (/proc/net/sockstat)."""
    with open("/proc/net/sockstat") as sockstat:
        for line in sockstat:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * PAGE_KIB
    return 0


class Memory:
    """
    The daemon's RSS from ``start()`` on: sampled every SAMPLE_EVERY seconds,
    with VmHWM (reset at the start) for the peak between samples. Past
    ``stop_kib`` the daemon is killed, so that a run can't exhaust the machine.
    The kernel's TCP buffers (every socket's, the load's too) are sampled
    alongside: what the kernel holds for a client, the daemon does not.
    """

    def __init__(self, daemon: Daemon, stop_kib: int) -> None:
        self.daemon = daemon
        self.stop_kib = stop_kib
        self.before = 0
        self.peak = 0
        self.stopped = False
        self.kernel_before = 0
        self.kernel_peak = 0
        self._exact = False
        self._next = 0.0

    def start(self) -> None:
        self.before = self.peak = self.daemon.rss_kib() or 0
        self._exact = self.daemon.reset_peak()
        self.kernel_before = self.kernel_peak = kernel_tcp_kib()

    def sample(self) -> None:
        now = time.monotonic()
        if now < self._next or self.stopped:
            return
        self._next = now + SAMPLE_EVERY
        self.kernel_peak = max(self.kernel_peak, kernel_tcp_kib())
        rss = self.daemon.rss_kib()
        if rss is None:
            return
        self.peak = max(self.peak, rss)
        if rss > self.stop_kib:
            self.daemon.kill()
            self.stopped = True

    def finish(self) -> dict[str, Any]:
        if self._exact and self.daemon.alive():
            self.peak = max(self.peak, self.daemon.peak_kib() or 0)
        return {
            "rss_before_mib": round(self.before / KIB_PER_MIB, 1),
            "rss_peak_mib": round(self.peak / KIB_PER_MIB, 1),
            "rss_growth_mib": round((self.peak - self.before) / KIB_PER_MIB, 1),
            "stopped_over_mib": round(self.stop_kib / KIB_PER_MIB) if self.stopped else None,
            "kernel_tcp_growth_mib": round(
                (self.kernel_peak - self.kernel_before) / KIB_PER_MIB, 1
            ),
        }

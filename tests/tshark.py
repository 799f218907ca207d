"""
The dissector's test helpers: tshark run with ``etc/wireshark/chatroom.lua``
on a capture, its lines read back one by one, and a real capture of the
loopback interface with dumpcap, each wait bounded.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.wire import ROOT, WAIT, TimedOut

DISSECTOR = ROOT / "etc" / "wireshark" / "chatroom.lua"
TSHARK = shutil.which("tshark")
DUMPCAP = shutil.which("dumpcap")


def tshark(*arguments: str) -> str:
    """tshark with the dissector loaded; its standard output (the root warning goes)."""
    assert TSHARK is not None
    done = subprocess.run(
        [TSHARK, *arguments[:2], "-X", f"lua_script:{DISSECTOR}", *arguments[2:]]
        if arguments[:1] == ("-G",)
        else [TSHARK, "-X", f"lua_script:{DISSECTOR}", *arguments],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Lua" not in done.stderr, done.stderr
    return done.stdout


def _records(layer: Any) -> list[dict[str, str]]:
    return layer if isinstance(layer, list) else [layer]


def dissect(capture: Path, *options: str) -> list[dict[str, str]]:
    """
    Every chatroom item in ``capture``, in order (a line, or telnet commands
    alone): its fields without ``chatroom.`` (``kind``, ``text``…), ``frame``
    (the frame it is shown in) and ``stream``.
    """
    packets = json.loads(
        tshark(
            "-r",
            str(capture),
            *options,
            "-T",
            "json",
            "--no-duplicate-keys",
            "-J",
            "frame tcp chatroom",
        )
        or "[]"
    )
    lines = []
    for packet in packets:
        layers = packet["_source"]["layers"]
        for record in _records(layers.get("chatroom", [])):
            line = {k.removeprefix("chatroom."): v for k, v in record.items()}
            line["frame"] = _first(layers["frame"]["frame.number"])
            line["stream"] = _first(layers["tcp"]["tcp.stream"])
            lines.append(line)
    return lines


def _first(value: str | list[str]) -> str:
    return value[0] if isinstance(value, list) else value


def pick(lines: list[dict[str, str]], *keys: str) -> list[tuple[str, ...]]:
    """The given fields of each line, "" where a line has none."""
    return [tuple(line.get(key, "") for key in keys) for line in lines]


class Capturing:
    """dumpcap on the loopback interface, its pcap read as it is written."""

    def __init__(self, port: int) -> None:
        assert DUMPCAP is not None
        self.port = port
        self.data = b""
        self.process = subprocess.Popen(
            [DUMPCAP, "-q", "-P", "-i", "lo", "-f", f"port {port}", "-w", "-"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.marker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def _read(self, until: float) -> None:
        """What dumpcap writes by ``until``."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(until - time.monotonic(), 0))
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise TimedOut(f"dumpcap ended: {self.process.communicate()[1]!r}")
            self.data += chunk

    def mark(self, token: bytes) -> None:
        """
        A UDP datagram to the port, waited for in the capture: once it is
        there, so is everything before it. dumpcap says "Capturing on" a
        little before it captures, so the mark goes again every half second
        until it shows.
        """
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            self.marker.sendto(token, ("127.0.0.1", self.port))
            attempt = min(time.monotonic() + 0.5, deadline)
            while time.monotonic() < attempt:
                self._read(attempt)
                if token in self.data:
                    return
        raise TimedOut(f"{token!r} never reached the capture")

    def stop(self, path: Path) -> None:
        """Stop dumpcap and write what it captured to ``path``."""
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=WAIT)
        path.write_bytes(self.data + rest)
        self.marker.close()


@contextmanager
def capturing(port: int, path: Path) -> Iterator[Capturing]:
    """Loopback traffic of ``port``, from when dumpcap is ready to the block's end, in ``path``."""
    capture = Capturing(port)
    try:
        try:
            capture.mark(b"chatroom capture starts")
        except TimedOut as failed:
            if capture.process.poll() is None:
                raise
            pytest.skip(f"dumpcap cannot capture on lo here (not root?): {failed}")
        yield capture
        capture.mark(b"chatroom capture ends")
    finally:
        if capture.process.poll() is None:
            capture.stop(path)

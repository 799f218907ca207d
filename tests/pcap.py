"""
A capture file written from scripted TCP segments, for the dissector's tests:
each segment holds exactly the bytes the test gives it, so a line split over
two segments, two lines in one, or a client that never ends its lines is
on the wire just as the test says.

Ethernet, IPv4 and TCP with correct checksums, in the classic pcap format.
"""

from __future__ import annotations

import struct
from pathlib import Path

from chat import lines

_SYN, _ACK, _PSH, _FIN = 0x02, 0x10, 0x08, 0x01
_CLIENT_IP, _SERVER_IP = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])
NAMES = ("ali", "hasan", "soheil")


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(
    source: bytes,
    destination: bytes,
    ports: tuple[int, int],
    seq: int,
    ack: int,
    flags: int,
    payload: bytes,
) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", *ports, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = source + destination + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, source, destination
    )
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    ethernet = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
    return ethernet + ip + tcp


class Capture:
    """Frames in the order the test makes them, one millisecond apart."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def connection(self, client_port: int, server_port: int = 5050) -> Connection:
        """A new connection, its three-way handshake already captured."""
        return Connection(self, client_port, server_port)

    def write(self, path: Path) -> None:
        header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        records = []
        for number, frame in enumerate(self.frames):
            seconds, micros = divmod(1_700_000_000_000_000 + number * 1000, 1_000_000)
            records.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)
        path.write_bytes(header + b"".join(records))


class Connection:
    """One client's TCP connection to the server, segment by segment."""

    def __init__(self, capture: Capture, client_port: int, server_port: int) -> None:
        self.capture = capture
        self.ports = (client_port, server_port)
        self.client_seq, self.server_seq = 1000, 5000
        self._client(_SYN, b"")
        self._server(_SYN | _ACK, b"")
        self._client(_ACK, b"")

    def _client(self, flags: int, payload: bytes) -> None:
        ack = self.server_seq if flags & _ACK else 0
        self.capture.frames.append(
            _frame(_CLIENT_IP, _SERVER_IP, self.ports, self.client_seq, ack, flags, payload)
        )
        self.client_seq += len(payload) + (1 if flags & (_SYN | _FIN) else 0)

    def _server(self, flags: int, payload: bytes) -> None:
        reverse = (self.ports[1], self.ports[0])
        self.capture.frames.append(
            _frame(
                _SERVER_IP, _CLIENT_IP, reverse, self.server_seq, self.client_seq, flags, payload
            )
        )
        self.server_seq += len(payload) + (1 if flags & (_SYN | _FIN) else 0)

    def to_server(self, data: bytes) -> None:
        """One segment from the client, exactly these bytes."""
        self._client(_PSH | _ACK, data)

    def to_client(self, data: bytes) -> None:
        """One segment from the server, exactly these bytes."""
        self._server(_PSH | _ACK, data)

    def close(self) -> None:
        """The client closes, then the server."""
        self._client(_FIN | _ACK, b"")
        self._server(_FIN | _ACK, b"")
        self._client(_ACK, b"")


def registered(capture: Capture, port: int, name: str) -> Connection:
    """A connection that has been prompted, named itself and been welcomed."""
    connection = capture.connection(port)
    connection.to_client(lines.encode(lines.PROMPT))
    connection.to_server(name.encode() + b"\r\n")
    connection.to_client(lines.encode_all([lines.WELCOME, lines.online(list(NAMES), 3)]))
    return connection


def written(tmp_path: Path, capture: Capture) -> Path:
    """``capture`` written to a file in ``tmp_path``."""
    path = tmp_path / "chat.pcap"
    capture.write(path)
    return path

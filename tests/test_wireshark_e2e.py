"""
``etc/wireshark/chatroom.lua`` in real tshark: on captures written segment
by segment (``tests/pcap.py``), so that every framing case is on the wire
exactly, and on a real capture of a real daemon and three real clients.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chat import lines
from tests.pcap import Capture, registered, written
from tests.tshark import DUMPCAP, TSHARK, capturing, dissect, pick, tshark
from tests.wire import running_daemon

pytestmark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not installed (apt-get install tshark)"
)


def test_every_server_line_has_its_kind_and_fields(tmp_path: Path) -> None:
    """Each line chat/lines.py sends is told apart by its wording, with sender, target and text."""
    capture = Capture()
    soheil = registered(capture, 40000, "soheil")
    expected = [
        (
            lines.history_entry(0, lines.said("ali", "hi soheil im ali")),
            "history",
            "ali",
            "",
            "",
            "hi soheil im ali",
        ),
        (lines.history_entry(0, lines.acted("ali", "waves")), "history", "ali", "", "", "waves"),
        (lines.online(["ali", "hasan"], 2), "online", "", "", "", "ali, hasan"),
        (lines.joined("hasan"), "join", "hasan", "", "", ""),
        (
            lines.said("hasan", "hello hasan: how are you"),
            "message",
            "hasan",
            "",
            "",
            "hello hasan: how are you",
        ),
        (
            lines.said("ali", "hasan is joined to the chatroom!"),
            "message",
            "ali",
            "",
            "",
            "hasan is joined to the chatroom!",
        ),
        (lines.acted("ali", "waves at hasan"), "action", "ali", "", "", "waves at hasan"),
        (lines.renamed("ali", "ali2"), "rename", "ali", "ali2", "", ""),
        (lines.now_known_as("bob"), "rename", "soheil", "bob", "", ""),
        (lines.private_to("ali", "see you at 6?"), "private_to", "bob", "ali", "", "see you at 6?"),
        (lines.private_from("ali", "ok"), "private_from", "ali", "bob", "", "ok"),
        (lines.left("hasan"), "leave", "hasan", "", "", ""),
        (lines.no_such_user("zed"), "error", "", "", "", "no such user: zed"),
        (lines.unknown_command("dance"), "error", "", "", "", "unknown command /dance (try /help)"),
        (lines.ignoring("ali"), "command", "", "ali", "ignore", ""),
        (lines.no_longer_ignoring("ali"), "command", "", "ali", "unignore", ""),
        (lines.ignoring_list([]), "command", "", "", "ignore", ""),
        *((help_line, "command", "", "", "help", "") for help_line in lines.HELP),
        (lines.goodbye("bob"), "goodbye", "", "bob", "", ""),
        (lines.SHUTTING_DOWN, "shutdown", "", "", "", ""),
    ]
    for line, *_ in expected:
        soheil.to_client(lines.encode(line))
    unnamed = capture.connection(40001)
    unnamed.to_client(lines.encode(lines.PROMPT))
    unnamed.to_server(b"/QUIT\r\n")
    unnamed.to_client(lines.encode(lines.GOODBYE_UNNAMED))
    found = dissect(written(tmp_path, capture))
    keys = ("line", "kind", "sender", "target", "command", "text")
    assert pick(found[4:-3], *keys) == [tuple(row) for row in expected]
    assert pick(found[-3:], "direction", "kind", "command") == [
        ("to_client", "prompt", ""),
        ("to_server", "command", "quit"),
        ("to_client", "goodbye", ""),
    ]


def test_the_ignore_list_is_told_from_a_message_by_what_was_asked(tmp_path: Path) -> None:
    """ "ignoring: ali" answers /ignore; the same words from a user named ignoring are a message."""
    capture = Capture()
    soheil = registered(capture, 40000, "soheil")
    soheil.to_client(lines.encode("ignoring: ali"))
    soheil.to_server(b"/ignore\r\n")
    soheil.to_client(lines.encode(lines.ignoring_list(["ali"])))
    found = dissect(written(tmp_path, capture))
    assert pick(found[-3:], "kind", "sender", "command", "text") == [
        ("message", "ignoring", "", "ali"),
        ("command", "soheil", "ignore", ""),
        ("command", "", "ignore", "ali"),
    ]


def test_client_lines_are_a_name_then_messages_and_commands(tmp_path: Path) -> None:
    """The first line is the name (again after a refusal); then messages, // messages, commands."""
    capture = Capture()
    soheil = capture.connection(40000)
    soheil.to_client(lines.encode(lines.PROMPT))
    soheil.to_server(b"error\r\n")
    soheil.to_client(lines.encode_all([lines.error(lines.name_reserved("error")), lines.PROMPT]))
    soheil.to_server(b"soheil\n")
    soheil.to_client(lines.encode_all([lines.WELCOME, lines.online(["soheil"], 1)]))
    for typed in (
        b"  hello hasan how are you  ",
        b"//shrug",
        b"/msg bob hi there",
        b"/ME waves",
        b"/nick sohi",
        b"/who",
    ):
        soheil.to_server(typed + b"\n")
    found = dissect(written(tmp_path, capture))
    client = [line for line in found if line["direction"] == "to_server"]
    assert pick(client, "kind", "sender", "command", "target", "text") == [
        ("name", "error", "", "", ""),
        ("name", "soheil", "", "", ""),
        ("message", "soheil", "", "", "hello hasan how are you"),
        ("message", "soheil", "", "", "/shrug"),
        ("command", "soheil", "msg", "bob", "hi there"),
        ("command", "soheil", "me", "", "waves"),
        ("command", "soheil", "nick", "sohi", ""),
        ("command", "soheil", "who", "", ""),
    ]


def test_info_reads_like_the_chat(tmp_path: Path) -> None:
    """Info shows a message as "name: text" both ways, and joins one segment's lines with " | "."""
    capture = Capture()
    soheil = registered(capture, 40000, "soheil")
    hasan = registered(capture, 40001, "hasan")
    soheil.to_server(b"hello hasan how are you\r\n")
    hasan.to_client(lines.encode(lines.said("soheil", "hello hasan how are you")))
    path = written(tmp_path, capture)
    info = tshark(
        "-r", str(path), "-Y", "chatroom", "-T", "fields", "-e", "_ws.col.Info"
    ).splitlines()
    assert info[-2:] == ["soheil: hello hasan how are you"] * 2
    assert info[2] == "Chat with your friends and enjoy | online (3): ali, hasan, soheil"


def test_the_port_preference_and_decode_as(tmp_path: Path) -> None:
    """Another server port works by the preference or by Decode As, and the direction follows it."""
    capture = Capture()
    soheil = capture.connection(40000, server_port=6000)
    soheil.to_client(lines.encode(lines.PROMPT))
    soheil.to_server(b"soheil\r\n")
    path = written(tmp_path, capture)
    assert dissect(path) == []
    expected = [("to_client", "prompt"), ("to_server", "name")]
    assert pick(dissect(path, "-o", "chatroom.tcp_port:6000"), "direction", "kind") == expected
    assert pick(dissect(path, "-d", "tcp.port==6000,chatroom"), "direction", "kind") == expected


def test_fields_are_registered() -> None:
    """tshark -G fields lists the protocol and every field the contract names."""
    listed = tshark("-G", "fields")
    for field in ("kind", "sender", "text", "command", "target", "direction"):
        assert f"\tchatroom.{field}\t" in listed


@pytest.mark.skipif(DUMPCAP is None, reason="dumpcap is not installed (apt-get install tshark)")
def test_a_real_chat_of_three(tmp_path: Path) -> None:
    """A real daemon and three real clients, captured on lo: every line has its kind and fields."""
    path = tmp_path / "real.pcap"
    with running_daemon() as daemon:
        with capturing(daemon.port, path):
            ali, hasan, soheil = daemon.connect(), daemon.connect(), daemon.connect()
            ali.register("ali")
            hasan.line()
            hasan.send(b"hasan")  # the course's client: no line ending
            assert hasan.line() == lines.WELCOME
            hasan.lines(1)
            ali.line()
            soheil.register("soheil")
            ali.lines(1), hasan.lines(1)
            soheil.send("hello hasan how are you")
            assert ali.line() == hasan.line() == "soheil: hello hasan how are you"
            soheil.send("/msg ali see you at 6?")
            assert soheil.line() == "[private to ali] see you at 6?"
            assert ali.line() == "[private] soheil: see you at 6?"
            hasan.send(b"bye")
            assert soheil.line() == ali.line() == "hasan: bye"
            hasan.close()
            assert soheil.line() == ali.line() == "hasan has left the chatroom!"
            soheil.send("/quit")
            assert soheil.reader.until_closed() == ["Goodbye, soheil!"]
            assert ali.line() == "soheil has left the chatroom!"
        ali.close()
        soheil.close()
    found = dissect(path, "-d", f"tcp.port=={daemon.port},chatroom")
    streams = {line["stream"] for line in found}
    assert len(streams) == 3
    ali_stream, hasan_stream, soheil_stream = sorted(streams, key=int)
    keys = ("direction", "kind", "sender", "target", "command", "text")

    def of(stream: str) -> list[tuple[str, ...]]:
        return pick([line for line in found if line["stream"] == stream], *keys)

    assert of(soheil_stream) == [
        ("to_client", "prompt", "", "", "", ""),
        ("to_server", "name", "soheil", "", "", ""),
        ("to_client", "welcome", "", "", "", ""),
        ("to_client", "online", "", "", "", "ali, hasan, soheil"),
        ("to_server", "message", "soheil", "", "", "hello hasan how are you"),
        ("to_server", "command", "soheil", "ali", "msg", "see you at 6?"),
        ("to_client", "private_to", "soheil", "ali", "", "see you at 6?"),
        ("to_client", "message", "hasan", "", "", "bye"),
        ("to_client", "leave", "hasan", "", "", ""),
        ("to_server", "command", "soheil", "", "quit", ""),
        ("to_client", "goodbye", "", "soheil", "", ""),
    ]
    assert of(hasan_stream) == [
        ("to_client", "prompt", "", "", "", ""),
        ("to_server", "name", "hasan", "", "", ""),
        ("to_client", "welcome", "", "", "", ""),
        ("to_client", "online", "", "", "", "ali, hasan"),
        ("to_client", "join", "soheil", "", "", ""),
        ("to_client", "message", "soheil", "", "", "hello hasan how are you"),
        ("to_server", "message", "hasan", "", "", "bye"),
    ]
    assert of(ali_stream)[-4:] == [
        ("to_client", "private_from", "soheil", "ali", "", "see you at 6?"),
        ("to_client", "message", "hasan", "", "", "bye"),
        ("to_client", "leave", "hasan", "", "", ""),
        ("to_client", "leave", "soheil", "", "", ""),
    ]

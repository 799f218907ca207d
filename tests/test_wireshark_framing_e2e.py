"""
``etc/wireshark/chatroom.lua`` in real tshark, framing: lines split over
segments or sharing one, every line end, telnet commands, a client that
never ends its lines or sends its name before the prompt, and a second
pass over the same frames, on captures written segment by segment
(``tests/pcap.py``) so that each case is on the wire exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chat import lines
from tests.pcap import Capture, registered, written
from tests.tshark import TSHARK, dissect, pick, tshark

pytestmark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not installed (apt-get install tshark)"
)


def test_a_name_sent_before_the_prompt_is_not_asked_again(tmp_path: Path) -> None:
    """A client that sends its name before the prompt arrives (a pipe) is still named once."""
    capture = Capture()
    soheil = capture.connection(40000)
    soheil.to_server(b"soheil\nhello\n")
    soheil.to_client(lines.encode_all([lines.PROMPT, lines.WELCOME, lines.online(["soheil"], 1)]))
    soheil.to_server(b"later\n")
    found = [
        line for line in dissect(written(tmp_path, capture)) if line["direction"] == "to_server"
    ]
    assert pick(found, "kind", "sender", "text") == [
        ("name", "soheil", ""),
        ("message", "soheil", "hello"),
        ("message", "soheil", "later"),
    ]


def test_control_characters_are_taken_out(tmp_path: Path) -> None:
    """A line's text loses its control characters and its TAB becomes a space, as on the server."""
    capture = Capture()
    soheil = registered(capture, 40000, "soheil")
    soheil.to_server(b"\x1b[31mred\x1b[0m\tall\x7f\xc2\x9b\n")
    found = dissect(written(tmp_path, capture))
    assert pick(found[-1:], "kind", "text", "line") == [
        ("message", "[31mred[0m all", "[31mred[0m all")
    ]


def test_framing_across_and_within_segments(tmp_path: Path) -> None:
    """Lines split over segments are reassembled; each line end of docs/protocol.md §1 ends one."""
    capture = Capture()
    soheil = registered(capture, 40000, "soheil")
    soheil.to_server(b"hello ")
    soheil.to_server(b"hasan how are you\r\n")
    soheil.to_server(b"one\ntwo\r\nthree\r\0four\rfive\r")
    soheil.to_server(b"\nsix\r")
    soheil.to_server(b"\0")
    soheil.to_server(b"\xff\xfb\x01se\xff\xfa\x18\x00xterm\xff\xf0ven\xff")
    soheil.to_server(b"\xfd\x03\r\n")
    soheil.to_client(b"hasan: i am fi")
    soheil.to_client(b"ne\r")
    soheil.to_client(b"\nali: me too\r\n")
    found = dissect(written(tmp_path, capture))[4:]
    assert pick(found, "direction", "text", "frame") == [
        ("to_server", "hello hasan how are you", "8"),
        *(("to_server", word, "9") for word in ("one", "two", "three", "four", "five")),
        ("to_server", "six", "10"),
        ("to_server", "seven", "13"),
        ("to_client", "i am fine", "15"),
        ("to_client", "me too", "16"),
    ]


def test_a_client_that_never_ends_its_lines_sends_a_line_a_segment(tmp_path: Path) -> None:
    """Until a line end or telnet command, a segment without a line end is a line; then none is."""
    capture = Capture()
    hasan = capture.connection(40000)
    hasan.to_client(lines.encode(lines.PROMPT))
    hasan.to_server(b"hasan")
    hasan.to_client(lines.encode_all([lines.WELCOME, lines.online(["hasan"], 1)]))
    hasan.to_server(b"hello")
    hasan.to_server(b"/msg ali hi")
    hasan.to_server(b"framed\nnow wai")
    hasan.to_server(b"ts\n")
    telnet = capture.connection(40001)
    telnet.to_server(b"\xff\xfd\x01")
    telnet.to_server(b"soh")
    telnet.to_server(b"eil\r\n")
    found = [
        line for line in dissect(written(tmp_path, capture)) if line["direction"] == "to_server"
    ]
    assert pick(found, "kind", "text", "target", "unframed", "telnet") == [
        ("name", "", "", "1", ""),
        ("message", "hello", "", "1", ""),
        ("command", "hi", "ali", "1", ""),
        ("message", "framed", "", "", ""),
        ("message", "now waits", "", "", ""),
        ("", "", "", "", "ff:fd:01"),
        ("name", "", "", "", ""),
    ]
    assert found[-1]["sender"] == "soheil"


def test_two_passes_dissect_as_one(tmp_path: Path) -> None:
    """A second dissection of each frame (tshark -2, the GUI) shows what the first did."""
    capture = Capture()
    soheil = registered(capture, 40000, "soheil")
    soheil.to_server(b"hel")
    soheil.to_server(b"lo\r")
    soheil.to_server(b"\nnext\n")
    hasan = capture.connection(40001)
    hasan.to_server(b"hasan")
    hasan.to_server(b"hello\n")
    path = written(tmp_path, capture)
    once = dissect(path)
    assert pick(once[-2:], "kind", "sender", "text") == [
        ("name", "hasan", ""),
        ("message", "hasan", "hello"),
    ]
    assert dissect(path, "-2") == once


def test_a_segment_of_telnet_commands_alone_says_so_in_info(tmp_path: Path) -> None:
    """Info names a segment that holds telnet commands and no line, instead of TCP's summary."""
    capture = Capture()
    telnet = capture.connection(40000)
    telnet.to_client(lines.encode(lines.PROMPT))
    telnet.to_server(b"\xff\xfd\x03\xff\xfd\x01")
    telnet.to_server(b"\xff\xfb\x18soheil\r\n")
    info = tshark(
        "-r",
        str(written(tmp_path, capture)),
        "-Y",
        "chatroom",
        "-T",
        "fields",
        "-e",
        "_ws.col.Info",
    ).splitlines()
    assert info == ["Please enter your name:", "telnet commands", "soheil"]

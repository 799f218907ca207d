"""
docs/wireshark.md checked against real tshark: its install steps, and each
``tshark -r chat.pcapng`` command run as written on a capture of the page's
chat, written segment by segment (``tests/pcap.py``). Frame numbers depend
on which ACKs travel alone, and the addresses on the machine, so those are
left out of the comparison; every other column must be what the page shows.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from chat import lines
from tests.pcap import Capture, Connection
from tests.tshark import TSHARK
from tests.wire import ROOT, WAIT

pytestmark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not installed (apt-get install tshark)"
)

PAGE = ROOT / "docs" / "wireshark.md"
EVERYONE = ["ali", "hasan", "soheil"]


def examples() -> list[tuple[str, list[str]]]:
    """Each indented ``tshark -r chat.pcapng`` command of the page and the block shown after it."""
    page = PAGE.read_text().splitlines()
    found = []
    for number, line in enumerate(page):
        if not line.startswith("    tshark -r chat.pcapng"):
            continue
        shown: list[str] = []
        rest = page[number + 1 :]
        while rest and rest[0] == "":
            rest = rest[1:]
        while rest and (rest[0].startswith("    ") or rest[0] == ""):
            shown.append(rest[0][4:])
            rest = rest[1:]
        while shown and shown[-1] == "":
            shown.pop()
        found.append((line[4:], shown))
    return found


def the_pages_chat(path: Path) -> None:
    """The page's chat: ali, hasan and soheil from the page's client ports; hasan quits."""
    capture = Capture()
    clients: dict[str, Connection] = {}
    for number, (name, port) in enumerate(zip(EVERYONE, (44706, 44720, 54208), strict=True), 1):
        client = clients[name] = capture.connection(port)
        client.to_client(lines.encode(lines.PROMPT))
        client.to_server(f"{name}\n".encode())
        client.to_client(lines.encode_all([lines.WELCOME, lines.online(EVERYONE[:number], number)]))
        for earlier in EVERYONE[: number - 1]:
            clients[earlier].to_client(lines.encode(lines.joined(name)))
    ali, hasan, soheil = (clients[name] for name in EVERYONE)
    soheil.to_server(b"hello hasan how are you\n")
    for other in (ali, hasan):
        other.to_client(lines.encode(lines.said("soheil", "hello hasan how are you")))
    hasan.to_server(b"fine thanks\n")
    for other in (ali, soheil):
        other.to_client(lines.encode(lines.said("hasan", "fine thanks")))
    soheil.to_server(b"/msg ali see you at 6?\n")
    soheil.to_client(lines.encode(lines.private_to("ali", "see you at 6?")))
    ali.to_client(lines.encode(lines.private_from("soheil", "see you at 6?")))
    hasan.to_server(b"/quit\n")
    hasan.to_client(lines.encode(lines.goodbye("hasan")))
    hasan.close()
    for other in (ali, soheil):
        other.to_client(lines.encode(lines.left("hasan")))
    for other in (ali, soheil):
        other.to_client(lines.encode(lines.SHUTTING_DOWN))
    capture.write(path)


def run(command: str, cwd: Path, home: Path) -> list[str]:
    """A command of the page in bash, as a reader types it; its standard output's lines."""
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        cwd=cwd,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, (command, done.stderr)
    assert "Lua" not in done.stderr, done.stderr
    return done.stdout.strip("\n").splitlines()


def comparable(shown: list[str]) -> list[str]:
    """Lines without what a capture decides: a leading frame number, the follow's addresses."""
    return [re.sub(r"^\d+\t", "", line) for line in shown if not line.startswith("Node ")]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home whose personal plugins folder holds the dissector, by the page's install steps."""
    home = tmp_path / "home"
    home.mkdir()
    install = PAGE.read_text().split("## Install the dissector")[1].split("which prints")[0]
    steps = [line[4:] for line in install.splitlines() if line.startswith("    ")]
    assert run(" && ".join(steps), ROOT, home) == ["Chatroom chat protocol\tCHATROOM\tchatroom"]
    return home


def test_the_pages_commands_print_what_it_shows(tmp_path: Path, home: Path) -> None:
    """Every tshark command of docs/wireshark.md prints the page's columns on the page's chat."""
    the_pages_chat(tmp_path / "chat.pcapng")
    shown = examples()
    assert len(shown) >= 10
    for command, expected in shown:
        printed = run(command, tmp_path, home)
        if "| tail" in command:
            continue  # which ACKs travel alone is up to the clients' timing
        assert comparable(printed) == comparable(expected), command

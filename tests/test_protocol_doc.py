"""docs/protocol.md, the project's wire reference, names every line the server sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat import lines

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text("utf-8")

FIXED = [
    lines.PROMPT,
    lines.WELCOME,
    lines.SHUTTING_DOWN,
    lines.GOODBYE_UNNAMED,
    *lines.HELP,
    lines.SERVER_FULL,
    lines.TOO_MANY_FROM_ADDRESS,
    lines.TOO_MANY_NEW_FROM_ADDRESS,
    lines.IGNORING_YOURSELF,
    lines.error(lines.NAME_EMPTY),
    lines.error(lines.NAME_NEEDS_LETTER),
    lines.error(lines.NAME_NON_JOINER),
    lines.error(lines.NAME_INVISIBLE),
    lines.error(lines.NAME_MIXES_SCRIPTS),
    lines.error(lines.NAME_MIXES_DIGITS),
    lines.CUT_OFF,
    lines.BACK,
    lines.error(lines.NAME_CUT_OFF),
    lines.LINES_LOST,
]

MADE = [
    lines.joined("soheil"),
    lines.left("soheil"),
    lines.said("soheil", "hello this is soheil"),
    lines.acted("soheil", "waves"),
    lines.renamed("soheil", "NEW"),
    lines.now_known_as("NEW"),
    lines.ignoring("NAME"),
    lines.no_longer_ignoring("NAME"),
    lines.private_to("ali", "hi"),
    lines.private_from("soheil", "hi"),
    lines.goodbye("soheil"),
    lines.online(["ali", "hasan", "soheil"], 3),
    lines.unknown_command("dance"),
    lines.usage("/nick NEW"),
    lines.usage("/me ACTION"),
    lines.usage("/msg NAME TEXT"),
    lines.no_such_user("ali"),
    lines.ignoring_list(["ali", "hasan"]),
    lines.ignoring_list([]),
    lines.ignoring_too_many(100),
    lines.line_too_long(1024),
    lines.registration_timeout(60),
    lines.error(lines.name_too_long(32)),
    lines.error(lines.name_reserved("error")),
    lines.error(lines.name_taken("soheil")),
    lines.error(lines.name_looks_like("ѕоһеіӏ", "soheil")),
    lines.not_sent("hello"),
    lines.maybe_not_sent("hello"),
    lines.name_lost("soheil"),
]


@pytest.mark.parametrize("line", FIXED + MADE)
def test_line_in_the_reference(line: str) -> None:
    """Each line the server can send stands in docs/protocol.md word for word."""
    assert line in DOC

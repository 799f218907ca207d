"""
Write ``chat/data/confusables.txt``, the table behind name skeletons, from
Unicode's ``confusables.txt`` (UTS #39, Unicode Security Mechanisms).

    python3 tools/make_confusables.py path/to/confusables.txt > chat/data/confusables.txt

The table keeps, for each source character, the code points of its
prototype, in hex: ``SOURCE<TAB>PROTOTYPE...``. The header says which
Unicode version and file it came from, so a reader can check it against
the original. Nothing is added, dropped or changed.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator


def header(lines: Iterable[str]) -> Iterator[str]:
    """The source's date and version lines, for the table's header."""
    for line in lines:
        if line.startswith(("# Date:", "# Version:")):
            yield line.rstrip("\n")


def entries(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(source, prototype) pairs, in hex, as the source lists them."""
    for line in lines:
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        source, prototype, kind = (field.strip() for field in data.split(";"))
        if kind != "MA":
            raise ValueError(f"unexpected mapping type {kind!r} in {line!r}")
        yield source, prototype


def main(path: str) -> None:
    with open(path, "rb") as source:
        raw = source.read()
    lines = raw.decode("utf-8-sig").splitlines(keepends=True)
    pairs = list(entries(lines))
    out = sys.stdout
    out.write("# UTS #39 confusables: source code point, then its prototype's code points.\n")
    out.write("# Made by tools/make_confusables.py from Unicode's confusables.txt:\n")
    for line in header(lines):
        out.write(line + "\n")
    out.write(f"# sha256 of the source: {hashlib.sha256(raw).hexdigest()}\n")
    out.write(f"# {len(pairs)} entries\n")
    for source, prototype in pairs:
        out.write(f"{source}\t{prototype}\n")


if __name__ == "__main__":
    main(sys.argv[1])

"""
The release check: the built wheel carries the twistd plugin, and twistd
finds it there from any directory (a lost ``twisted.plugins`` entry must
not ship); its ``chatroom-client`` command runs (a lost ``chat.client``
package must not ship either).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.wire import ROOT, WAIT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=WAIT * 12,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    (built,) = out.glob("chatroom-*.whl")
    return built


def test_wheel_contents(wheel: Path) -> None:
    """The wheel has the package, its data and the plugin, and no twisted/__init__.py."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "twisted/plugins/chatroom.py" in names
    assert "chat/protocol.py" in names
    assert "chat/client/main.py" in names
    assert "chat/data/confusables.txt" in names
    assert "twisted/__init__.py" not in names
    assert "twisted/plugins/__init__.py" not in names


def test_license(wheel: Path) -> None:
    """The wheel carries the MIT LICENSE file and names it in its metadata."""
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    (license_file,) = [n for n in names if ".dist-info/" in n and n.endswith("/LICENSE")]
    assert archive.read(license_file).decode().startswith("MIT License\n")
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    fields = archive.read(metadata).decode().split("\n\n", 1)[0].splitlines()
    assert "License: MIT" in fields
    assert "License-File: LICENSE" in fields


def test_console_scripts(wheel: Path) -> None:
    """The wheel declares the client and the benchmark commands."""
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
    text = archive.read(entry_points).decode()
    assert "chatroom-client = chat.client.main:main" in text
    assert "chatroom-bench = chat.bench.main:main" in text


def test_bench_package(wheel: Path) -> None:
    """The wheel holds the chat.bench package that chatroom-bench runs."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "chat/bench/__init__.py" in names
    assert "chat/bench/main.py" in names


def test_installed_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    """Installed from the wheel in a fresh venv, twistd lists chatroom; both commands run."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=WAIT * 6)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        timeout=WAIT * 18,
        stdin=subprocess.DEVNULL,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}

    def installed(program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        """A program of the fresh venv, run from another directory."""
        return subprocess.run(
            [str(venv / "bin" / program), *arguments],
            capture_output=True,
            text=True,
            cwd=elsewhere,
            env=environment,
            timeout=WAIT * 3,
        )

    listing = installed("twistd", "--help")
    assert any(line.split()[:1] == ["chatroom"] for line in listing.stdout.splitlines())
    found = installed("python", "-c", "import twisted.plugins.chatroom as p; print(p.__file__)")
    assert found.stdout.startswith(str(venv)), found.stdout + found.stderr
    version = installed("chatroom-client", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.split()[0] == "chatroom-client", version.stdout
    bench = installed("chatroom-bench", "--help")
    assert bench.returncode == 0, bench.stderr
    assert "chatroom-bench" in bench.stdout, bench.stdout

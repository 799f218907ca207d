"""
Tests for ``chat.client.connect``: ``--ca`` addresses and CA files, without a network.
"""

from __future__ import annotations

import os
import tempfile

from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from chat.client.errors import ClientError
from chat.client.main import chat
from tests.client_harness import options, usage_error


class ConnectTests(SynchronousTestCase):
    """Where the client connects with ``--ca``, and what a bad CA file reads as."""

    def test_ca_with_connect(self) -> None:
        """--ca takes HOST and PORT from --connect tls:, positional or named, escapes undone."""
        for description, address in [
            ("tls:chat.example.org:5443", ("chat.example.org", 5443)),
            ("tls:host=chat.example.org:port=5443", ("chat.example.org", 5443)),
            ("tls:\\:\\:1:5443", ("::1", 5443)),
        ]:
            self.assertEqual(options("--ca", "ca.pem", "--connect", description)["tls"], address)

    def test_ca_not_tls(self) -> None:
        """--ca with a description that is not a plain tls:HOST:PORT is a usage error."""
        for description in [
            "tcp:localhost:5050",
            "tls:localhost",
            "tls:localhost:5443:trustRoots=/etc/ssl/certs",
        ]:
            problem = usage_error("--ca", "ca.pem", "--connect", description)
            self.assertIn("--ca needs --connect tls:HOST:PORT", problem)

    def chat_with_ca(self, path: str) -> str:
        done = defer.ensureDeferred(
            chat(MemoryReactorClock(), options("--ca", path, "localhost", "5443"), None)  # type: ignore[arg-type]
        )
        return str(self.failureResultOf(done, ClientError).value)

    def temporary_path(self) -> str:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        return os.path.join(directory.name, "ca.pem")

    def test_missing_ca_file(self) -> None:
        """A CA file that cannot be read is one line naming it."""
        missing = self.temporary_path()
        self.assertEqual(
            self.chat_with_ca(missing), f"cannot read {missing}: No such file or directory"
        )

    def test_not_a_certificate(self) -> None:
        """A CA file without a PEM certificate is one line naming it."""
        path = self.temporary_path()
        with open(path, "w") as garbage:
            garbage.write("not a certificate\n")
        self.assertEqual(self.chat_with_ca(path), f"{path} holds no PEM certificate")

"""
Tests for ``chat.client.options``: the command line of ``chatroom-client``.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.client_harness import options, usage_error


class OptionsTests(SynchronousTestCase):
    """The command line."""

    def test_defaults(self) -> None:
        """With no arguments the client connects to localhost 5050 over TCP."""
        self.assertEqual(options()["endpoint"], "tcp:host=localhost:port=5050")

    def test_host_and_port(self) -> None:
        """HOST and PORT, an IPv6 address included, make a TCP endpoint."""
        self.assertEqual(options("::1", "6000")["endpoint"], "tcp:host=\\:\\:1:port=6000")

    def test_connect(self) -> None:
        """--connect takes any client endpoint description as is."""
        self.assertEqual(
            options("--connect", "tls:chat.example.org:5443")["endpoint"],
            "tls:chat.example.org:5443",
        )

    def test_bad_port(self) -> None:
        """A port that is not a number is a usage error, exit status 2."""
        self.assertIn("not a port number: http", usage_error("localhost", "http"))

    def test_unknown_option(self) -> None:
        """An unknown option is a usage error, exit status 2."""
        usage_error("--colour")

    def test_connect_and_host(self) -> None:
        """--connect and HOST together are ambiguous, so refused."""
        usage_error("--connect", "tcp:localhost:5050", "otherhost")

    def test_next_free_name_needs_name(self) -> None:
        """--next-free-name alone has no name to number."""
        usage_error("--next-free-name")

    def test_ca_with_host_and_port(self) -> None:
        """With HOST PORT, --ca means TLS to that address."""
        self.assertEqual(
            options("--ca", "ca.pem", "chat.example.org", "5443")["tls"], ("chat.example.org", 5443)
        )

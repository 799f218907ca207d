"""
Tests for ``chat.client.errors``: how a failed or lost connection reads.
"""

from __future__ import annotations

from twisted.internet import error
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from chat.client.errors import describe_connect_failure, describe_loss


class ErrorTests(SynchronousTestCase):
    """Each way a connection ends badly, in the user's words."""

    def test_reset_is_connection_lost(self) -> None:
        """A reset connection reads as "connection lost"."""
        self.assertEqual(describe_loss(Failure(error.ConnectionLost())), "connection lost")

    def test_connect_failure_reasons(self) -> None:
        """Each way a connection fails is named in plain words, without a traceback."""
        self.assertEqual(
            [
                describe_connect_failure(error.TimeoutError()),
                describe_connect_failure(error.NoRouteError()),
                describe_connect_failure(error.ConnectError(2, "No such file or directory")),
                describe_connect_failure(error.ConnectError(2)),
            ],
            [
                "timed out",
                "no route to host",
                "no such file or directory",
                "no such file or directory",
            ],
        )

"""
Tests for ``chat.client.pipe``: the front end for scripts, over fakes.
"""

from __future__ import annotations

from twisted.internet import error
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from chat.client.pipe import PipeFront
from chat.client.session import PARTIAL_LINE_PAUSE, ChatClient
from tests.client_harness import PROMPT, SALAM, connect


class FakeStdio(StringTransport):
    """Standard input and output: records output, reports closing."""

    def __init__(self, front: PipeFront) -> None:
        super().__init__()
        self.front = front

    def loseConnection(self) -> None:
        super().loseConnection()
        self.front.connectionLost(Failure(error.ConnectionDone()))


class PipeFrontTests(SynchronousTestCase):
    """The front end for scripts: standard input in, standard output out."""

    def setUp(self) -> None:
        self.clock = MemoryReactorClock()
        self.client = ChatClient(self.clock)
        self.network = connect(self.client)
        self.front = PipeFront(self.client, self.clock)
        self.stdio = FakeStdio(self.front)
        self.front.makeConnection(self.stdio)
        self.client.attach(self.front.show)

    def test_input_lines_sent(self) -> None:
        """Each input line is sent, a CR before the LF dropped."""
        self.front.dataReceived(b"soheil\r\nhello\n")
        self.assertEqual(self.network.value(), b"soheil\nhello\n")

    def test_server_lines_printed(self) -> None:
        """Server lines are written to standard output ending in LF."""
        self.client.dataReceived(PROMPT + f"ali: {SALAM}\r\n".encode())
        self.assertEqual(self.stdio.value(), f"Please enter your name:\nali: {SALAM}\n".encode())

    def test_end_of_input_quits(self) -> None:
        """End of input sends a last unterminated line, then /quit."""
        self.front.dataReceived(b"soheil\nbye")
        self.front.readConnectionLost()
        self.assertEqual(self.network.value(), b"soheil\nbye\n/quit\n")
        self.assertTrue(self.client.quitting)

    def test_partial_line_printed_after_a_pause(self) -> None:
        """Text from the server with no line ending is printed as a line after the pause."""
        self.client.dataReceived(b"Please enter your name: ")
        self.assertEqual(self.stdio.value(), b"")
        self.clock.advance(PARTIAL_LINE_PAUSE)
        self.assertEqual(self.stdio.value(), b"Please enter your name: \n")

    def test_close_flushes(self) -> None:
        """Closing the front end waits for standard output to be closed."""
        closed = self.front.close()
        self.assertTrue(self.stdio.disconnecting)
        self.assertIsNone(self.successResultOf(closed))

    def test_close_bounded(self) -> None:
        """A standard output nobody reads does not hold the exit forever."""
        front = PipeFront(self.client, self.clock)
        front.makeConnection(StringTransport())
        closed = front.close()
        self.assertNoResult(closed)
        self.clock.advance(PipeFront.FLUSH_TIMEOUT)
        self.assertIsNone(self.successResultOf(closed))

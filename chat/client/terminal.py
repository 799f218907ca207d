"""
The terminal front end of ``chatroom-client``: a line editor on Twisted's
own terminal toolkit (``twisted.conch.insults``), so that a line arriving
from the server is printed above the line being typed instead of through it.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import termios
import tty
from collections.abc import Iterator

from twisted.conch.insults import insults
from twisted.conch.recvline import HistoricRecvLine
from twisted.internet import defer
from twisted.internet.interfaces import IReactorFDSet, IReactorFromThreads, IReactorTime
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure

from chat.client.front import Front, Session, bounded

CTRL_A = b"\x01"
CTRL_C = b"\x03"
CTRL_D = b"\x04"
CTRL_E = b"\x05"
CTRL_H = b"\x08"
CTRL_U = b"\x15"


class ChatLine(HistoricRecvLine):
    """
    The input line at the bottom, with history on the arrow keys; server
    lines and the user's own sent lines scroll up above it.
    """

    ps = (b"> ", b"> ")
    FLUSH_TIMEOUT = 2.0

    def __init__(self, client: Session, clock: IReactorTime, width: int = 80) -> None:
        self.client = client
        self.clock = clock
        self.width = width
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._lost: defer.Deferred[None] = defer.Deferred()

    def connectionMade(self) -> None:
        super().connectionMade()
        self.keyHandlers.update(
            {
                CTRL_C: self.client.quit,
                CTRL_D: self.handle_CTRL_D,
                CTRL_A: self.handle_HOME,
                CTRL_E: self.handle_END,
                CTRL_H: self.handle_BACKSPACE,
                CTRL_U: self.handle_CTRL_U,
            }
        )

    def initializeScreen(self) -> None:
        """Unlike RecvLine, keep what is on screen: no terminal reset."""
        self.terminal.write(self.ps[self.pn])
        self.setInsertMode()

    def keystrokeReceived(self, keyID: bytes | object, modifier: object) -> None:
        """Accept UTF-8 input one character at a time, not just ASCII."""
        if isinstance(keyID, bytes) and len(keyID) == 1 and keyID[0] >= 0x80:
            character = self._decoder.decode(keyID)
            if character:
                self.characterReceived(character.encode("utf-8"), False)
            return
        super().keystrokeReceived(keyID, modifier)

    def _deliverBuffer(self, buf: bytes) -> None:
        """History recall, one whole (possibly multi-byte) character at a time."""
        for character in buf.decode("utf-8", "replace"):
            self.characterReceived(character.encode("utf-8"), False)

    def handle_CTRL_D(self) -> None:
        """On an empty line Ctrl-D quits, as in a shell; else it deletes."""
        if self.lineBuffer:
            self.handle_DELETE()
        else:
            self.client.quit()

    def handle_CTRL_U(self) -> None:
        """Forget the whole input line."""
        self._erase_input()
        self.lineBuffer = []
        self.lineBufferIndex = 0
        self.drawInputLine()

    def lineReceived(self, line: bytes) -> None:
        """The typed line stays on screen as part of the transcript."""
        self.client.send_line(line.decode("utf-8", "replace"))
        self.drawInputLine()

    def show(self, line: str) -> None:
        """Print a server line above the input line, then redraw the latter."""
        self._erase_input()
        self.terminal.write(line.encode("utf-8") + b"\n")
        self.drawInputLine()
        behind = len(self.lineBuffer) - self.lineBufferIndex
        if behind:
            self.terminal.cursorBackward(behind)

    def _erase_input(self) -> None:
        """Wipe the input line, including rows it wrapped onto."""
        rows_above = (len(self.ps[self.pn]) + self.lineBufferIndex) // max(self.width, 1)
        if rows_above:
            self.terminal.cursorUp(rows_above)
        self.terminal.write(b"\r")
        self.terminal.eraseToDisplayEnd()

    def terminalSize(self, width: int, height: int) -> None:
        """Unlike RecvLine, keep the transcript: only remember the size."""
        self.width = width
        self.height = height

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self._lost.called:
            self._lost.callback(None)

    def close(self) -> defer.Deferred[None]:
        """Leave the terminal as we found it: no input line, no insert mode."""
        self._erase_input()
        self.terminal.resetModes([insults.modes.IRM])
        # Not self.terminal.loseConnection(): that resets (clears) the screen.
        self.terminal.transport.loseConnection()
        return bounded(self.clock, self._lost, self.FLUSH_TIMEOUT)


def start_terminal(reactor: IReactorTime, client: Session) -> Front:
    """Run the line editor over standard input and output."""
    from twisted.internet import stdio

    width = os.get_terminal_size(1).columns if os.isatty(1) else 80
    editor = ChatLine(client, reactor, width)
    stdio.StandardIO(insults.ServerProtocol(lambda: editor), reactor=IReactorFDSet(reactor))
    threads = IReactorFromThreads(reactor)

    def resized(signum: int, frame: object) -> None:
        size = os.get_terminal_size(1)
        threads.callFromThread(editor.terminalSize, size.columns, size.lines)

    signal.signal(signal.SIGWINCH, resized)
    return editor


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """
    Raw input (every key at once, Ctrl-C as a key, no echo) for the editor,
    with output still turning ``\\n`` into ``\\r\\n``; the old mode comes back
    on every way out.
    """
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    mode = termios.tcgetattr(fd)
    mode[tty.OFLAG] |= termios.OPOST | termios.ONLCR
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
        for descriptor in (0, 1, 2):
            with contextlib.suppress(OSError):
                os.set_blocking(descriptor, True)

"""
``chatroom-client``: the chat daemon's own client.

In a pipe it copies standard input to the server and every server line to
standard output, so chatting from a script is one ``printf`` away; in a
terminal it hands the screen to a line editor (``chat.client_terminal``) so
incoming lines never garble the line being typed.  The wire protocol, the
name prompt and the ways a session ends live in ``ChatClient``, which knows
nothing about either front end.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import IO, ClassVar, NoReturn, Protocol, TypeGuard

from twisted.internet import defer, error, task
from twisted.internet.endpoints import (
    HostnameEndpoint,
    clientFromString,
    connectProtocol,
    wrapClientTLS,
)
from twisted.internet.interfaces import (
    IDelayedCall,
    IHalfCloseableProtocol,
    IReactorCore,
    IReactorFDSet,
    IReactorTime,
    IStreamClientEndpoint,
    ITransport,
)
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python import usage
from twisted.python.failure import Failure
from zope.interface import implementer

from chat.lines import PROMPT, WELCOME
from chat.sockets import ISocketTransport
from chat.text import strip_controls as clean

PROGRAM = "chatroom-client"
QUIT = "/quit"
QUIT_TIMEOUT = 5.0
"""Seconds to wait for the server to close after ``/quit``..."""
SERVER_RATE = 5.0
"""... plus one second per this many lines sent: the server's default
``--rate`` delays a flood of lines instead of dropping them, and the /quit
comes last in the queue."""
PARTIAL_LINE_PAUSE = 0.5
"""Seconds of silence after which text the server sent without a line
ending is shown as a line: some servers never end their lines."""

_TAKEN = re.compile(r"\b(taken|in use)\b", re.IGNORECASE)

log = Logger()


def candidate_names(name: str) -> Iterator[str]:
    """The name itself, then ``name2``, ``name3``, ... for a taken name."""
    yield name
    number = 2
    while True:
        yield f"{name}{number}"
        number += 1


class ClientError(Exception):
    """A session ended badly; the message is the one line the user sees."""


class NotConnected(ClientError):
    """The connection was made but TLS failed on it: it never carried a line."""


class Front(Protocol):
    """What the session needs from a front end (the pipe or the terminal)."""

    def show(self, line: str) -> None:
        """Put one line from the server in front of the user."""

    def close(self) -> defer.Deferred[None]:
        """Flush what is left for the user; fire once that is done."""


class ChatClient(LineReceiver):
    """
    One chat session: answers the name prompt if told a name, sends the
    user's lines, shows every server line (and text sent with no line
    ending, once the server pauses), and tells how the session ended.

    ``ended`` fires with None after a ``/quit``, or fails with a
    ``ClientError`` when the connection ends any other way.
    """

    delimiter = b"\n"
    MAX_LENGTH = 1 << 20
    transport: ISocketTransport

    def __init__(
        self,
        clock: IReactorTime,
        name: str | None = None,
        next_free_name: bool = False,
        quit_timeout: float = QUIT_TIMEOUT,
    ) -> None:
        self.clock = clock
        self.name = name
        self.next_free_name = next_free_name
        self.quit_timeout = quit_timeout
        self.ended: defer.Deferred[None] = defer.Deferred()
        self.registered = False
        self.quitting = False
        self.heard_from_server = False
        self._names = candidate_names(name) if name else None
        self._answer_prompt = name is not None
        self._tried: str | None = None
        self._pending: list[str] = []
        self._backlog: list[str] = []
        self._show: Callable[[str], None] = self._backlog.append
        self._last_error: str | None = None
        self._problem: ClientError | None = None
        self._quit_call: IDelayedCall | None = None
        self._partial_call: IDelayedCall | None = None
        self._partial_shown = False
        self._closed = False
        self._sent = 0

    def attach(self, show: Callable[[str], None]) -> None:
        """Send server lines to ``show``, starting with any that came early."""
        self._show = show
        backlog, self._backlog = self._backlog, []
        for line in backlog:
            show(line)

    def dataReceived(self, data: bytes) -> None:
        """Each line as it ends; text with no line ending once the server pauses."""
        self._cancel_partial()
        if self._partial_shown:
            # A line ending right after a part shown already ends that line.
            self._partial_shown = False
            for ending in (b"\r\n", b"\n"):
                if data.startswith(ending):
                    data = data[len(ending) :]
                    break
        super().dataReceived(data)
        if data and not data.endswith(self.delimiter) and not self.transport.disconnecting:
            self._partial_call = self.clock.callLater(PARTIAL_LINE_PAUSE, self._show_partial)

    def _show_partial(self) -> None:
        """The server paused in mid-line: what it sent of the line is a line."""
        self._partial_call = None
        rest = self.clearLineBuffer()
        if rest:
            self._partial_shown = True
            self.lineReceived(rest)

    def _cancel_partial(self) -> None:
        if self._partial_call is not None and self._partial_call.active():
            self._partial_call.cancel()
        self._partial_call = None

    def _show_line(self, line: bytes) -> str:
        self.heard_from_server = True
        text = clean(line.rstrip(b"\r").decode("utf-8", "replace"))
        self._show(text)
        return text

    def lineReceived(self, line: bytes) -> None:
        text = self._show_line(line)
        if self.registered:
            return
        if text == WELCOME:
            self.registered = True
            pending, self._pending = self._pending, []
            for queued in pending:
                self._send(queued)
        elif text.startswith("error: "):
            self._last_error = text
            if self._tried is not None:
                self._name_refused(text)
        elif text == PROMPT and self._answer_prompt and self._names is not None:
            self._answer_prompt = False
            self._tried = next(self._names)
            self._send(self._tried)

    def _name_refused(self, text: str) -> None:
        """Try the next free name if asked to, else end: nobody is typing."""
        if self.next_free_name and _TAKEN.search(text):
            self._answer_prompt = True
            return
        reason = text.removeprefix("error: ")
        self._problem = ClientError(f"the name {self._tried} was refused: {reason}")
        self.transport.loseConnection()

    def send_line(self, text: str) -> None:
        """
        Send one line the user wrote; held back while the name given on
        the command line is still being registered, so it is not taken for
        a name.
        """
        if self.quitting or self._closed:
            return
        if self._names is not None and not self.registered:
            self._pending.append(text)
        else:
            self._send(text)
        if text.strip().lower() == QUIT:
            self._start_quitting()

    def quit(self) -> None:
        """Leave the way a user does, with ``/quit``."""
        self.send_line(QUIT)

    def _send(self, text: str) -> None:
        self._sent += 1
        self.sendLine(text.encode("utf-8"))

    def _start_quitting(self) -> None:
        self.quitting = True
        lines = self._sent + len(self._pending)
        delay = self.quit_timeout + lines / SERVER_RATE
        self._quit_call = self.clock.callLater(delay, self._give_up)

    def _give_up(self) -> None:
        """The server did not close in time after ``/quit``: close ourselves."""
        self._quit_call = None
        log.warn("no answer to /quit, closing the connection")
        self.transport.abortConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._closed = True
        self._cancel_partial()
        rest = self.clearLineBuffer()
        if rest and self._problem is None:
            # The last text the server sent, with no line ending after it.
            self._show_line(rest)
        if self._quit_call is not None and self._quit_call.active():
            self._quit_call.cancel()
        self._quit_call = None
        if self._problem is not None:
            self.ended.errback(self._problem)
        elif self.quitting and not _is_tls_error(reason.value):
            # A TLS failure is never a clean end, even after /quit (end of
            # input comes at once from an empty pipe).
            self.ended.callback(None)
        else:
            self.ended.errback(self._loss(reason))

    def _loss(self, reason: Failure) -> ClientError:
        """Why the connection ended, as the user should hear it."""
        text = describe_loss(reason, self._last_error)
        if _is_tls_error(reason.value) and not self.heard_from_server:
            return NotConnected(text)
        return ClientError(text)


def describe_loss(reason: Failure, last_error: str | None = None) -> str:
    """One line on why a connection ended that the user did not end."""
    value = reason.value
    if _is_tls_error(value):
        return f"TLS failure: {_tls_reason(value)}"
    if reason.check(error.ConnectionDone):
        text = "the server closed the connection"
    else:
        text = "connection lost"
    if last_error:
        text += f" ({last_error})"
    return text


def _is_tls_error(exception: BaseException | None) -> TypeGuard[BaseException]:
    try:
        from OpenSSL import SSL
    except ImportError:  # pragma: no cover - twisted[tls] is a dependency
        return False
    return isinstance(exception, SSL.Error)


def _tls_reason(exception: BaseException) -> str:
    """OpenSSL's errors are lists of (library, function, reason) tuples."""
    details = exception.args[0] if exception.args else None
    if isinstance(details, list):
        reasons = [entry[-1] for entry in details if isinstance(entry, tuple)]
        if reasons:
            return ", ".join(str(reason) for reason in reasons)
    return str(exception) or exception.__class__.__name__


def describe_connect_failure(exception: BaseException) -> str:
    """The reason a connection could not be made, in the user's words."""
    if isinstance(exception, error.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exception, error.DNSLookupError):
        return "unknown host"
    if isinstance(exception, error.TimeoutError):
        return "timed out"
    if isinstance(exception, error.NoRouteError):
        return "no route to host"
    if isinstance(exception, error.ConnectError):
        # ConnectError(osError=errno, string=strerror), either may be missing.
        if exception.args and exception.args[0]:
            return str(exception.args[0]).lower()
        if isinstance(exception.osError, int):
            return os.strerror(exception.osError).lower()
    if _is_tls_error(exception):
        return f"TLS failure: {_tls_reason(exception)}"
    return str(exception) or exception.__class__.__name__


def _escape(value: str) -> str:
    """Quote ``:`` and ``\\`` for an endpoint description (IPv6 hosts)."""
    return value.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


def _split_description(description: str) -> list[str]:
    """An endpoint description's fields: split on ``:``, ``\\`` escaping the next character."""
    fields, field = [], ""
    characters = iter(description)
    for character in characters:
        if character == "\\":
            field += next(characters, "")
        elif character == ":":
            fields.append(field)
            field = ""
        else:
            field += character
    fields.append(field)
    return fields


def tls_address(description: str) -> tuple[str, int]:
    """HOST and PORT of ``tls:HOST:PORT`` (or ``tls:host=HOST:port=PORT``), for ``--ca``."""
    kind, *fields = _split_description(description)
    named = dict(field.split("=", 1) for field in fields if "=" in field)
    positional = [field for field in fields if "=" not in field]
    arguments = dict(zip(["host", "port"], positional, strict=False)) | named
    port = arguments.get("port", "")
    if (
        kind != "tls"
        or len(positional) > 2
        or set(arguments) != {"host", "port"}
        or not port.isdigit()
    ):
        raise usage.UsageError(f"--ca needs --connect tls:HOST:PORT, not {description}")
    return arguments["host"], int(port)


def trusted_tls_endpoint(
    reactor: IReactorTime, host: str, port: int, ca_file: str
) -> IStreamClientEndpoint:
    """
    TLS to HOST:PORT, trusting only the CA certificate in ``ca_file``: a
    private or test CA, where ``tls:`` alone trusts the system's CAs.
    """
    from OpenSSL.crypto import Error as PEMError
    from twisted.internet.ssl import Certificate, optionsForClientTLS

    try:
        with open(ca_file, "rb") as pem:
            authority = Certificate.loadPEM(pem.read())
    except OSError as problem:
        raise ClientError(f"cannot read {ca_file}: {problem.strerror or problem}") from None
    except PEMError:
        raise ClientError(f"{ca_file} holds no PEM certificate") from None
    endpoint = HostnameEndpoint(reactor, host, port)
    return wrapClientTLS(optionsForClientTLS(host, trustRoot=authority), endpoint)


def client_endpoint(reactor: IReactorTime, options: ClientOptions) -> IStreamClientEndpoint:
    """Where to connect: the endpoint description, or TLS with ``--ca``."""
    if options["ca"] is None:
        return clientFromString(reactor, options["endpoint"])
    host, port = options["tls"]
    return trusted_tls_endpoint(reactor, host, port, options["ca"])


class ClientOptions(usage.Options):
    """``chatroom-client [options] [HOST [PORT]]``"""

    synopsis = f"Usage: {PROGRAM} [options] [HOST [PORT]]"
    longdesc = (
        "Chat on a chatroom server (default localhost 5050). In a terminal you "
        "get a line editor; in a pipe, lines from standard input are sent and "
        "lines from the server are printed, and end of input quits."
    )
    optParameters: ClassVar[list[list[object]]] = [
        ["connect", "c", None, "any Twisted client endpoint, e.g. tls:HOST:5443"],
        [
            "ca",
            None,
            None,
            "connect over TLS trusting only the CA certificate in this PEM file "
            "(with --connect tls:HOST:PORT, or HOST PORT)",
        ],
        ["name", "n", None, "answer the name prompt with NAME"],
        [
            "quit-timeout",
            None,
            QUIT_TIMEOUT,
            "seconds to wait for the server to close after /quit or end of input",
            float,
        ],
    ]
    optFlags: ClassVar[list[list[str | None]]] = [
        ["next-free-name", None, "if NAME is taken, take NAME2, NAME3, ..."],
    ]

    def opt_version(self) -> NoReturn:
        """Show the chatroom version, not Twisted's, and exit."""
        from chat import __version__

        sys.stdout.write(f"{PROGRAM} {__version__}\n")
        raise SystemExit(0)

    def parseArgs(self, host: str = "localhost", port: str = "5050") -> None:
        self["host"] = host
        self["port"] = port
        self["positional"] = host != "localhost" or port != "5050"

    def postOptions(self) -> None:
        if self["connect"] is not None:
            if self["positional"]:
                raise usage.UsageError("give either --connect or HOST [PORT], not both")
            self["endpoint"] = self["where"] = self["connect"]
        else:
            port = self["port"]
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise usage.UsageError(f"not a port number: {port}")
            self["endpoint"] = f"tcp:host={_escape(self['host'])}:port={port}"
            self["where"] = f"{self['host']}:{port}"
        if self["ca"] is not None:
            if self["connect"] is None:
                self["tls"] = (self["host"], int(self["port"]))
            else:
                self["tls"] = tls_address(self["connect"])
        if self["name"] is not None and not self["name"].strip():
            raise usage.UsageError("--name must not be empty")
        if not self["quit-timeout"] > 0:
            raise usage.UsageError("--quit-timeout must be more than 0")
        if self["next-free-name"] and self["name"] is None:
            raise usage.UsageError("--next-free-name needs --name")


def parse_options(argv: list[str], stderr: IO[str]) -> ClientOptions:
    """Parsed options, or the usage and exit status 2 (no traceback)."""
    options = ClientOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as problem:
        stderr.write(f"{options}\n{PROGRAM}: {problem}\n")
        raise SystemExit(2) from None
    return options


StartFront = Callable[[IReactorTime, ChatClient], Front]


async def chat(reactor: IReactorTime, options: ClientOptions, start_front: StartFront) -> None:
    """
    Connect, run the session through a front end, and return once it ended
    well; raise ``ClientError`` with the one line to show otherwise.
    """
    client = ChatClient(
        reactor,
        name=options["name"],
        next_free_name=options["next-free-name"],
        quit_timeout=options["quit-timeout"],
    )
    where = options["where"]
    try:
        endpoint = client_endpoint(reactor, options)
    except (ValueError, TypeError, KeyError) as problem:
        raise ClientError(f"bad endpoint {where}: {problem}") from None
    try:
        await connectProtocol(endpoint, client)
    except Exception as problem:
        raise ClientError(
            f"cannot connect to {where}: {describe_connect_failure(problem)}"
        ) from None

    front = start_front(reactor, client)
    client.attach(front.show)
    flushed: defer.Deferred[None] = defer.Deferred()

    def leave_on_shutdown() -> defer.Deferred[None]:
        """Ctrl-C outside a terminal (SIGINT) quits as politely as /quit."""
        client.quit()
        return flushed

    # Once the session is over this trigger finds nothing to do.
    IReactorCore(reactor).addSystemEventTrigger("before", "shutdown", leave_on_shutdown)
    try:
        await client.ended
    except NotConnected as problem:
        raise ClientError(f"cannot connect to {where}: {problem}") from None
    finally:
        try:
            await front.close()
        finally:
            flushed.callback(None)


def bounded(
    clock: IReactorTime, waiting: defer.Deferred[None], seconds: float
) -> defer.Deferred[None]:
    """``waiting``, or None after ``seconds``: never hang on a stuck reader."""
    done: defer.Deferred[None] = defer.Deferred()

    def expired() -> None:
        if not done.called:
            done.callback(None)

    timer = clock.callLater(seconds, expired)

    def finish(result: object) -> None:
        if timer.active():
            timer.cancel()
        if not done.called:
            done.callback(None)

    waiting.addBoth(finish)
    return done


@implementer(IHalfCloseableProtocol)
class PipeFront(LineReceiver):
    """
    The front end for scripts: each line of standard input is sent, each
    server line is written to standard output, end of input means ``/quit``.
    """

    delimiter = b"\n"
    MAX_LENGTH = 1 << 20
    FLUSH_TIMEOUT = 2.0
    transport: ITransport  # standard input and output, once connected

    def __init__(self, client: ChatClient, clock: IReactorTime) -> None:
        self.client = client
        self.clock = clock
        self._lost: defer.Deferred[None] = defer.Deferred()

    def lineReceived(self, line: bytes) -> None:
        self.client.send_line(line.rstrip(b"\r").decode("utf-8", "replace"))

    def readConnectionLost(self) -> None:
        """End of input: a last line without newline still counts, then quit."""
        rest = self.clearLineBuffer()
        if rest:
            self.lineReceived(rest)
        self.client.quit()

    def writeConnectionLost(self) -> None:
        """Nobody reads our output any more: no point staying."""
        self.client.quit()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self._lost.called:
            self._lost.callback(None)

    def show(self, line: str) -> None:
        self.transport.write(line.encode("utf-8") + b"\n")

    def close(self) -> defer.Deferred[None]:
        self.transport.loseConnection()
        return bounded(self.clock, self._lost, self.FLUSH_TIMEOUT)


def start_pipe(reactor: IReactorTime, client: ChatClient) -> Front:
    """Standard input to the server, server lines to standard output."""
    from twisted.internet import stdio

    front = PipeFront(client, reactor)
    stdio.StandardIO(front, reactor=IReactorFDSet(reactor))
    return front


async def _run(
    reactor: IReactorTime, options: ClientOptions, start_front: StartFront, report: list[str]
) -> None:
    """``chat``, with every failure turned into one line and exit status 1."""
    try:
        await chat(reactor, options, start_front)
    except ClientError as problem:
        report.append(str(problem))
        raise SystemExit(1) from None
    except Exception as problem:
        log.failure("unexpected error")
        report.append(f"unexpected error: {problem!r}")
        raise SystemExit(1) from None


def main(argv: list[str] | None = None) -> NoReturn:
    """The ``chatroom-client`` console script."""
    options = parse_options(sys.argv[1:] if argv is None else argv, sys.stderr)
    interactive = os.isatty(0) and os.isatty(1)
    report: list[str] = []
    code: int | str | None = 0
    terminal: contextlib.AbstractContextManager[None]
    if interactive:
        from chat.client_terminal import raw_terminal, start_terminal

        start_front: StartFront = start_terminal
        terminal = raw_terminal(0)
    else:
        start_front = start_pipe
        terminal = contextlib.nullcontext()
    with terminal:
        try:
            task.react(_run, (options, start_front, report))
        except SystemExit as exit_status:
            code = exit_status.code
    for line in report:
        sys.stderr.write(f"{PROGRAM}: {line}\n")
    sys.stderr.flush()
    sys.exit(code)

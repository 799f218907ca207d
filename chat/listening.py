"""
Listening on every endpoint description, all or none (``Listener``), which
the chat service (``chat.service``) and the metrics endpoint share.

Listening happens before the reactor runs: while twistd starts the service
in the foreground, and before twistd forks in background mode.  So an
endpoint that cannot listen stops the daemon there, with one line (the same
reason in both modes) and exit status 1.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from twisted.application.service import IService, Service
from twisted.internet.defer import Deferred, gatherResults, maybeDeferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import (
    IListeningPort,
    IProtocolFactory,
    IReactorCore,
    IReactorTime,
)
from twisted.logger import Logger
from twisted.python import usage
from twisted.python.failure import Failure

from chat import lines
from chat.openfiles import watch_accept_errors
from chat.sockets import describe_peer, with_backlog
from chat.tls import is_tls, renew_certificate

# The daemon's log has named this part ``chat.service`` from the start.
log = Logger(namespace="chat.service")
T = TypeVar("T")


class ListenFailed(SystemExit, Exception):
    """
    An endpoint could not listen; ``str()`` says which and why.

    A ``SystemExit`` with status 1, so that twistd ends with no traceback
    (the reason is logged once, before); an ``Exception`` too, so that an
    endpoint failing after twistd forked (one that listens late) still
    reaches the launching command through twistd's status pipe.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.code = 1


def systemd_problem(environ: Mapping[str, str]) -> str:
    """
    Why no socket passed by systemd matched a ``systemd:`` description, from
    the ``LISTEN_*`` variables (twistd adopts sockets only when all three are
    set, for this process, and agree).
    """
    if "LISTEN_FDS" not in environ:
        return "no socket passed by systemd (LISTEN_FDS is not set; start it from a .socket unit)"
    pid = environ.get("LISTEN_PID")
    if pid != str(os.getpid()):
        return (
            "the sockets systemd passed are for another process "
            f"(LISTEN_PID is {pid or 'not set'}, this is {os.getpid()})"
        )
    if "LISTEN_FDNAMES" not in environ:
        return (
            "no socket passed by systemd (LISTEN_FDNAMES is not set; it needs systemd 227 or newer)"
        )
    return (
        f"systemd passed no such socket (LISTEN_FDS={environ['LISTEN_FDS']}, "
        f"LISTEN_FDNAMES={environ['LISTEN_FDNAMES']})"
    )


def _reason(description: str, failure: Failure) -> str:
    if description.startswith("systemd:") and failure.check(IndexError, KeyError):
        # Twisted looks the socket up in a list or a dict of what systemd passed.
        return systemd_problem(os.environ)
    error = getattr(failure.value, "socketError", None) or failure.value
    return getattr(error, "strerror", None) or str(error) or type(failure.value).__name__


def _result_now(deferred: Deferred[T]) -> T | None:
    """What ``deferred`` has fired with already, or None."""
    box: list[T] = []

    def keep(result: T) -> T:
        box.append(result)
        return result

    deferred.addCallback(keep)
    return box[0] if box else None


def listen_before_daemonizing(service: IService, options: usage.Options) -> None:
    """
    In twistd's background mode, listen at once, in the process that twistd
    is about to fork: an endpoint that cannot listen then ends that process
    before it forks, with ``ListenFailed``, and the reason is the one line it
    prints (critical events go to standard error before logging begins).

    After the fork, a failure would reach the launching process only through
    twistd's status pipe, which prints it as a bytes repr behind the class
    path, cut at 100 bytes.  In the foreground twistd starts the service as
    usual, which listens then.
    """
    twistd = options.parent
    if twistd is not None and not twistd.get("nodaemon", True):
        service.privilegedStartService()


class Listener(Service):
    """
    Listens on each endpoint description with one factory, all or none:
    the first endpoint that fails closes the others and fails the start.
    """

    def __init__(
        self,
        descriptions: list[str],
        factory: IProtocolFactory,
        reactor: IReactorTime,
        listening_line: str = lines.LOG_LISTENING,
    ) -> None:
        self.descriptions = descriptions
        self.factory = factory
        self.reactor = reactor
        self.listening_line = listening_line
        self.ports: list[IListeningPort] = []
        self._listening: Deferred[ListenFailed | None] | None = None

    def privilegedStartService(self) -> None:
        """Listen now (privileged ports need it), or raise ``ListenFailed``."""
        super().privilegedStartService()
        if self._listening is None:
            self.listen()

    def listen(self) -> None:
        """Listen on every endpoint, or raise ``ListenFailed``."""
        attempts = [self._listen(description) for description in self.descriptions]
        self._listening = gatherResults(attempts).addCallback(self._listened)
        # The usual endpoints (tcp, ssl, unix, systemd) listen at once.
        failed = _result_now(self._listening)
        if failed is not None:
            raise failed

    def startService(self) -> None:
        super().startService()
        if self._listening is None:
            self.privilegedStartService()
        assert self._listening is not None, "listen() sets it or raises"
        self._listening.addCallback(self._started)

    def stopService(self) -> Deferred[None]:
        super().stopService()
        stopping = [port.stopListening() for port in self.ports]
        self.ports = []
        return gatherResults([d for d in stopping if d is not None]).addCallback(lambda _: None)

    def all_listening(self) -> None:
        """Called once every endpoint listens, when the service starts."""

    def listening_on(self, description: str) -> tuple[str, IProtocolFactory]:
        """The endpoint description to listen on for ``description``, and with which factory."""
        return description, self.factory

    def renew_certificates(self) -> int:
        """Give every ``ssl:`` port its certificate files as they are now; how many there are."""
        # self.ports is empty until every endpoint listens, and after stopping.
        ports = zip(self.descriptions, self.ports, strict=False)
        listening = [(description, port) for description, port in ports if is_tls(description)]
        for description, port in listening:
            try:
                renew_certificate(self.reactor, description, port)
            except Exception as problem:
                reason = _reason(description, Failure(problem))
                if isinstance(problem, OSError) and problem.filename:
                    reason = f"{reason}: {problem.filename}"
                log.error(lines.LOG_TLS_NOT_RENEWED, description=description, reason=reason)
            else:
                log.info(lines.LOG_TLS_RENEWED, description=description)
        return len(listening)

    def _listen(self, description: str) -> Deferred[IListeningPort | ListenFailed]:
        def failed(failure: Failure) -> ListenFailed:
            return ListenFailed(f"cannot listen on {description}: {_reason(description, failure)}")

        def listening(port: IListeningPort) -> IListeningPort:
            address = describe_peer(port.getHost())
            log.info(self.listening_line, address=address, description=description)
            watch_accept_errors(port, self.reactor)
            return port

        def listen() -> Deferred[IListeningPort]:
            # Building the endpoint may fail too (a missing key file).
            where, factory = self.listening_on(with_backlog(description))
            return serverFromString(self.reactor, where).listen(factory)

        listened = maybeDeferred(listen)
        return listened.addCallbacks(listening, failed)

    def _listened(self, results: list[IListeningPort | ListenFailed]) -> ListenFailed | None:
        self.ports = [r for r in results if not isinstance(r, ListenFailed)]
        failures = [r for r in results if isinstance(r, ListenFailed)]
        if not failures:
            return None
        log.critical("{reason}", reason=str(failures[0]))
        for port in self.ports:
            port.stopListening()
        self.ports = []
        return failures[0]

    def _started(self, failed: ListenFailed | None) -> None:
        if failed is None:
            self.all_listening()
        else:
            # Only an endpoint that fails after the reactor started gets here.
            # (Typed by the clock the listeners use; any reactor can stop.)
            IReactorCore(self.reactor).stop()

"""
The ``chatroom-client`` console script: parse the options, connect, run the
session through the pipe or the terminal front end, and exit with one line
of reason and status 1 when it ended badly.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from twisted.internet import defer, task
from twisted.internet.endpoints import connectProtocol
from twisted.internet.interfaces import IReactorCore, IReactorTime
from twisted.logger import Logger

from chat.client.connect import client_endpoint
from chat.client.errors import ClientError, NotConnected, describe_connect_failure
from chat.client.front import Front, Session
from chat.client.options import PROGRAM, ClientOptions, parse_options
from chat.client.pipe import start_pipe
from chat.client.session import ChatClient

log = Logger()

StartFront = Callable[[IReactorTime, Session], Front]


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
        endpoint = client_endpoint(reactor, options["endpoint"], options["ca"], options.get("tls"))
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
        from chat.client.terminal import install_asyncio_reactor, raw_terminal, start_terminal

        install_asyncio_reactor()

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

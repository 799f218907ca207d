"""The command line of ``chatroom-client``."""

from __future__ import annotations

import sys
from typing import IO, ClassVar, NoReturn

from twisted.python import usage

from chat.client.connect import escape, tls_address
from chat.client.session import QUIT_TIMEOUT

PROGRAM = "chatroom-client"


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
            self["endpoint"] = f"tcp:host={escape(self['host'])}:port={port}"
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

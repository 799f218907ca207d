"""
Every line the server writes, to its clients and to its log, in one place.

The wording comes from the classic socket chatroom this daemon grew out of;
``../SPEC.md`` (shared with the project) is the contract for each of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

PROMPT = "Please enter your name:"
WELCOME = "Chat with your friends and enjoy"
SHUTTING_DOWN = "Server is shutting down. Goodbye!"
GOODBYE_UNNAMED = "Goodbye!"

HELP = (
    "commands:",
    "/help               this list",
    "/who (or /names)    who is online",
    "/nick NEW           change your name",
    "/me ACTION          tell the others what you do: * you ACTION",
    "/msg NAME TEXT      a private message to NAME",
    "/quit               leave the chatroom",
    "a line that starts with // sends a message that starts with /",
)

# Log lines, as twisted.logger format strings.
LOG_RUNNING = "Server is Running and waiting for connections..."
LOG_LISTENING = "Listening on {address} ({description})"
LOG_METRICS = "Metrics on http://{address}/metrics ({description})"
LOG_JOINED = "{name} is joined to the chatroom!"
LOG_SAID = "{name} said {text}"
LOG_ACTED = "* {name} {action}"
LOG_RENAMED = "{old} is now known as {new}"
LOG_LEFT = "{name} has left the chatroom!"
LOG_DROPPED = "{who} ({peer}) dropped: {reason}"
LOG_REFUSED = "connection from {peer} refused: {reason}"
LOG_SHUTTING_DOWN = "Shutting down: telling {count} client(s) goodbye"
LOG_OPEN_FILES = "Open files limit: {limit}, room for {clients} clients"
LOG_OPEN_FILES_LOW = (
    "Open files limit {limit} leaves room for {clients} clients, fewer than --max-clients"
    " {wanted}: more are refused (raise the hard limit: LimitNOFILE=, ulimit -Hn)"
)
LOG_OUT_OF_FILES_CLOSED = (
    "Out of file descriptors: {count} new connection(s) to {address} closed unanswered"
)
LOG_OUT_OF_FILES_PAUSED = (
    "Out of file descriptors: {address} could not accept ({count} time(s)), paused a second"
)
LOG_TLS_RENEWED = "SIGHUP: reloaded the certificate and key of {description} for new connections"
LOG_TLS_NOT_RENEWED = (
    "SIGHUP: cannot reload the certificate of {description} ({reason}); kept the old one"
)
LOG_NO_TLS = "SIGHUP: no ssl: endpoint, no certificate to reload"
LOG_SIGUSR1 = "SIGUSR1: no log file to rotate (the log goes to standard output)"


def encode(line: str) -> bytes:
    """A line as it goes on the wire: UTF-8, ended by CRLF."""
    return line.encode("utf-8") + b"\r\n"


def encode_all(lines: Iterable[str]) -> bytes:
    """Several lines as one write."""
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


def error(reason: str) -> str:
    return f"error: {reason}"


def joined(name: str) -> str:
    return f"{name} is joined to the chatroom!"


def left(name: str) -> str:
    return f"{name} has left the chatroom!"


def said(name: str, text: str) -> str:
    return f"{name}: {text}"


def acted(name: str, action: str) -> str:
    return f"* {name} {action}"


def renamed(old: str, new: str) -> str:
    return f"{old} is now known as {new}"


def now_known_as(name: str) -> str:
    return f"you are now known as {name}"


def private_to(name: str, text: str) -> str:
    return f"[private to {name}] {text}"


def private_from(name: str, text: str) -> str:
    return f"[private] {name}: {text}"


def goodbye(name: str) -> str:
    return f"Goodbye, {name}!"


def online(names: list[str]) -> str:
    return f"online ({len(names)}): {', '.join(names)}"


def history_entry(seconds: float, line: str) -> str:
    """A replayed message, stamped with the server's local time it was sent."""
    return f"[{time.strftime('%H:%M', time.localtime(seconds))}] {line}"


def unknown_command(word: str) -> str:
    return error(f"unknown command /{word} (try /help)")


def usage(synopsis: str) -> str:
    return error(f"usage: {synopsis}")


def no_such_user(name: str) -> str:
    return error(f"no such user: {name}")


def line_too_long(limit: int) -> str:
    return error(f"line too long (more than {limit} bytes), discarded")


def registration_timeout(seconds: float) -> str:
    return error(f"no name given within {seconds:g} seconds, goodbye")


def idle_timeout(seconds: float) -> str:
    return error(f"idle for {seconds:g} seconds, goodbye")


SERVER_FULL = error("the server is full, please try again later")
TOO_MANY_FROM_ADDRESS = error("too many connections from your address")

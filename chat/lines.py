"""
Every line the server writes, to its clients and to its log, in one place.

The wording comes from the classic socket chatroom this daemon grew out of;
``docs/protocol.md`` lists every line a client gets, and when; the README
shows the log.
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
    "/ignore NAME        hide what NAME says and sends you",
    "/unignore NAME      hear NAME again",
    "/ignore             whom you ignore",
    "/quit               leave the chatroom",
    "a line that starts with // sends a message that starts with /",
)

# Log lines, as twisted.logger format strings. The room's sentences (join,
# leave, rename, /me) are written here once: the wire functions below fill
# in the same format, and the log keeps each part as a field of its own.
LOG_RUNNING = "Server is Running and waiting for connections..."
LOG_LISTENING = "Listening on {address} ({description})"
LOG_METRICS = "Metrics on http://{address}/metrics ({description})"
LOG_JOINED = "{name} is joined to the chatroom!"
LOG_SAID = "{name} said {words}"
LOG_ACTED = "* {name} {action}"
LOG_RENAMED = "{old} is now known as {new}"
LOG_LEFT = "{name} has left the chatroom!"
LOG_DROPPED = "{who} ({peer}) dropped: {reason}"
LOG_REFUSED = "connection from {peer} refused: {reason}"
LOG_REFUSED_MORE = "{count} more connection(s) refused in the last second: {reason}"
# The reason, for a connection to a haproxy: port (chat/proxied.py).
LOG_NO_PROXY_HEADER = "no valid PROXY protocol header"
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
    return LOG_JOINED.format(name=name)


def left(name: str) -> str:
    return LOG_LEFT.format(name=name)


def said(name: str, text: str) -> str:
    return f"{name}: {text}"


def acted(name: str, action: str) -> str:
    return LOG_ACTED.format(name=name, action=action)


def renamed(old: str, new: str) -> str:
    return LOG_RENAMED.format(old=old, new=new)


def now_known_as(name: str) -> str:
    return f"you are now known as {name}"


def private_to(name: str, text: str) -> str:
    return f"[private to {name}] {text}"


def private_from(name: str, text: str) -> str:
    return f"[private] {name}: {text}"


def goodbye(name: str) -> str:
    return f"Goodbye, {name}!"


# The online list: a newcomer's names at most this many people; no list
# line is longer than MAX_LIST_BYTES on the wire, CRLF included.
ONLINE_NAMES = 50
MAX_LIST_BYTES = 1024


def _online_prefix(total: int) -> str:
    return f"online ({total}): "


def online(first: list[str], total: int) -> str:
    """
    The newcomer's online list: ``first`` (the first names in order) for as
    many as fit, then ``and N more`` for the rest of the ``total``.
    """
    prefix = _online_prefix(total)
    space = MAX_LIST_BYTES - 2 - len(prefix)
    shown: list[str] = []
    used = 0
    for name in first:
        cost = len(name.encode("utf-8")) + (2 if shown else 0)
        rest = total - len(shown) - 1
        if used + cost + (len(f" and {rest} more") if rest else 0) > space:
            break
        shown.append(name)
        used += cost
    rest = total - len(shown)
    return prefix + ", ".join(shown) + (f" and {rest} more" if rest else "")


def online_lines(names: list[str]) -> list[str]:
    """
    ``/who``: every name, over as many lines as it takes. Each line starts
    with ``online (N): `` (N is everyone), so a reader collects lines until
    it has N names, and no user's line can look like one (``online`` is a
    reserved name).
    """
    prefix = _online_prefix(len(names))
    space = MAX_LIST_BYTES - 2 - len(prefix)
    result: list[str] = []
    line: list[str] = []
    used = 0
    for name in names:
        size = len(name.encode("utf-8"))
        if line and used + 2 + size > space:
            result.append(prefix + ", ".join(line))
            line, used = [], 0
        used += size + (2 if line else 0)
        line.append(name)
    result.append(prefix + ", ".join(line))
    return result


def history_entry(seconds: float, line: str) -> str:
    """A replayed message, stamped with the server's local time it was sent."""
    return f"[{time.strftime('%H:%M', time.localtime(seconds))}] {line}"


def unknown_command(word: str) -> str:
    return error(f"unknown command /{word} (try /help)")


def usage(synopsis: str) -> str:
    return error(f"usage: {synopsis}")


def no_such_user(name: str) -> str:
    return error(f"no such user: {name}")


def ignoring(name: str) -> str:
    return f"ignoring {name}"


def no_longer_ignoring(name: str) -> str:
    return f"no longer ignoring {name}"


def ignoring_list(names: list[str]) -> str:
    return f"ignoring: {', '.join(names)}" if names else "you ignore nobody"


def not_ignoring(name: str) -> str:
    return error(f"you are not ignoring {name}")


def ignoring_too_many(limit: int) -> str:
    return error(f"you can ignore at most {limit} people; /unignore someone first")


IGNORING_YOURSELF = error("you can't ignore yourself")


# Why a name is refused (each goes out as an error line).
NAME_EMPTY = "a name cannot be empty"
NAME_NEEDS_LETTER = "a name needs at least one letter or digit"
NAME_NON_JOINER = "a name cannot contain a zero-width non-joiner except between two letters"
NAME_INVISIBLE = "a name cannot contain invisible characters"
NAME_MIXES_SCRIPTS = "a name can't mix scripts"
NAME_MIXES_DIGITS = "a name can't mix digits of different scripts"


def name_too_long(limit: int) -> str:
    return f"a name can have at most {limit} characters"


def name_bad_character(description: str) -> str:
    return f"a name cannot contain {description} (use letters, digits, '_', '-' and '.')"


def name_reserved(name: str) -> str:
    return f"the name {name} is reserved"


def name_taken(name: str) -> str:
    return f"the name {name} is taken, choose another"


def name_looks_like(name: str, other: str) -> str:
    return f"the name {name} looks like {other}, who is online"


def line_too_long(limit: int) -> str:
    return error(f"line too long (more than {limit} bytes), discarded")


def registration_timeout(seconds: float) -> str:
    return error(f"no name given within {seconds:g} seconds, goodbye")


def idle_timeout(seconds: float) -> str:
    return error(f"idle for {seconds:g} seconds, goodbye")


SERVER_FULL = error("the server is full, please try again later")
TOO_MANY_FROM_ADDRESS = error("too many connections from your address")
TOO_MANY_NEW_FROM_ADDRESS = error(
    "too many new connections from your address, try again in a minute"
)


# One room across daemons over Redis (docs/scaling.md): the link to the
# other daemons drops and comes back.
CUT_OFF = "The chatroom is cut off from its other servers; reconnecting..."
BACK = "The chatroom is back."
NAME_CUT_OFF = "the chatroom is cut off, try again in a moment"
LINES_LOST = error("some lines sent while the chatroom was cut off could not be recovered")
LOG_REDIS_UP = "Redis link up ({url}): serving the room as {daemon}"
LOG_REDIS_DOWN = "Redis link down ({url}): {reason}; reconnecting"
LOG_REDIS_REFUSED = "Redis: could not make the room whole ({reason}); trying again in {seconds:g} s"
LOG_REDIS_UNREACHABLE = "Redis: cannot connect to {url} ({reason}); trying again"
LOG_REDIS_REFUSED_BATCH = "Redis refused a batch of lines ({reason}); making the room whole again"
LOG_REDIS_REFUSED_MORE = "Redis refused {count} more batch(es) of lines in the last second"
LOG_REAPED = "Redis: {count} user(s) of {daemon}, which stopped renewing its lease, left the room"


def not_sent(text: str) -> str:
    return error(f"the chatroom is cut off, not sent: {text}")


def maybe_not_sent(text: str) -> str:
    return error(f"the chatroom was cut off, this may not have reached everyone: {text}")


def name_lost(name: str) -> str:
    return error(f"while the chatroom was cut off someone else took the name {name}")

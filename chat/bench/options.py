"""The command-line options of ``chatroom-bench``."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

DEFAULT_ENDPOINT = "tcp:host=127.0.0.1:port=5050"
NAME_PREFIX = re.compile(r"^[A-Za-z0-9_.-]{1,27}$")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def name_prefix(text: str) -> str:
    if not NAME_PREFIX.match(text):
        raise argparse.ArgumentTypeError(f"not usable in a name: {text!r}")
    return text


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options; ``--idle N`` is ``--clients N`` without senders."""
    parser = argparse.ArgumentParser(
        prog="chatroom-bench",
        description="Load generator for the chatroom line protocol.",
    )
    add = parser.add_argument
    add(
        "--connect",
        action="append",
        metavar="ENDPOINT",
        help=(
            f"client endpoint description (default: {DEFAULT_ENDPOINT}); give it"
            " again for more daemons: clients and senders go round-robin over them"
        ),
    )
    add("--clients", type=positive_int, default=50, help="clients to connect")
    add("--senders", type=int, default=10, help="clients that send")
    add(
        "--rate",
        type=non_negative_float,
        default=100.0,
        help="messages per second across all senders",
    )
    add(
        "--duration",
        type=non_negative_float,
        default=10.0,
        help="seconds of sending (or of holding, with --idle)",
    )
    add("--msg-size", type=positive_int, default=64, help="bytes per message")
    add(
        "--drain",
        type=non_negative_float,
        default=10.0,
        help="most seconds to wait for deliveries after sending stops",
    )
    add(
        "--idle",
        type=positive_int,
        metavar="N",
        help="connect and hold N clients; no messages",
    )
    add("--pid", type=positive_int, help="server process id, for its memory use")
    add("--json", action="store_true", help="print one JSON object")
    add(
        "--check-order",
        action="store_true",
        help="check that every client got every line, once, in one order",
    )
    add("--prefix", type=name_prefix, default="b", help="client name prefix")
    add(
        "--concurrency",
        type=positive_int,
        default=50,
        help="connections being set up at once",
    )
    add(
        "--connect-timeout",
        type=non_negative_float,
        default=30.0,
        help="seconds for one client to connect and register",
    )
    add(
        "--settle",
        type=non_negative_float,
        default=30.0,
        help="most seconds to wait for join lines before measuring",
    )
    add(
        "--quit-timeout",
        type=non_negative_float,
        default=10.0,
        help="most seconds to wait for the server to close after /quit",
    )
    add(
        "--sample-budget",
        type=positive_int,
        default=20000,
        help="lines per second parsed for latency",
    )
    options = parser.parse_args(argv)
    options.connect = options.connect or [DEFAULT_ENDPOINT]
    if options.idle:
        options.clients = options.idle
    if options.senders < 0:
        parser.error("--senders must not be negative")
    return options

"""
The ``chatroom-bench`` console script: options, one run, the report.

``--json`` prints one JSON object; on a terminal a progress line is
rewritten once a second; otherwise a plain summary is printed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from twisted.internet.task import LoopingCall, react

from chat.bench.crowd import Run
from chat.bench.options import parse_arguments
from chat.bench.report import format_summary, progress_text
from chat.bench.runner import bench


def show_progress(reactor: Any, run: Run) -> LoopingCall:
    """Rewrite the progress line once a second until stopped."""

    def show() -> None:
        sys.stdout.write("\r" + progress_text(run).ljust(78))
        sys.stdout.flush()

    progress = LoopingCall(show)
    progress.clock = reactor
    progress.start(1.0, now=False)
    return progress


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``chatroom-bench`` console script."""
    options = parse_arguments(sys.argv[1:] if argv is None else argv)

    async def run(reactor: Any) -> None:
        state = Run(options)
        progress = None
        if sys.stdout.isatty() and not options.json:
            progress = show_progress(reactor, state)
        try:
            result = await bench(reactor, state)
        finally:
            if progress is not None:
                progress.stop()
                sys.stdout.write("\r" + " " * 78 + "\r")
        if options.json:
            print(json.dumps(result.to_json()))
        else:
            print(format_summary(result))
        if not result.connected:
            raise SystemExit(1)

    react(run)


if __name__ == "__main__":
    main()

"""
JSON log lines for log shippers:
``twistd --logger chat.jsonlog.observer -n chatroom``.

Each event is one JSON object on one line (no RFC 7464 record separator,
which most shippers do not expect), with its fields kept apart: a join is
``{"log_format": "{name} is joined to the chatroom!", "name": "soheil", ...}``,
so nothing has to parse the text back.  The rendered message rides along as
``text`` (``"soheil is joined to the chatroom!"``) for whoever greps.
``twisted.logger.eventsFromJSONLogFile`` reads the lines back (with
``recordSeparator=""``).
"""

from __future__ import annotations

import sys

from twisted.logger import FileLogObserver, LogEvent, eventAsJSON, formatEvent


def as_json_line(event: LogEvent) -> str:
    """One event as a line of JSON: its fields, and the message rendered."""
    return eventAsJSON({**event, "text": formatEvent(event)}) + "\n"


def observer() -> FileLogObserver:
    """The observer factory twistd's ``--logger`` calls: JSON to standard output."""
    return FileLogObserver(sys.stdout, as_json_line)

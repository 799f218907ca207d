"""
JSON log lines for log shippers:
``twistd --logger chat.jsonlog.observer -n chatroom``.

Each event is one JSON object on one line (no RFC 7464 record separator,
which most shippers do not expect), with its fields kept apart: a join is
``{"log_format": "{name} is joined to the chatroom!", "name": "soheil", ...}``,
so nothing has to parse the text back. ``twisted.logger.eventsFromJSONLogFile``
reads it back (with ``recordSeparator=""``).
"""

from __future__ import annotations

import sys

from twisted.logger import FileLogObserver, jsonFileLogObserver


def observer() -> FileLogObserver:
    """The observer factory twistd's ``--logger`` calls: JSON to standard output."""
    return jsonFileLogObserver(sys.stdout, recordSeparator="")

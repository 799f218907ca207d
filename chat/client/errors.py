"""How a session or a connection ended, as one line the user reads."""

from __future__ import annotations

import os
from typing import TypeGuard

from twisted.internet import error
from twisted.python.failure import Failure


class ClientError(Exception):
    """A session ended badly; the message is the one line the user sees."""


class NotConnected(ClientError):
    """The connection was made but TLS failed on it: it never carried a line."""


def describe_loss(reason: Failure, last_error: str | None = None) -> str:
    """One line on why a connection ended that the user did not end."""
    value = reason.value
    if is_tls_error(value):
        return f"TLS failure: {tls_reason(value)}"
    if reason.check(error.ConnectionDone):
        text = "the server closed the connection"
    else:
        text = "connection lost"
    if last_error:
        text += f" ({last_error})"
    return text


def is_tls_error(exception: BaseException | None) -> TypeGuard[BaseException]:
    """Whether ``exception`` is OpenSSL's (a failed handshake or certificate)."""
    try:
        from OpenSSL import SSL
    except ImportError:  # pragma: no cover - twisted[tls] is a dependency
        return False
    return isinstance(exception, SSL.Error)


def tls_reason(exception: BaseException) -> str:
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
    if is_tls_error(exception):
        return f"TLS failure: {tls_reason(exception)}"
    return str(exception) or exception.__class__.__name__

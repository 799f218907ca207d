"""
The client in memory, for the ``test_client_*`` modules: a transport for
``ChatClient``, parsed options, and a server's first lines as bytes.
"""

from __future__ import annotations

import io

from twisted.internet.testing import StringTransportWithDisconnection

from chat.client.options import ClientOptions, parse_options
from chat.client.session import ChatClient

PROMPT = b"Please enter your name:\r\n"
SALAM = "\u0633\u0644\u0627\u0645"  # Persian "hello"
WELCOME = b"Chat with your friends and enjoy\r\nonline (1): soheil\r\n"


def connect(client: ChatClient) -> StringTransportWithDisconnection:
    """Attach ``client`` to an in-memory transport that reports closing."""
    transport = StringTransportWithDisconnection()
    transport.protocol = client
    client.makeConnection(transport)
    return transport


def options(*argv: str) -> ClientOptions:
    """The options parsed from ``argv``, as ``chatroom-client`` would."""
    parsed = ClientOptions()
    parsed.parseOptions(list(argv))
    return parsed


def usage_error(*argv: str) -> str:
    """What ``argv`` prints, checked to be the usage, exit status 2, no traceback."""
    stderr = io.StringIO()
    try:
        parse_options(list(argv), stderr)
    except SystemExit as exit_status:
        assert exit_status.code == 2, exit_status.code
    else:
        raise AssertionError(f"{argv!r} parsed")
    assert "Usage:" in stderr.getvalue()
    assert "Traceback" not in stderr.getvalue()
    return stderr.getvalue()

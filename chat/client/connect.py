"""Where ``chatroom-client`` connects: endpoint descriptions and ``--ca`` TLS."""

from __future__ import annotations

from twisted.internet.endpoints import HostnameEndpoint, clientFromString, wrapClientTLS
from twisted.internet.interfaces import IReactorTime, IStreamClientEndpoint
from twisted.python import usage

from chat.client.errors import ClientError


def escape(value: str) -> str:
    """Quote ``:`` and ``\\`` for an endpoint description (IPv6 hosts)."""
    return value.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


def _split_description(description: str) -> list[str]:
    """An endpoint description's fields: split on ``:``, ``\\`` escaping the next character."""
    fields, field = [], ""
    characters = iter(description)
    for character in characters:
        if character == "\\":
            field += next(characters, "")
        elif character == ":":
            fields.append(field)
            field = ""
        else:
            field += character
    fields.append(field)
    return fields


def tls_address(description: str) -> tuple[str, int]:
    """HOST and PORT of ``tls:HOST:PORT`` (or ``tls:host=HOST:port=PORT``), for ``--ca``."""
    kind, *fields = _split_description(description)
    named = dict(field.split("=", 1) for field in fields if "=" in field)
    positional = [field for field in fields if "=" not in field]
    arguments = dict(zip(["host", "port"], positional, strict=False)) | named
    port = arguments.get("port", "")
    if (
        kind != "tls"
        or len(positional) > 2
        or set(arguments) != {"host", "port"}
        or not port.isdigit()
    ):
        raise usage.UsageError(f"--ca needs --connect tls:HOST:PORT, not {description}")
    return arguments["host"], int(port)


def trusted_tls_endpoint(
    reactor: IReactorTime, host: str, port: int, ca_file: str
) -> IStreamClientEndpoint:
    """
    TLS to HOST:PORT, trusting only the CA certificate in ``ca_file``: a
    private or test CA, where ``tls:`` alone trusts the system's CAs.
    """
    from OpenSSL.crypto import Error as PEMError
    from twisted.internet.ssl import Certificate, optionsForClientTLS

    try:
        with open(ca_file, "rb") as pem:
            authority = Certificate.loadPEM(pem.read())
    except OSError as problem:
        raise ClientError(f"cannot read {ca_file}: {problem.strerror or problem}") from None
    except PEMError:
        raise ClientError(f"{ca_file} holds no PEM certificate") from None
    endpoint = HostnameEndpoint(reactor, host, port)
    return wrapClientTLS(optionsForClientTLS(host, trustRoot=authority), endpoint)


def client_endpoint(
    reactor: IReactorTime,
    description: str,
    ca_file: str | None = None,
    tls: tuple[str, int] | None = None,
) -> IStreamClientEndpoint:
    """Where to connect: the endpoint description, or TLS to ``tls`` with a CA file."""
    if ca_file is None or tls is None:
        return clientFromString(reactor, description)
    host, port = tls
    return trusted_tls_endpoint(reactor, host, port, ca_file)

"""
A renewed TLS certificate for a port that is already listening.

Certificates are renewed every few months (or weeks) while the daemon runs;
restarting it for that would disconnect everyone. ``renew_certificate`` is
what SIGHUP does to each ``ssl:`` port (docs/deploying.md).
"""

from __future__ import annotations

from twisted.internet.endpoints import SSL4ServerEndpoint, serverFromString
from twisted.internet.interfaces import IListeningPort, IReactorTime
from twisted.protocols.tls import TLSMemoryBIOFactory


def is_tls(description: str) -> bool:
    """Whether an endpoint description listens with TLS (``ssl:``)."""
    return description.partition(":")[0].strip() == "ssl"


def renew_certificate(reactor: IReactorTime, description: str, port: IListeningPort) -> None:
    """
    Make ``port``, listening on the ``ssl:`` endpoint ``description``, serve
    new connections with its certificate and key files as they are now.
    Connections already open keep the certificate they began with.

    Twisted's ssl endpoint reads the files once, when its description is
    parsed, into a ``CertificateOptions`` (``SSL4ServerEndpoint.
    _sslContextFactory``), and listens on TCP with a ``TLSMemoryBIOFactory``
    around the chat factory, which starts each new connection's TLS with its
    ``_creatorCallable``. So: parse the description again (the files are
    read again), build the TLS context now (a key that does not match its
    certificate fails here, and nothing changes), and give the port's
    factory the creator of one made the way ``listenSSL`` makes it.

    Raises ``OSError`` or ``OpenSSL.SSL.Error`` (and the like) if the files
    cannot be used; the port then goes on with the certificate it had.
    """
    endpoint = serverFromString(reactor, description)
    current = getattr(port, "factory", None)
    if not isinstance(endpoint, SSL4ServerEndpoint) or not isinstance(current, TLSMemoryBIOFactory):
        raise TypeError(f"{description} does not listen with TLS")
    options = endpoint._sslContextFactory
    options.getContext()
    renewed = TLSMemoryBIOFactory(options, False, current.wrappedFactory, reactor)
    current._creatorCallable = renewed._creatorCallable

"""
A renewed certificate for a listening ssl: port (what SIGHUP does), checked
with TLS handshakes in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from twisted.internet import tcp
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import VerifyError
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.ssl import CertificateOptions
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.test.iosim import connect, makeFakeClient, makeFakeServer
from twisted.trial.unittest import SynchronousTestCase

from chat.listening import Listener
from chat.tls import is_tls, renew_certificate
from tests.certificates import make_certificates
from tests.harness import logged


def der(pem: Path) -> bytes:
    return x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(Encoding.DER)


class Renewal(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.directory)
        self.pem = make_certificates(self.directory)
        self.description = f"ssl:5443:privateKey={self.pem['key']}:certKey={self.pem['cert']}"
        self.reactor = MemoryReactorClock()
        # What the reactor's listenSSL makes of the endpoint: a TCP port whose
        # factory is a TLSMemoryBIOFactory around the server's own factory.
        serverFromString(self.reactor, self.description).listen(Factory.forProtocol(Protocol))
        [(_, factory, options, _, _)] = self.reactor.sslServers
        tls = TLSMemoryBIOFactory(options, False, factory)
        self.port = tcp.Port(5443, tls, reactor=self.reactor)

    def served(self) -> bytes:
        """The certificate a new connection to the port is shown, after a handshake."""
        assert isinstance(self.port.factory, TLSMemoryBIOFactory)
        server = self.port.factory.buildProtocol(None)
        client_factory = TLSMemoryBIOFactory(
            CertificateOptions(), True, Factory.forProtocol(Protocol)
        )
        client = client_factory.buildProtocol(None)
        pump = connect(server, makeFakeServer(server), client, makeFakeClient(client))
        pump.flush()
        certificate = client.getPeerCertificate()
        self.assertIsNotNone(certificate, "no handshake")
        return certificate.to_cryptography().public_bytes(Encoding.DER)

    def replace_files(self, *names: str) -> dict[str, Path]:
        """Put a new certificate and key (or only those of ``names``) in place of the old."""
        renewed_in = self.directory / "renewed"
        renewed_in.mkdir(exist_ok=True)
        renewed = make_certificates(renewed_in)
        for name in names or ("cert", "key"):
            shutil.copy(renewed[name], self.pem[name])
        return renewed

    def test_new_connections_get_the_new_certificate(self) -> None:
        """After renewal, new connections are shown the certificate now in the files."""
        old = self.served()
        self.assertEqual(old, der(self.pem["cert"]))
        renewed = self.replace_files()
        self.assertEqual(self.served(), old)  # nothing changes until asked
        renew_certificate(self.reactor, self.description, self.port)
        self.assertEqual(self.served(), der(renewed["cert"]))

    def test_key_not_matching(self) -> None:
        """A new certificate next to the old key is refused; the old certificate stays."""
        old = self.served()
        self.replace_files("cert")
        self.assertRaises(VerifyError, renew_certificate, self.reactor, self.description, self.port)
        self.assertEqual(self.served(), old)

    def test_file_missing(self) -> None:
        """A key file that is gone is reported; the old certificate stays."""
        old = self.served()
        self.pem["key"].unlink()
        self.assertRaises(OSError, renew_certificate, self.reactor, self.description, self.port)
        self.assertEqual(self.served(), old)

    def test_logged(self) -> None:
        """A listener reloads its ssl: ports only, logging each, a failure with its reason."""
        listener = Listener(["tcp:5050", self.description], Factory(), self.reactor)
        listener.ports = [tcp.Port(5050, Factory(), reactor=self.reactor), self.port]
        with capturedLogs() as events:
            self.assertEqual(listener.renew_certificates(), 1)
            self.pem["key"].unlink()
            self.assertEqual(listener.renew_certificates(), 1)
        self.assertEqual(
            logged(events),
            [
                f"SIGHUP: reloaded the certificate and key of {self.description}"
                " for new connections",
                f"SIGHUP: cannot reload the certificate of {self.description} "
                f"(No such file or directory: {self.pem['key']}); kept the old one",
            ],
        )


class TLSDescriptionTests(SynchronousTestCase):
    def test_which_are_tls(self) -> None:
        """Only ssl: descriptions listen with TLS."""
        self.assertTrue(is_tls("ssl:5443:privateKey=key.pem"))
        for description in ["tcp:5050", "unix:/run/chat.sock", "systemd:domain=INET:index=0"]:
            self.assertFalse(is_tls(description), description)

    def test_plain_port_refused(self) -> None:
        """Renewing a port that does not listen with TLS is a TypeError."""
        reactor = MemoryReactorClock()
        port = tcp.Port(5050, Factory(), reactor=reactor)
        self.assertRaises(TypeError, renew_certificate, reactor, "tcp:5050", port)

"""``--redis URL``: where Redis is, and how to log in."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from twisted.internet.endpoints import HostnameEndpoint, UNIXClientEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.ssl import optionsForClientTLS

DEFAULT_PORT = 6379
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """A parsed ``redis://``, ``rediss://`` or ``unix://`` URL."""

    scheme: str
    host: str
    port: int
    path: str
    db: int | None
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> RedisAddress:
        """The address in ``url``; ``ValueError`` says what is wrong with it."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError("use redis://HOST[:PORT][/DB], rediss://… or unix:///PATH")
        query = parse_qs(parts.query)
        db_text = parts.path.strip("/") if scheme != "unix" else query.get("db", [""])[0]
        if db_text and not db_text.isdigit():
            raise ValueError(f"the database must be a number, not {db_text!r}")
        if scheme == "unix":
            if not parts.path:
                raise ValueError("unix:// needs a socket path: unix:///run/redis/redis.sock")
        elif not parts.hostname:
            raise ValueError("no host in the URL")
        return cls(
            scheme=scheme,
            host=parts.hostname or "",
            port=parts.port or DEFAULT_PORT,
            path=parts.path if scheme == "unix" else "",
            db=int(db_text) if db_text else None,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def endpoint(self, reactor: object) -> IStreamClientEndpoint:
        if self.scheme == "unix":
            return UNIXClientEndpoint(reactor, self.path, timeout=CONNECT_TIMEOUT)
        endpoint = HostnameEndpoint(reactor, self.host, self.port, timeout=CONNECT_TIMEOUT)
        if self.scheme == "rediss":
            return wrapClientTLS(optionsForClientTLS(self.host), endpoint)
        return endpoint

    def __str__(self) -> str:
        """The URL without its password, for the log."""
        where = self.path if self.scheme == "unix" else f"{self.host}:{self.port}"
        db = f"/{self.db}" if self.db is not None else ""
        return f"{self.scheme}://{where}{db}"

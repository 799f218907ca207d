"""
The daemon as a twistd service: listen on every endpoint (``chat.listening``),
say so, and at shutdown say goodbye to every client before the process ends.
Before listening, the clients the open files limit has room for cap
--max-clients (chat/openfiles.py).
"""

from __future__ import annotations

import dataclasses

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IProtocolFactory, IReactorTime
from twisted.logger import Logger

from chat import lines
from chat.factory import ChatFactory
from chat.listening import Listener, ListenFailed, listen_before_daemonizing, systemd_problem
from chat.openfiles import client_capacity, open_now, raise_open_files_limit
from chat.proxied import ProxiedFactory, proxied

__all__ = [
    "ChatService",
    "ListenFailed",
    "Listener",
    "listen_before_daemonizing",
    "systemd_problem",
]

log = Logger()


class ChatService(Listener):
    """The chat endpoints: the running line once they listen, goodbyes at shutdown."""

    factory: ChatFactory

    def __init__(
        self, descriptions: list[str], factory: ChatFactory, reactor: IReactorTime
    ) -> None:
        super().__init__(descriptions, factory, reactor)

    def listen(self) -> None:
        self.fit_open_files(raise_open_files_limit(), open_now())
        super().listen()

    def stopService(self) -> Deferred[None]:
        """Stop listening first, then say goodbye to every client."""
        return super().stopService().addCallback(lambda _: self.factory.shut_down())

    def all_listening(self) -> None:
        log.info(lines.LOG_RUNNING)

    def listening_on(self, description: str) -> tuple[str, IProtocolFactory]:
        """A ``haproxy:`` endpoint's connections are built once their header is read."""
        under = proxied(description)
        if under is None:
            return description, self.factory
        return under, ProxiedFactory(self.factory)

    def fit_open_files(self, limit: int, in_use: int) -> None:
        """
        Refuse clients beyond what ``limit`` open files allow (``in_use`` are
        open already) as over --max-clients, and say how many fit.
        """
        wanted = self.factory.limits.max_clients
        room = client_capacity(limit, in_use, len(self.descriptions))
        if room and (not wanted or room < wanted):
            self.factory.limits = dataclasses.replace(self.factory.limits, max_clients=room)
        if room and wanted and room < wanted:
            log.warn(lines.LOG_OPEN_FILES_LOW, limit=limit, clients=room, wanted=wanted)
        else:
            clients = self.factory.limits.max_clients or "any number of"
            log.info(lines.LOG_OPEN_FILES, limit=limit, clients=clients)

"""
The baseline for comparisons: a textbook Twisted chat server.

A LineReceiver and a Factory holding a dict of users, as in Twisted's own
chat examples, speaking the same lines as chatroom but with no flood
control, no limits and no checks beyond an empty or taken name.

    python benchmarks/textbook_chat.py 5050
"""

import sys

from twisted.internet import endpoints, reactor
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver


class Chat(LineReceiver):
    delimiter = b"\n"

    def __init__(self, users: dict[str, "Chat"]) -> None:
        self.users = users
        self.name: str | None = None

    def connectionMade(self) -> None:
        self.send("Please enter your name:")

    def connectionLost(self, reason: object = None) -> None:
        if self.name is not None and self.users.get(self.name) is self:
            del self.users[self.name]
            self.broadcast(f"{self.name} has left the chatroom!")

    def lineReceived(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").strip()
        if self.name is None:
            if not text or text in self.users:
                self.send("error: that name is empty or taken")
                self.send("Please enter your name:")
                return
            self.name = text
            self.broadcast(f"{text} is joined to the chatroom!")
            self.users[text] = self
            self.send("Chat with your friends and enjoy")
            self.send(f"online ({len(self.users)}): {', '.join(sorted(self.users))}")
        elif text == "/quit":
            self.send(f"Goodbye, {self.name}!")
            assert self.transport is not None
            self.transport.loseConnection()
        elif text:
            self.broadcast(f"{self.name}: {text}")

    def send(self, text: str) -> None:
        assert self.transport is not None
        self.transport.write(text.encode("utf-8") + b"\r\n")

    def broadcast(self, text: str) -> None:
        data = text.encode("utf-8") + b"\r\n"
        for name, protocol in self.users.items():
            if name != self.name:
                # Only connected protocols are in users.
                assert protocol.transport is not None
                protocol.transport.write(data)


class ChatFactory(Factory):
    def __init__(self) -> None:
        self.users: dict[str, Chat] = {}

    def buildProtocol(self, addr: object) -> Chat:
        return Chat(self.users)


if __name__ == "__main__":
    port = sys.argv[1] if len(sys.argv) > 1 else "5050"
    endpoints.serverFromString(reactor, f"tcp:{port}").listen(ChatFactory())
    reactor.run()

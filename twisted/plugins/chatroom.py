# Every `twistd --help` imports every plugin: import nothing heavy here.
from twisted.application.service import ServiceMaker

chatroom = ServiceMaker(
    "chatroom",
    "chat.tap",
    "A small, sturdy chat server for telnet, netcat and chatroom-client.",
    "chatroom",
)

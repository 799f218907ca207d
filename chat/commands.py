"""
The slash commands. ``/NAME ARGUMENT`` calls ``command_NAME(user, argument)``:
adding a command is adding a method. Command names ignore case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from chat import lines
from chat.ignores import MAX_IGNORED
from chat.names import NameRejected, check_name, name_key
from chat.room import key_of, name_of
from chat.text import clean_message

if TYPE_CHECKING:
    from chat.session import Session


class Commands:
    def dispatch(self, user: Session, line: str) -> None:
        """Run the command on a line that starts with a single ``/``."""
        word, _, argument = line[1:].partition(" ")
        handler = getattr(self, "command_" + word.lower(), None)
        if handler is None:
            user.send_line(lines.unknown_command(word))
        else:
            handler(user, argument.strip())

    def command_help(self, user: Session, argument: str) -> None:
        user.send(lines.encode_all(lines.HELP))

    def command_who(self, user: Session, argument: str) -> None:
        user.send(lines.encode_all(user.room.who_lines()))

    command_names = command_who

    def command_nick(self, user: Session, argument: str) -> None:
        if not argument:
            user.send_line(lines.usage("/nick NEW"))
            return
        try:
            name = check_name(argument)
            if name == user.name:
                raise NameRejected(f"you are already known as {name}")
            renaming = user.room.rename(user, name)
        except NameRejected as rejected:
            user.send_line(lines.error(rejected.reason))
            return
        if isinstance(renaming, Deferred):
            # An engine that asks others first (Redis) answers later.
            renaming.addCallbacks(
                lambda _: user.send_line(lines.now_known_as(name)), _refused, errbackArgs=(user,)
            )
        else:
            user.send_line(lines.now_known_as(name))

    def command_me(self, user: Session, argument: str) -> None:
        action = clean_message(argument).strip()
        if not action:
            user.send_line(lines.usage("/me ACTION"))
            return
        user.room.act(user, action)

    def command_msg(self, user: Session, argument: str) -> None:
        name, _, text = argument.partition(" ")
        text = clean_message(text).strip()
        if not text:
            user.send_line(lines.usage("/msg NAME TEXT"))
            return
        target = user.room.find(name)
        if target is None:
            user.send_line(lines.no_such_user(name))
            return
        # Someone who ignores the sender gets nothing, and the sender can't tell.
        if user.room.whisper(user, target, text):
            user.send_line(lines.private_to(name_of(target), text))

    def command_ignore(self, user: Session, argument: str) -> None:
        ignores = user.room.ignores
        if not argument:
            user.send_line(lines.ignoring_list(ignores.names(user)))
            return
        target = user.room.find(argument)
        if target is None:
            user.send_line(lines.no_such_user(argument))
        elif target is user:
            user.send_line(lines.IGNORING_YOURSELF)
        else:
            user.room.settle()
            if ignores.add(user, key_of(target), name_of(target)):
                user.send_line(lines.ignoring(name_of(target)))
            else:
                user.send_line(lines.ignoring_too_many(MAX_IGNORED))

    def command_unignore(self, user: Session, argument: str) -> None:
        if not argument:
            user.send_line(lines.usage("/unignore NAME"))
            return
        user.room.settle()
        name = user.room.ignores.remove(user, name_key(argument))
        if name is None:
            user.send_line(lines.not_ignoring(argument))
        else:
            user.send_line(lines.no_longer_ignoring(name))

    def command_quit(self, user: Session, argument: str) -> None:
        user.quit()


def _refused(failure: Failure, user: Session) -> None:
    """A name the engine refused after asking (``NameRejected``): the user is told why."""
    failure.trap(NameRejected)
    rejected = failure.value
    assert isinstance(rejected, NameRejected)
    user.send_line(lines.error(rejected.reason))


COMMANDS = Commands()

"""
The room under random traffic (hypothesis stateful testing): joins, taken
and look-alike names, renames, messages, actions, private messages,
ignores, quits and vanishing clients, over the real protocol in memory.
After every step each client's transcript must be exactly what the spec
says it sees.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from twisted.trial.unittest import SynchronousTestCase

from tests.harness import Client, Harness

# ѕоһеіӏ is Cyrillic: it looks like soheil, so the two share a key.
NAMES = st.sampled_from(["ali", "Ali", "ALI", "hasan", "soheil", "Soheil", "ѕоһеіӏ", "reza"])
LOOKS_LIKE = {"ѕоһеіӏ": "soheil"}
TEXT = st.from_regex(r"[a-z]{1,6}( [a-z]{1,6}){0,2}", fullmatch=True)
PROMPT = "Please enter your name:"


class Person:
    """What the model knows of one connection."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.name: str | None = None
        self.expected: list[str] = [PROMPT]
        self.received: list[str] = []
        # Whom this person ignores: key -> the name to show.
        self.ignoring: dict[str, str] = {}

    @property
    def online_name(self) -> str:
        """The name of someone online."""
        assert self.name is not None, "not online"
        return self.name


def key(name: str) -> str:
    return LOOKS_LIKE.get(name, name.lower())


class ChatMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = Harness(history=3, rate=0)
        self.people: list[Person] = []
        self.history: list[str] = []

    # The model.

    def online(self) -> list[Person]:
        return [p for p in self.people if p.name is not None]

    def holder(self, name: str) -> Person | None:
        return next((p for p in self.online() if key(p.online_name) == key(name)), None)

    def refusal(self, name: str, holder: Person) -> str:
        if holder.online_name.lower() == name.lower():
            return f"error: the name {name} is taken, choose another"
        return f"error: the name {name} looks like {holder.name}, who is online"

    def tell_others(self, sender: Person, line: str, words: bool = False) -> None:
        """A line about (or, with ``words``, from) ``sender`` for everyone else."""
        for person in self.online():
            if person is not sender and not (words and key(sender.online_name) in person.ignoring):
                person.expected.append(line)

    def shown_as(self, name: str, old: str | None = None) -> None:
        """Whoever ignores ``old`` (or ``name``) now ignores ``name``, shown so."""
        for person in self.people:
            if (
                person.ignoring.pop(key(old or name), None) is not None
                or key(name) in person.ignoring
            ):
                person.ignoring[key(name)] = name

    def remember(self, line: str) -> None:
        self.history = [*self.history, f"[16:05] {line}"][-3:]

    def leave(self, person: Person) -> None:
        if person.name is not None:
            name, person.name = person.name, None
            self.tell_others(person, f"{name} has left the chatroom!")
        self.people.remove(person)

    # The rules.

    @rule()
    def connect(self) -> None:
        self.people.append(Person(self.server.connect()))

    @precondition(lambda self: any(p.name is None for p in self.people))
    @rule(data=st.data(), name=NAMES)
    def choose_name(self, data: st.DataObject, name: str) -> None:
        person = data.draw(st.sampled_from([p for p in self.people if p.name is None]))
        person.client.send(name)
        holder = self.holder(name)
        if holder is not None:
            person.expected += [self.refusal(name, holder), PROMPT]
            return
        self.tell_others(person, f"{name} is joined to the chatroom!")
        person.name = name
        self.shown_as(name)
        names = sorted((p.online_name for p in self.online()), key=str.casefold)
        person.expected += [
            "Chat with your friends and enjoy",
            *self.history,
            f"online ({len(names)}): {', '.join(names)}",
        ]

    def someone_online(self, data: st.DataObject) -> Person:
        return data.draw(st.sampled_from(self.online()))

    @precondition(lambda self: self.online())
    @rule(data=st.data(), text=TEXT)
    def say(self, data: st.DataObject, text: str) -> None:
        person = self.someone_online(data)
        person.client.send(text)
        self.tell_others(person, f"{person.name}: {text}", words=True)
        self.remember(f"{person.name}: {text}")

    @precondition(lambda self: self.online())
    @rule(data=st.data(), text=TEXT)
    def act(self, data: st.DataObject, text: str) -> None:
        person = self.someone_online(data)
        person.client.send(f"/me {text}")
        self.tell_others(person, f"* {person.name} {text}", words=True)
        self.remember(f"* {person.name} {text}")

    @precondition(lambda self: self.online())
    @rule(data=st.data(), name=NAMES)
    def rename(self, data: st.DataObject, name: str) -> None:
        person = self.someone_online(data)
        person.client.send(f"/nick {name}")
        holder = self.holder(name)
        if name == person.name:
            person.expected.append(f"error: you are already known as {name}")
        elif holder is not None and holder is not person:
            person.expected.append(self.refusal(name, holder))
        else:
            self.tell_others(person, f"{person.name} is now known as {name}")
            person.expected.append(f"you are now known as {name}")
            self.shown_as(name, old=person.name)
            person.name = name

    @precondition(lambda self: self.online())
    @rule(data=st.data(), name=NAMES, text=TEXT)
    def whisper(self, data: st.DataObject, name: str, text: str) -> None:
        person = self.someone_online(data)
        person.client.send(f"/msg {name} {text}")
        target = self.holder(name)
        if target is None:
            person.expected.append(f"error: no such user: {name}")
            return
        if key(person.online_name) not in target.ignoring:
            target.expected.append(f"[private] {person.name}: {text}")
        person.expected.append(f"[private to {target.name}] {text}")

    @precondition(lambda self: self.online())
    @rule(data=st.data(), name=NAMES)
    def ignore(self, data: st.DataObject, name: str) -> None:
        person = self.someone_online(data)
        person.client.send(f"/ignore {name}")
        target = self.holder(name)
        if target is None:
            person.expected.append(f"error: no such user: {name}")
        elif target is person:
            person.expected.append("error: you can't ignore yourself")
        else:
            person.ignoring[key(target.online_name)] = target.online_name
            person.expected.append(f"ignoring {target.name}")

    @precondition(lambda self: self.online())
    @rule(data=st.data(), name=NAMES)
    def unignore(self, data: st.DataObject, name: str) -> None:
        person = self.someone_online(data)
        person.client.send(f"/unignore {name}")
        shown = person.ignoring.pop(key(name), None)
        if shown is None:
            person.expected.append(f"error: you are not ignoring {name}")
        else:
            person.expected.append(f"no longer ignoring {shown}")

    @precondition(lambda self: self.online())
    @rule(data=st.data())
    def list_ignored(self, data: st.DataObject) -> None:
        person = self.someone_online(data)
        person.client.send("/ignore")
        names = sorted(person.ignoring.values(), key=str.casefold)
        person.expected.append(f"ignoring: {', '.join(names)}" if names else "you ignore nobody")

    @precondition(lambda self: self.people)
    @rule(data=st.data())
    def quit(self, data: st.DataObject) -> None:
        person = data.draw(st.sampled_from(self.people))
        person.client.send("/quit")
        person.expected.append(f"Goodbye, {person.name}!" if person.name else "Goodbye!")
        self.collect(person)
        person.client.finish_close()
        self.leave(person)

    @precondition(lambda self: self.people)
    @rule(data=st.data())
    def vanish(self, data: st.DataObject) -> None:
        person = data.draw(st.sampled_from(self.people))
        self.collect(person)
        person.client.disconnect()
        self.leave(person)

    # What must hold.

    def collect(self, person: Person) -> None:
        person.received += person.client.take()
        assert person.received == person.expected, (person.received, person.expected)

    @invariant()
    def transcripts_match(self) -> None:
        for person in self.people:
            self.collect(person)

    @invariant()
    def names_unique_ignoring_case_and_looks(self) -> None:
        names = self.server.room.names()
        assert len({key(n) for n in names}) == len(names)
        assert names == sorted((p.online_name for p in self.online()), key=str.casefold)


class RoomStateMachineTests(SynchronousTestCase):
    def test_random_traffic(self) -> None:
        """Random traffic keeps every transcript exactly as the spec says."""
        run_state_machine_as_test(
            ChatMachine,
            settings=settings(max_examples=100, stateful_step_count=30, deadline=None),
        )

"""The room on its own: membership, broadcast and history, with fake members."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat.room import NameTaken, Room
from tests.harness import FIVE_PAST_FOUR


class FakeMember:
    def __init__(self) -> None:
        self.name: str | None = None
        self.key: str | None = None
        self.received: list[str] = []

    def deliver(self, data: bytes) -> None:
        self.received.extend(data.decode("utf-8").removesuffix("\r\n").split("\r\n"))


class RoomTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(FIVE_PAST_FOUR)
        self.room = Room(self.clock, history=3)

    def member(self, name: str) -> FakeMember:
        member = FakeMember()
        self.room.join(member, name)
        return member

    def test_join_announced_to_others(self) -> None:
        """Others hear of a newcomer; the newcomer hears nothing from the room."""
        soheil = self.member("soheil")
        ali = self.member("ali")
        self.assertEqual(soheil.received, ["ali is joined to the chatroom!"])
        self.assertEqual(ali.received, [])

    def test_taken_ignoring_case(self) -> None:
        """A name is taken whatever its case."""
        self.member("soheil")
        self.assertRaises(NameTaken, self.room.join, FakeMember(), "SOHEIL")
        self.assertEqual(len(self.room), 1)

    def test_say_reaches_others_only(self) -> None:
        """A message reaches every other member, not its sender."""
        soheil, ali, hasan = (self.member(n) for n in ["soheil", "ali", "hasan"])
        for member in (soheil, ali, hasan):
            member.received.clear()
        self.room.say(soheil, "hello")
        self.assertEqual(
            (soheil.received, ali.received, hasan.received),
            ([], ["soheil: hello"], ["soheil: hello"]),
        )

    def test_leave_once(self) -> None:
        """Leaving twice announces once."""
        soheil, ali = self.member("soheil"), self.member("ali")
        self.assertTrue(self.room.leave(ali))
        self.assertFalse(self.room.leave(ali))
        self.assertEqual(soheil.received[-1:], ["ali has left the chatroom!"])
        self.assertEqual(soheil.received.count("ali has left the chatroom!"), 1)

    def test_leave_during_broadcast(self) -> None:
        """A member that leaves while a line goes round does not upset the rest."""
        soheil, ali, hasan = (self.member(n) for n in ["soheil", "ali", "hasan"])
        ali.deliver = lambda data: self.room.leave(hasan)  # type: ignore[method-assign]
        self.room.say(soheil, "hi")
        self.assertEqual(self.room.names(), ["ali", "soheil"])

    def test_names_sorted_ignoring_case(self) -> None:
        """The online list is sorted the way people read names."""
        for name in ["hasan", "Ali", "soheil", "bob"]:
            self.member(name)
        self.assertEqual(self.room.online_line(), "online (4): Ali, bob, hasan, soheil")

    def test_history_keeps_the_last(self) -> None:
        """History keeps the most recent messages, stamped with their time."""
        soheil = self.member("soheil")
        for n in range(5):
            self.room.say(soheil, f"m{n}")
            self.clock.advance(60)
        self.assertEqual(
            self.room.history_lines(),
            ["[16:07] soheil: m2", "[16:08] soheil: m3", "[16:09] soheil: m4"],
        )

    def test_no_history(self) -> None:
        """With a history of 0 nothing is kept."""
        room = Room(self.clock, history=0)
        member = FakeMember()
        room.join(member, "soheil")
        room.say(member, "hi")
        self.assertEqual(room.history_lines(), [])

    def test_rename_keeps_place(self) -> None:
        """A renamed member is found by its new name only."""
        soheil, ali = self.member("soheil"), self.member("ali")
        self.assertEqual(self.room.rename(ali, "Ali2"), "ali")
        self.assertIs(self.room.find("ali2"), ali)
        self.assertIsNone(self.room.find("ali"))
        self.assertEqual(soheil.received[-1], "ali is now known as Ali2")

    def test_empty_is_silent(self) -> None:
        """Emptying the room at shutdown announces nothing."""
        soheil, ali = self.member("soheil"), self.member("ali")
        soheil.received.clear()
        self.room.empty()
        self.assertFalse(self.room.leave(ali))
        self.assertEqual((soheil.received, len(self.room)), ([], 0))

"""The room on its own: membership, broadcast and history, with fake members."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from chat import lines
from chat.room import NameTaken, Room, key_of, name_of
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

    def received(self, member: FakeMember) -> list[str]:
        """What a member has been delivered once the queue is flushed."""
        self.room.flush()
        return member.received

    def test_join_announced_to_others(self) -> None:
        """Others hear of a newcomer; the newcomer hears nothing from the room."""
        soheil = self.member("soheil")
        ali = self.member("ali")
        self.assertEqual(self.received(soheil), ["ali is joined to the chatroom!"])
        self.assertEqual(self.received(ali), [])

    def test_taken_ignoring_case(self) -> None:
        """A name is taken whatever its case."""
        self.member("soheil")
        taken = self.assertRaises(NameTaken, self.room.join, FakeMember(), "SOHEIL")
        self.assertEqual(taken.reason, "the name SOHEIL is taken, choose another")
        self.assertEqual(len(self.room), 1)

    def test_look_alike_taken(self) -> None:
        """A name that looks like an online one is taken, and the reason names who has it."""
        self.member("soheil")
        for name in ["ѕоһеіӏ", "ЅОҺЕІӀ"]:
            taken = self.assertRaises(NameTaken, self.room.join, FakeMember(), name)
            self.assertEqual(taken.reason, f"the name {name} looks like soheil, who is online")
        self.assertEqual(self.room.names(), ["soheil"])

    def test_rename_to_look_alike(self) -> None:
        """Nobody can rename into a look-alike of someone online."""
        self.member("mina")
        ali = self.member("ali")
        taken = self.assertRaises(NameTaken, self.room.rename, ali, "rnina")
        self.assertEqual(taken.reason, "the name rnina looks like mina, who is online")
        self.assertEqual(ali.name, "ali")

    def test_look_alike_frees_with_its_holder(self) -> None:
        """Once the holder leaves, a look-alike of its name is free."""
        soheil = self.member("soheil")
        self.room.leave(soheil)
        self.member("ѕоһеіӏ")
        self.assertEqual(self.room.names(), ["ѕоһеіӏ"])

    def test_find_by_look_alike(self) -> None:
        """A look-alike of a name, or one with an invisible character, finds its holder."""
        ali = self.member("ali")
        for name in ["ALI", "аӏі", "ali\u034f", "a\u200bli"]:
            self.assertIs(self.room.find(name), ali, name)
        self.assertIsNone(self.room.find("a" * 1000))

    def test_say_reaches_others_only(self) -> None:
        """A message reaches every other member, not its sender."""
        soheil, ali, hasan = (self.member(n) for n in ["soheil", "ali", "hasan"])
        for member in (soheil, ali, hasan):
            self.received(member).clear()
        self.room.say(soheil, "hello")
        self.assertEqual(
            (self.received(soheil), ali.received, hasan.received),
            ([], ["soheil: hello"], ["soheil: hello"]),
        )

    def test_leave_once(self) -> None:
        """Leaving twice announces once."""
        soheil, ali = self.member("soheil"), self.member("ali")
        self.assertTrue(self.room.leave(ali))
        self.assertFalse(self.room.leave(ali))
        self.assertEqual(self.received(soheil)[-1:], ["ali has left the chatroom!"])
        self.assertEqual(soheil.received.count("ali has left the chatroom!"), 1)

    def test_leave_during_broadcast(self) -> None:
        """A member that leaves while a line goes round does not upset the rest."""
        soheil, ali, hasan = (self.member(n) for n in ["soheil", "ali", "hasan"])
        self.room.flush()

        def leave_hasan(data: bytes) -> None:
            self.room.leave(hasan)

        ali.deliver = leave_hasan  # type: ignore[method-assign]
        self.room.say(soheil, "hi")
        self.room.flush()
        self.assertEqual(self.room.names(), ["ali", "soheil"])
        self.assertEqual(self.received(soheil)[-1], "hasan has left the chatroom!")

    def test_names_sorted_ignoring_case(self) -> None:
        """The online list is sorted the way people read names."""
        for name in ["hasan", "Ali", "soheil", "bob"]:
            self.member(name)
        self.assertEqual(self.room.online_line(), "online (4): Ali, bob, hasan, soheil")

    def test_names_sorted_by_name_not_by_key(self) -> None:
        """The list is in reading order, not in the order of the keys (m's key is rn)."""
        for name in ["ro", "n", "Mina", "m"]:
            self.member(name)
        self.assertEqual(self.room.names(), ["m", "Mina", "n", "ro"])
        m = self.room.find("m")
        assert m is not None
        self.room.rename(m, "zed")
        mina = self.room.find("mina")
        assert mina is not None
        self.room.leave(mina)
        self.assertEqual(self.room.names(), ["n", "ro", "zed"])

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
        self.assertEqual(self.received(soheil)[-1], "ali is now known as Ali2")

    def test_empty_is_silent(self) -> None:
        """Emptying the room at shutdown announces nothing."""
        soheil, ali = self.member("soheil"), self.member("ali")
        self.received(soheil).clear()
        self.room.empty()
        self.assertFalse(self.room.leave(ali))
        self.assertEqual((self.received(soheil), len(self.room)), ([], 0))


class FlushTests(SynchronousTestCase):
    """Lines are queued and delivered together, once per turn of the reactor."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.room = Room(self.clock)
        self.members = {}
        for name in ["soheil", "ali", "hasan"]:
            member = CountingMember()
            self.room.join(member, name)
            self.members[name] = member
        self.clock.advance(0)
        for member in self.members.values():
            member.deliveries.clear()

    def test_next_turn(self) -> None:
        """Queued lines go out on the reactor's next turn."""
        self.room.say(self.members["soheil"], "hi")
        self.assertEqual(self.members["ali"].deliveries, [])
        self.clock.advance(0)
        self.assertEqual(self.members["ali"].deliveries, [b"soheil: hi\r\n"])

    def test_one_delivery_per_member(self) -> None:
        """However many lines a turn brings, each member gets one delivery."""
        soheil, ali, hasan = self.members.values()
        for n in range(3):
            self.room.say(soheil, f"s{n}")
            self.room.say(ali, f"a{n}")
        self.clock.advance(0)
        self.assertEqual(len(hasan.deliveries), 1)
        self.assertEqual(
            hasan.deliveries[0].decode().split("\r\n")[:-1],
            ["soheil: s0", "ali: a0", "soheil: s1", "ali: a1", "soheil: s2", "ali: a2"],
        )
        self.assertEqual(soheil.deliveries, [b"ali: a0\r\nali: a1\r\nali: a2\r\n"])

    def test_shared_buffer(self) -> None:
        """Members that get the same lines share one buffer."""
        for _ in range(4):
            self.room.join(CountingMember(), f"extra{_}")
        self.room.flush()
        soheil, ali, hasan = self.members.values()
        self.room.say(soheil, "x")
        self.room.say(soheil, "y")
        self.room.flush()
        self.assertIs(ali.deliveries[-1], hasan.deliveries[-1])

    def test_private_in_order(self) -> None:
        """A private line reaches its target after the sender's earlier lines."""
        soheil, ali, hasan = self.members.values()
        self.room.say(soheil, "public")
        self.room.tell(ali, b"[private] soheil: psst\r\n")
        self.room.say(soheil, "public again")
        self.room.flush()
        self.assertEqual(
            ali.deliveries,
            [b"soheil: public\r\n[private] soheil: psst\r\nsoheil: public again\r\n"],
        )
        self.assertNotIn(b"psst", hasan.deliveries[0])

    def test_newcomer_gets_nothing_older(self) -> None:
        """A member who joins gets none of the lines queued before it joined."""
        soheil = self.members["soheil"]
        self.room.say(soheil, "before")
        newcomer = CountingMember()
        self.room.join(newcomer, "reza")
        self.room.say(soheil, "after")
        self.room.flush()
        self.assertEqual(newcomer.deliveries, [b"soheil: after\r\n"])

    def test_hand_over_before_leaving(self) -> None:
        """A member about to leave can take its queued lines at once; the others wait."""
        soheil, ali, hasan = self.members.values()
        self.room.say(soheil, "for everyone")
        self.room.hand_over(ali)
        self.room.leave(ali)
        self.assertEqual(ali.deliveries, [b"soheil: for everyone\r\n"])
        self.assertEqual(hasan.deliveries, [])
        self.room.flush()
        self.assertEqual(ali.deliveries, [b"soheil: for everyone\r\n"])
        self.assertEqual(
            hasan.deliveries, [b"soheil: for everyone\r\nali has left the chatroom!\r\n"]
        )

    def test_leaver_gets_nothing_more(self) -> None:
        """A member who leaves gets nothing more from the room; the others hear of it."""
        soheil, ali, hasan = self.members.values()
        self.room.say(soheil, "too late for ali")
        self.room.leave(ali)
        self.room.flush()
        self.assertEqual(ali.deliveries, [])
        self.assertEqual(
            hasan.deliveries, [b"soheil: too late for ali\r\nali has left the chatroom!\r\n"]
        )


class IgnoreTests(SynchronousTestCase):
    """/ignore in the room: by name key, through renames and returns, batch by batch."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.room = Room(self.clock)
        self.people: dict[str, CountingMember] = {}
        for name in ["soheil", "ali", "hasan", "reza"]:
            self.people[name] = self.join(name)
        self.room.flush()
        self.clear()

    def join(self, name: str) -> CountingMember:
        member = CountingMember()
        self.room.join(member, name)
        return member

    def clear(self) -> None:
        for member in self.people.values():
            member.deliveries.clear()
            member.received.clear()

    def test_ignored_messages_and_actions(self) -> None:
        """An ignorer gets nothing that the ignored says or does; the others get all."""
        soheil, ali, hasan, reza = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.say(ali, "hi")
        self.room.act(ali, "waves")
        self.room.say(soheil, "hello")
        self.room.flush()
        self.assertEqual(hasan.received, ["soheil: hello"])
        self.assertEqual(reza.received, ["ali: hi", "* ali waves", "soheil: hello"])

    def test_one_line_turn(self) -> None:
        """A turn with one line skips the ignorer too."""
        _, ali, hasan, reza = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.say(ali, "hi")
        self.room.flush()
        self.assertEqual((hasan.deliveries, reza.received), ([], ["ali: hi"]))

    def test_others_keep_the_shared_buffer(self) -> None:
        """Ignoring someone who spoke gives the ignorer its own buffer, and nobody else."""
        soheil, ali, hasan, reza = self.people.values()
        extra = self.join("extra")
        self.room.flush()
        self.clear()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.say(ali, "hi")
        self.room.say(soheil, "hello")
        self.room.flush()
        self.assertEqual(hasan.deliveries, [b"soheil: hello\r\n"])
        self.assertEqual(reza.deliveries[-1], b"ali: hi\r\nsoheil: hello\r\n")
        self.assertIs(reza.deliveries[-1], extra.deliveries[-1])

    def test_server_lines_still_arrive(self) -> None:
        """Joins, leaves and renames of the ignored still reach the ignorer."""
        _, ali, hasan, _ = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.rename(ali, "ali2")
        self.room.leave(ali)
        self.room.flush()
        self.assertEqual(
            hasan.received, ["ali is now known as ali2", "ali2 has left the chatroom!"]
        )

    def test_follows_renames(self) -> None:
        """The ignore follows the ignored through a rename; the old name is free of it."""
        _, ali, hasan, reza = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.say(ali, "before")
        self.room.rename(ali, "Alireza")
        self.room.say(ali, "after")
        newcomer = self.join("ali")
        self.room.say(newcomer, "new ali")
        self.room.flush()
        self.assertEqual(
            hasan.received,
            ["ali is now known as Alireza", "ali is joined to the chatroom!", "ali: new ali"],
        )
        self.assertEqual(self.room.ignores.names(hasan), ["Alireza"])
        self.assertEqual(reza.received[:2], ["ali: before", "ali is now known as Alireza"])

    def test_holds_when_the_ignored_comes_back(self) -> None:
        """Coming back in another case, or as a look-alike, does not escape an ignore."""
        _, ali, hasan, reza = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.leave(ali)
        for name in ["ALI", "аӏі"]:  # the second in Cyrillic
            back = self.join(name)
            self.room.say(back, "it's me again")
            self.room.leave(back)
            self.assertEqual(self.room.ignores.names(hasan), [name])
        self.room.flush()
        self.assertNotIn("me again", " ".join(hasan.received))
        self.assertIn("аӏі: it's me again", reza.received)

    def test_ends_when_the_ignorer_leaves(self) -> None:
        """An ignorer that leaves ignores nobody; the room keeps nothing for it."""
        _, ali, hasan, _ = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.leave(hasan)
        self.assertFalse(self.room.ignores)
        self.assertEqual(self.room.ignores.names(hasan), [])

    def test_private_message_dropped(self) -> None:
        """A private message from the ignored is dropped; others' still arrive."""
        soheil, ali, hasan, _ = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.whisper(ali, hasan, "psst")
        self.room.whisper(soheil, hasan, "hey")
        self.room.whisper(hasan, ali, "one way")
        self.room.flush()
        self.assertEqual(hasan.received, ["[private] soheil: hey"])
        self.assertEqual(ali.received, ["[private] hasan: one way"])

    def test_hand_over_skips_ignored(self) -> None:
        """What a leaving ignorer takes at once has nothing from the ignored either."""
        soheil, ali, hasan, _ = self.people.values()
        self.room.ignores.add(hasan, key_of(ali), name_of(ali))
        self.room.say(ali, "hi")
        self.room.say(soheil, "bye")
        self.room.hand_over(hasan)
        self.assertEqual(hasan.received, ["soheil: bye"])


class OnlineListTests(SynchronousTestCase):
    """Big rooms: the newcomer's list is capped, /who is split into short lines."""

    def room_of(self, names: list[str]) -> Room:
        room = Room(Clock())
        for name in names:
            room.join(FakeMember(), name)
        return room

    def test_newcomer_sees_fifty(self) -> None:
        """A newcomer's list names the first 50 people, then how many more."""
        names = [f"user{n:04}" for n in range(3000)]
        line = self.room_of(names).online_line()
        self.assertEqual(line, f"online (3000): {', '.join(names[:50])} and 2950 more")

    def test_fifty_and_fewer_all_named(self) -> None:
        """Up to 50 people, the list names everyone."""
        names = [f"user{n:02}" for n in range(50)]
        self.assertEqual(self.room_of(names).online_line(), f"online (50): {', '.join(names)}")
        names.append("user50")
        self.assertTrue(self.room_of(names).online_line().endswith("user49 and 1 more"))

    def test_newcomer_list_fits_a_line(self) -> None:
        """Long names make the newcomer's list stop sooner: it never passes 1024 bytes."""
        names = [f"{n:02}" + "ش" * 30 for n in range(60)]
        line = self.room_of(names).online_line()
        self.assertLessEqual(len(lines.encode(line)), 1024)
        shown = line.removeprefix("online (60): ").rsplit(" and ", 1)
        self.assertEqual(len(shown[0].split(", ")) + int(shown[1].split()[0]), 60)

    def test_who_lists_everyone_in_short_lines(self) -> None:
        """/who names everyone, in order, on lines of at most 1024 bytes, each prefixed."""
        names = sorted(f"{n:04}" + "ش" * 28 for n in range(3000))
        who = self.room_of(names).who_lines()
        self.assertGreater(len(who), 1)
        listed = []
        for line in who:
            self.assertLessEqual(len(lines.encode(line)), 1024)
            self.assertTrue(line.startswith("online (3000): "))
            listed += line.removeprefix("online (3000): ").split(", ")
        self.assertEqual(listed, names)

    def test_who_small_room_one_line(self) -> None:
        """A small room's /who is the one familiar line."""
        self.assertEqual(self.room_of(["b", "a"]).who_lines(), ["online (2): a, b"])


class CountingMember(FakeMember):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[bytes] = []

    def deliver(self, data: bytes) -> None:
        self.deliveries.append(data)
        super().deliver(data)


class ArrivalStormTests(SynchronousTestCase):
    def test_joins_in_one_turn(self) -> None:
        """Many joins in one turn: one delivery each, with only what followed each join."""
        room = Room(Clock())
        first = CountingMember()
        room.join(first, "first")
        room.flush()
        newcomers = []
        for n in range(5):
            member = CountingMember()
            room.join(member, f"n{n}")
            room.say(member, f"hello from n{n}")
            newcomers.append(member)
        room.flush()
        self.assertEqual(len(first.deliveries), 1)
        self.assertEqual(len(first.received), 10)
        for n, member in enumerate(newcomers):
            later = [f"n{m} is joined to the chatroom!" for m in range(n + 1, 5)]
            said = [f"n{m}: hello from n{m}" for m in range(n + 1, 5)]
            expected = [line for pair in zip(later, said, strict=True) for line in pair]
            self.assertEqual(member.received, expected)

    def test_come_and_gone_in_one_turn(self) -> None:
        """A member who comes and goes within one turn is announced both ways, and nothing else."""
        room = Room(Clock())
        stayer, watcher, visitor = CountingMember(), CountingMember(), CountingMember()
        room.join(stayer, "stayer")
        room.join(watcher, "watcher")
        room.flush()
        room.say(stayer, "before")
        room.join(visitor, "visitor")
        room.leave(visitor)
        room.flush()
        self.assertEqual(visitor.received, [])
        self.assertEqual(
            watcher.received[-3:],
            [
                "stayer: before",
                "visitor is joined to the chatroom!",
                "visitor has left the chatroom!",
            ],
        )

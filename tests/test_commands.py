"""docs/protocol.md §4: the slash commands, what the user gets and what others get."""

from __future__ import annotations

from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from chat import lines
from tests.harness import Harness, logged


class CommandTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()
        self.soheil, self.ali, self.hasan = self.server.chatters("soheil", "ali", "hasan")

    def others_got(self, *expected: str) -> None:
        self.assertEqual(self.ali.take(), list(expected))
        self.assertEqual(self.hasan.take(), list(expected))

    def test_help(self) -> None:
        """/help lists every command, one per line, to the user only."""
        self.soheil.send("/help")
        got = self.soheil.take()
        self.assertEqual(got, list(lines.HELP))
        for command in ["/help", "/who", "/names", "/nick", "/me", "/msg", "/ignore", "/unignore"]:
            self.assertTrue(any(command in line for line in got), command)
        self.others_got()

    def test_who(self) -> None:
        """/who lists who is online, sorted, to the user only."""
        self.soheil.send("/who")
        self.assertEqual(self.soheil.take(), ["online (3): ali, hasan, soheil"])
        self.others_got()

    def test_names(self) -> None:
        """/names is /who."""
        self.soheil.send("/names")
        self.assertEqual(self.soheil.take(), ["online (3): ali, hasan, soheil"])

    def test_case_insensitive(self) -> None:
        """Command names ignore case."""
        self.soheil.send("/WHO")
        self.soheil.send("/Names")
        self.assertEqual(self.soheil.take(), ["online (3): ali, hasan, soheil"] * 2)

    def test_nick(self) -> None:
        """/nick renames the user, who is told, and the others are told."""
        with capturedLogs() as events:
            self.soheil.send("/nick Soheil_J")
        self.assertEqual(self.soheil.take(), ["you are now known as Soheil_J"])
        self.others_got("soheil is now known as Soheil_J")
        self.assertIn("soheil is now known as Soheil_J", logged(events))
        self.ali.send("hi")
        self.soheil.send("/who")
        self.assertEqual(self.soheil.take(), ["ali: hi", "online (3): ali, hasan, Soheil_J"])

    def test_nick_new_name_used(self) -> None:
        """After /nick, messages carry the new name and the old one is free."""
        self.soheil.send("/nick sj")
        self.soheil.take()
        self.ali.take()
        self.soheil.send("hello")
        self.assertEqual(self.ali.take(), ["sj: hello"])
        newcomer = self.server.connect()
        newcomer.send("soheil")
        self.assertEqual(newcomer.take()[-1], "online (4): ali, hasan, sj, soheil")

    def test_nick_change_of_case(self) -> None:
        """A user may change the case of its own name."""
        self.soheil.send("/nick Soheil")
        self.assertEqual(self.soheil.take(), ["you are now known as Soheil"])

    def test_nick_taken(self) -> None:
        """/nick to a name taken in any case is an error; nobody else hears."""
        self.soheil.send("/nick ALI")
        self.assertEqual(self.soheil.take(), ["error: the name ALI is taken, choose another"])
        self.others_got()

    def test_nick_invalid(self) -> None:
        """/nick follows the registration rules."""
        self.soheil.send("/nick a!b")
        (line,) = self.soheil.take()
        self.assertTrue(line.startswith("error: a name cannot contain '!'"), line)
        self.others_got()

    def test_nick_same(self) -> None:
        """/nick to one's own name is an error."""
        self.soheil.send("/nick soheil")
        self.assertEqual(self.soheil.take(), ["error: you are already known as soheil"])

    def test_nick_without_name(self) -> None:
        """/nick alone says how to use it."""
        self.soheil.send("/nick")
        self.assertEqual(self.soheil.take(), ["error: usage: /nick NEW"])

    def test_me(self) -> None:
        """/me shows an action to the others, not to the user."""
        self.soheil.send("/me waves")
        self.assertEqual(self.soheil.take(), [])
        self.others_got("* soheil waves")

    def test_me_logged_as_sent(self) -> None:
        """/me is logged as the others read it, with the name and the action as fields."""
        with capturedLogs() as events:
            self.soheil.send("/me waves {name} {0}")
            self.others_got("* soheil waves {name} {0}")
        (event,) = [e for e in events if "action" in e]
        self.assertEqual((event["name"], event["action"]), ("soheil", "waves {name} {0}"))
        self.assertEqual(logged([event]), ["* soheil waves {name} {0}"])

    def test_me_text_cleaned(self) -> None:
        """/me text is cleaned like a message: no separator or bidi override gets through."""
        self.soheil.send("/me waves\u2028ali has left the chatroom!\u202e")
        self.others_got("* soheil waves ali has left the chatroom!")

    def test_me_without_action(self) -> None:
        """/me alone says how to use it."""
        self.soheil.send("/me")
        self.assertEqual(self.soheil.take(), ["error: usage: /me ACTION"])
        self.others_got()

    def test_msg(self) -> None:
        """/msg reaches only the one named, and the sender gets a copy."""
        self.soheil.send("/msg ali hi there")
        self.assertEqual(self.soheil.take(), ["[private to ali] hi there"])
        self.assertEqual(self.ali.take(), ["[private] soheil: hi there"])
        self.assertEqual(self.hasan.take(), [])

    def test_msg_text_cleaned(self) -> None:
        """/msg text is cleaned like a message, for both ends."""
        self.soheil.send("/msg ali hi\u2029there\u200b")
        self.assertEqual(self.soheil.take(), ["[private to ali] hi there"])
        self.assertEqual(self.ali.take(), ["[private] soheil: hi there"])

    def test_msg_to_a_look_alike(self) -> None:
        """/msg to a look-alike of a name (a copy-pasted impostor) reaches the holder."""
        self.soheil.send("/msg аӏі hi")
        self.assertEqual(self.soheil.take(), ["[private to ali] hi"])
        self.assertEqual(self.ali.take(), ["[private] soheil: hi"])

    def test_msg_any_case(self) -> None:
        """/msg finds the user whatever the case typed."""
        self.soheil.send("/msg ALI hi")
        self.assertEqual(self.soheil.take(), ["[private to ali] hi"])

    def test_msg_not_logged(self) -> None:
        """Private messages stay out of the log."""
        with capturedLogs() as events:
            self.soheil.send("/msg ali secret")
        self.assertNotIn("secret", repr(list(events)))

    def test_msg_no_such_user(self) -> None:
        """/msg to nobody online is an error."""
        self.soheil.send("/msg reza hi")
        self.assertEqual(self.soheil.take(), ["error: no such user: reza"])
        self.others_got()

    def test_msg_without_text(self) -> None:
        """/msg with no text (or only invisible text) says how to use it."""
        for line in ["/msg", "/msg ali", "/msg ali   ", "/msg ali \u200b\u2066"]:
            self.soheil.send(line)
            self.assertEqual(self.soheil.take(), ["error: usage: /msg NAME TEXT"])

    def test_quit(self) -> None:
        """/quit says goodbye, closes, and the others get one leave line."""
        self.soheil.send("/quit")
        self.assertEqual(self.soheil.take(), ["Goodbye, soheil!"])
        self.assertTrue(self.soheil.closing)
        self.others_got("soheil has left the chatroom!")
        self.soheil.finish_close()
        self.others_got()

    def test_unknown(self) -> None:
        """Any other command is an error that points to /help."""
        self.soheil.send("/anything-else")
        self.assertEqual(self.soheil.take(), ["error: unknown command /anything-else (try /help)"])
        self.others_got()

    def test_bare_slash(self) -> None:
        """A lone / is an unknown command too."""
        self.soheil.send("/")
        self.assertEqual(self.soheil.take(), ["error: unknown command / (try /help)"])

    def test_dispatch_only_commands(self) -> None:
        """Only command_ methods are reachable from the wire."""
        self.soheil.send("/dispatch x")
        self.assertEqual(self.soheil.take(), ["error: unknown command /dispatch (try /help)"])


class WhoTests(SynchronousTestCase):
    def test_who_in_a_big_room(self) -> None:
        """/who in a big room lists everyone, each line at most 1024 bytes and prefixed."""
        server = Harness(rate=0)
        names = [f"user{n:04}" for n in range(300)]
        for name in names:
            server.join(name)
        asker = server.connect()
        asker.send("zed")
        self.assertEqual(asker.take()[-1], f"online (301): {', '.join(names[:50])} and 251 more")
        asker.send("/who")
        got = asker.take()
        self.assertGreater(len(got), 1)
        self.assertTrue(all(len(line.encode()) + 2 <= 1024 for line in got))
        self.assertTrue(all(line.startswith("online (301): ") for line in got))
        listed = [n for line in got for n in line.removeprefix("online (301): ").split(", ")]
        self.assertEqual(listed, [*names, "zed"])


class IgnoreCommandTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()
        self.soheil, self.ali, self.hasan = self.server.chatters("soheil", "ali", "hasan")

    def test_ignore(self) -> None:
        """/ignore NAME: nothing NAME says, does or whispers reaches the user any more."""
        self.hasan.send("/ignore ALI")
        self.assertEqual(self.hasan.take(), ["ignoring ali"])
        self.ali.send("please send me your password")
        self.ali.send("/me waves")
        self.ali.send("/msg hasan psst")
        self.assertEqual(self.ali.take(), ["[private to hasan] psst"])
        self.soheil.send("hi")
        self.assertEqual(self.hasan.take(), ["soheil: hi"])
        self.assertEqual(self.soheil.take(), ["ali: please send me your password", "* ali waves"])

    def test_ignore_judges_only_later_lines(self) -> None:
        """A line sent before the /ignore, in the same turn, still arrives; later ones don't."""
        self.ali.send("said before")
        self.hasan.send("/ignore ali")
        self.ali.send("said after")
        self.assertEqual(self.hasan.take(), ["ali: said before", "ignoring ali"])

    def test_rename_into_an_ignored_name_keeps_earlier_lines(self) -> None:
        """Lines sent before a rename into an ignored name are judged by the name they came with."""
        self.hasan.send("/ignore ali")
        self.ali.send("/quit")
        self.hasan.take()
        self.soheil.send(b"hi hasan\n/nick ali\n")
        self.assertEqual(self.hasan.take(), ["soheil: hi hasan", "soheil is now known as ali"])

    def test_ignore_lists(self) -> None:
        """/ignore alone says whom the user ignores, in order, or that it ignores nobody."""
        self.hasan.send("/ignore")
        self.assertEqual(self.hasan.take(), ["you ignore nobody"])
        self.hasan.send("/ignore soheil")
        self.hasan.send("/ignore ali")
        self.hasan.send("/ignore")
        self.assertEqual(
            self.hasan.take(), ["ignoring soheil", "ignoring ali", "ignoring: ali, soheil"]
        )

    def test_ignore_across_rename(self) -> None:
        """The ignore follows a rename; the rename line itself still arrives."""
        self.hasan.send("/ignore ali")
        self.ali.send("/nick alireza")
        self.ali.send("still me")
        self.assertEqual(self.hasan.take(), ["ignoring ali", "ali is now known as alireza"])
        self.hasan.send("/ignore")
        self.assertEqual(self.hasan.take(), ["ignoring: alireza"])

    def test_ignore_survives_reconnecting(self) -> None:
        """Leaving and coming back under the same name does not escape an ignore."""
        self.hasan.send("/ignore ali")
        self.ali.send("/quit")
        self.ali.finish_close()
        again = self.server.join("Ali")
        again.send("it's me again")
        self.assertEqual(
            self.hasan.take(),
            ["ignoring ali", "ali has left the chatroom!", "Ali is joined to the chatroom!"],
        )

    def test_unignore(self) -> None:
        """/unignore NAME ends the ignore; the user hears NAME again."""
        self.hasan.send("/ignore ali")
        self.hasan.send("/unignore ALI")
        self.ali.send("hello again")
        self.assertEqual(
            self.hasan.take(), ["ignoring ali", "no longer ignoring ali", "ali: hello again"]
        )

    def test_unignore_someone_not_ignored(self) -> None:
        """/unignore of someone not ignored, or with no name, is an error."""
        self.hasan.send("/unignore ali")
        self.hasan.send("/unignore")
        self.assertEqual(
            self.hasan.take(),
            ["error: you are not ignoring ali", "error: usage: /unignore NAME"],
        )

    def test_ignore_ends_when_leaving(self) -> None:
        """An ignore lasts until the user leaves; next time it starts afresh."""
        self.hasan.send("/ignore ali")
        self.hasan.send("/quit")
        self.hasan.finish_close()
        hasan = self.server.join("hasan")
        self.ali.send("hi")
        self.assertEqual(hasan.take(), ["ali: hi"])

    def test_ignore_errors(self) -> None:
        """/ignore of nobody online or of oneself is an error; nobody else hears of it."""
        self.hasan.send("/ignore reza")
        self.hasan.send("/ignore HASAN")
        self.assertEqual(
            self.hasan.take(), ["error: no such user: reza", "error: you can't ignore yourself"]
        )
        self.assertEqual((self.ali.take(), self.soheil.take()), ([], []))

    def test_ignore_list_has_a_limit(self) -> None:
        """Nobody can ignore more than 100 people: the list's memory is bounded."""
        server = Harness(rate=0)
        (hasan,) = server.chatters("hasan")
        for n in range(101):
            server.join(f"u{n}")
            hasan.send(f"/ignore u{n}")
        got = [line for line in hasan.take() if not line.endswith("chatroom!")]
        self.assertEqual(got[99], "ignoring u99")
        self.assertEqual(
            got[100], "error: you can ignore at most 100 people; /unignore someone first"
        )

"""docs/protocol.md §2 and §3: registration, messages, leaving, and the timeouts."""

from __future__ import annotations

from typing import cast

from twisted.logger import ILogObserver, LogEvent, capturedLogs, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from tests.harness import Harness, logged

PROMPT = "Please enter your name:"


class RegistrationTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()

    def test_prompt_on_connect(self) -> None:
        """A new connection is asked for a name."""
        self.assertEqual(self.server.connect().take(), [PROMPT])

    def test_welcome(self) -> None:
        """A good name gets the welcome and the online list, and no join line."""
        self.server.chatters("ali", "hasan")
        soheil = self.server.connect()
        soheil.take()
        soheil.send("soheil")
        self.assertEqual(
            soheil.take(),
            ["Chat with your friends and enjoy", "online (3): ali, hasan, soheil"],
        )

    def test_join_line_to_others(self) -> None:
        """Every other user hears that the newcomer joined."""
        ali, hasan = self.server.chatters("ali", "hasan")
        self.server.join("soheil")
        self.assertEqual(ali.take(), ["soheil is joined to the chatroom!"])
        self.assertEqual(hasan.take(), ["soheil is joined to the chatroom!"])

    def test_history_replayed(self) -> None:
        """A newcomer gets recent messages with their time, before the online list."""
        (ali,) = self.server.chatters("ali")
        ali.send("hi soheil im ali")
        soheil = self.server.connect()
        soheil.send("soheil")
        self.assertEqual(
            soheil.take()[1:],
            [
                "Chat with your friends and enjoy",
                "[16:05] ali: hi soheil im ali",
                "online (2): ali, soheil",
            ],
        )

    def test_history_limit(self) -> None:
        """Only the last --history messages are replayed."""
        self.server = Harness(history=2)
        (ali,) = self.server.chatters("ali")
        for n in range(4):
            ali.send(f"m{n}")
        soheil = self.server.connect()
        soheil.send("soheil")
        replay = [line for line in soheil.take() if "ali:" in line]
        self.assertEqual(replay, ["[16:05] ali: m2", "[16:05] ali: m3"])

    def test_no_history(self) -> None:
        """--history 0 replays nothing."""
        self.server = Harness(history=0)
        (ali,) = self.server.chatters("ali")
        ali.send("hello")
        soheil = self.server.connect()
        soheil.send("soheil")
        self.assertEqual(
            soheil.take(),
            [PROMPT, "Chat with your friends and enjoy", "online (2): ali, soheil"],
        )

    def test_bad_name_prompts_again(self) -> None:
        """A bad name gets one error line and the prompt again; the connection stays."""
        client = self.server.connect()
        client.take()
        client.send("ali reza")
        lines = client.take()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].startswith("error: "), lines)
        self.assertEqual(lines[1], PROMPT)
        self.assertFalse(client.closing)
        client.send("ali")
        self.assertEqual(client.take()[-1], "online (1): ali")

    def test_empty_name(self) -> None:
        """An empty line is a bad name too."""
        client = self.server.connect()
        client.take()
        client.send("")
        self.assertEqual(client.take(), ["error: a name cannot be empty", PROMPT])

    def test_taken_name_any_case(self) -> None:
        """A name taken in another case gets an error and the prompt."""
        self.server.chatters("soheil")
        client = self.server.connect()
        client.take()
        client.send("SoHeIl")
        self.assertEqual(client.take(), ["error: the name SoHeIl is taken, choose another", PROMPT])

    def test_names_nobody_can_fake(self) -> None:
        """A look-alike, a mix of scripts, a reserved or invisible name: the error says why."""
        self.server.chatters("soheil", "ali")
        client = self.server.connect()
        client.take()
        for name, reason in [
            ("ѕоһеіӏ", "the name ѕоһеіӏ looks like soheil, who is online"),
            ("аli", "a name can't mix scripts"),
            ("Server", "the name Server is reserved"),
            ("error", "the name error is reserved"),
            ("ali\u034f", "a name cannot contain invisible characters"),
            ("\u3164", "a name cannot contain invisible characters"),
        ]:
            client.send(name)
            self.assertEqual(client.take(), [f"error: {reason}", PROMPT])
        client.send("مهر\u200cناز")
        self.assertEqual(client.take()[-1], "online (3): ali, soheil, مهر\u200cناز")

    def test_control_characters_stripped_before_check(self) -> None:
        """Control characters are stripped before the name is checked."""
        client = self.server.connect()
        client.send(b"so\x1b\x07heil\r\n")
        self.assertEqual(client.take()[-1], "online (1): soheil")

    def test_quit_while_choosing(self) -> None:
        """/quit at the prompt says goodbye and closes, announcing nothing."""
        (ali,) = self.server.chatters("ali")
        client = self.server.connect()
        client.take()
        client.send("/quit")
        self.assertEqual(client.take(), ["Goodbye!"])
        self.assertTrue(client.closing)
        client.finish_close()
        self.assertEqual(ali.take(), [])

    def test_unregistered_not_listed_nor_told(self) -> None:
        """A client still choosing a name is not online and hears no messages."""
        (ali, _hasan) = self.server.chatters("ali", "hasan")
        waiting = self.server.connect()
        waiting.take()
        ali.send("hello")
        ali.send("/who")
        self.assertEqual(waiting.take(), [])
        self.assertEqual(ali.take(), ["online (2): ali, hasan"])

    def test_registration_timeout(self) -> None:
        """No name within the registration timeout: an error line, then close."""
        client = self.server.connect("127.0.0.1")
        client.take()
        with capturedLogs() as events:
            self.server.clock.advance(59.9)
            self.assertFalse(client.closing)
            self.server.clock.advance(0.1)
        self.assertEqual(client.take(), ["error: no name given within 60 seconds, goodbye"])
        self.assertTrue(client.closing)
        self.assertIn("127.0.0.1:40001", str([e.get("peer") for e in events]))

    def test_registration_timeout_off(self) -> None:
        """--registration-timeout 0 waits for a name for ever."""
        self.server = Harness(registration_timeout=0)
        client = self.server.connect()
        self.server.clock.advance(10**6)
        self.assertFalse(client.closing)

    def test_bad_names_do_not_reset_timeout(self) -> None:
        """Bad names do not buy more time to choose one."""
        client = self.server.connect()
        self.server.clock.advance(50)
        client.send("!")
        self.server.clock.advance(10)
        self.assertTrue(client.closing)


class ChatTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.server = Harness()
        self.soheil, self.ali, self.hasan = self.server.chatters("soheil", "ali", "hasan")

    def test_message_to_others_not_sender(self) -> None:
        """A message reaches every other user as 'name: text', with no echo."""
        self.soheil.send("hello this is soheil")
        self.assertEqual(self.ali.take(), ["soheil: hello this is soheil"])
        self.assertEqual(self.hasan.take(), ["soheil: hello this is soheil"])
        self.assertEqual(self.soheil.take(), [])

    def test_message_logged(self) -> None:
        """The log says who said what."""
        with capturedLogs() as events:
            self.soheil.send("hello this is soheil")
            self.ali.take()  # the reactor's next turn: delivered, then logged
        self.assertIn(
            "soheil said hello this is soheil",
            logged(events),
        )

    def test_logged_once_delivered(self) -> None:
        """A message is logged once the others have it: the log never holds up the line."""
        seen_by_ali: list[bytes] = []

        def observe(event: LogEvent) -> None:
            if event.get("words") == "hello":
                seen_by_ali.append(self.ali.transport.value())

        with capturedLogs() as events:
            observer = cast(ILogObserver, observe)
            globalLogPublisher.addObserver(observer)
            try:
                self.soheil.send("hello")
                self.ali.take()
            finally:
                globalLogPublisher.removeObserver(observer)
        self.assertEqual(seen_by_ali, [b"soheil: hello\r\n"])
        self.assertIn("soheil said hello", logged(events))

    def test_logged_in_order(self) -> None:
        """What the room logs keeps the order things happened in, within a turn too."""
        with capturedLogs() as events:
            self.soheil.send("hello")
            self.soheil.send("/quit")
            self.ali.take()
        room_lines = [line for line in logged(events) if line.startswith("soheil")]
        self.assertEqual(room_lines, ["soheil said hello", "soheil has left the chatroom!"])

    def test_trimmed(self) -> None:
        """Spaces around a message are trimmed."""
        self.soheil.send("   hi   ")
        self.assertEqual(self.ali.take(), ["soheil: hi"])

    def test_empty_ignored(self) -> None:
        """An empty or blank line sends nothing."""
        self.soheil.send("")
        self.soheil.send("    ")
        self.assertEqual((self.ali.take(), self.soheil.take()), ([], []))

    def test_double_slash(self) -> None:
        """A line starting with // is a message starting with /."""
        self.soheil.send("//shrug")
        self.assertEqual(self.ali.take(), ["soheil: /shrug"])

    def test_no_forged_lines(self) -> None:
        """A separator in a message can't forge a second line for others or in the log."""
        with capturedLogs() as events:
            self.soheil.send("bye\u2028ali has left the chatroom!\u2029")
            self.assertEqual(self.ali.take(), ["soheil: bye ali has left the chatroom!"])
        text = "\n".join(logged(events))
        self.assertEqual(text.splitlines(), ["soheil said bye ali has left the chatroom!"])

    def test_message_cleaned(self) -> None:
        """Bidi controls and zero-width spaces go; ZWNJ, ZWJ, LRM, RLM stay; marks are capped."""
        self.soheil.send("\u202eevil\u2066 mi\u200cxed\u200b \u200d\u200e\u200f x" + "\u0301" * 20)
        self.assertEqual(
            self.ali.take(), ["soheil: evil mi\u200cxed \u200d\u200e\u200f x" + "\u0301" * 8]
        )

    def test_invisible_message_ignored(self) -> None:
        """A message that is nothing once cleaned sends nothing."""
        self.soheil.send("\u200b\u2028\ufeff")
        self.assertEqual(self.ali.take(), [])

    def test_order_kept(self) -> None:
        """Messages from one sender arrive in the order sent."""
        for n in range(5):
            self.soheil.send(f"m{n}")
        self.assertEqual(self.ali.take(), [f"soheil: m{n}" for n in range(5)])

    def test_telnet_and_netcat_alike(self) -> None:
        """CRLF and LF line ends give the same message."""
        self.soheil.send(b"one\r\ntwo\n")
        self.assertEqual(self.ali.take(), ["soheil: one", "soheil: two"])

    def test_utf8(self) -> None:
        """UTF-8 text passes through; bad bytes become U+FFFD and keep the connection."""
        self.soheil.send("سلام".encode() + b" caf\xe9!\n")
        self.assertEqual(self.ali.take(), ["soheil: سلام caf\ufffd!"])
        self.assertFalse(self.soheil.closing)

    def test_leave_on_close(self) -> None:
        """A client that goes away: every other user gets one leave line."""
        with capturedLogs() as events:
            self.soheil.disconnect()
        self.assertEqual(self.ali.take(), ["soheil has left the chatroom!"])
        self.assertEqual(self.hasan.take(), ["soheil has left the chatroom!"])
        self.assertIn("soheil has left the chatroom!", logged(events))

    def test_leave_once_after_quit(self) -> None:
        """After /quit the close that follows announces nothing more."""
        self.soheil.send("/quit")
        self.soheil.finish_close()
        self.assertEqual(self.ali.take(), ["soheil has left the chatroom!"])

    def test_lines_after_quit_ignored(self) -> None:
        """Nothing sent after /quit reaches anyone."""
        self.soheil.send(b"/quit\nstill here\n")
        self.assertEqual(self.ali.take(), ["soheil has left the chatroom!"])

    def test_idle_timeout(self) -> None:
        """A silent user is dropped after --idle-timeout, and others see it leave."""
        self.server = Harness(idle_timeout=300)
        soheil, ali = self.server.chatters("soheil", "ali")
        self.server.clock.advance(200)
        soheil.send("still here")
        self.server.clock.advance(200)
        self.assertFalse(soheil.closing)
        self.assertTrue(ali.closing)
        self.assertEqual(ali.take(), ["soheil: still here", "error: idle for 300 seconds, goodbye"])
        self.assertEqual(soheil.take(), ["ali has left the chatroom!"])

    def test_idle_timeout_off_by_default(self) -> None:
        """By default a silent user stays for ever."""
        self.server.clock.advance(10**7)
        self.assertFalse(self.soheil.closing)

"""
The one-order check (chat/bench/order.py): parsing message numbers, and
the verdict over what each client read.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from twisted.trial.unittest import SynchronousTestCase

from chat.bench.order import OK, OrderFigures, Stream, check_order, new_ids, parse_ids

SENDERS = ["s0", "s1"]
# Six messages: 0, 2, 4 from s0 and 1, 3, 5 from s1, in the room's order.
ROOM = [0, 1, 3, 2, 5, 4]


def recorded(name: str, ids: Sequence[int], own: int | None = None) -> Stream:
    """A client that recorded the numbers ``ids`` in the order it read them."""
    return Stream(name, own, len(ids), 0, array("I", ids))


def without(own: int) -> list[int]:
    """The room's order as sender ``own`` reads it: its own lines left out."""
    return [ident for ident in ROOM if ident % 2 != own]


def check(*streams: Stream, skipped: Sequence[int] = ()) -> OrderFigures:
    return check_order(streams, len(ROOM), skipped, SENDERS)


class ParseTests(SynchronousTestCase):
    def test_numbers_of_messages_only(self) -> None:
        """Message lines give their numbers; join lines and other text give none."""
        out = new_ids()
        parse_ids(
            b"s0: 123456 7 xxxx\r\n"
            b"s1 has joined the chatroom!\r\n"
            b"s1: 123457 8\r\n"
            b"bob: hello there\r\n"
            b"bob: 12 apples\r\n"
            b"s1: 123458 99999999999 x\r\n"
            b"s0: 123459 9x\r\n",
            out,
        )
        self.assertEqual(list(out), [7, 8])


class VerdictTests(SynchronousTestCase):
    def test_one_order(self) -> None:
        """Quiet clients and senders that read the room's order, less their own lines, pass."""
        figures = check(
            recorded("q0", ROOM),
            recorded("q1", ROOM),
            recorded("s0", without(0), own=0),
            recorded("s1", without(1), own=1),
        )
        self.assertEqual(figures.order, OK)
        self.assertTrue(figures.ok)
        self.assertEqual((figures.clients, figures.recorded), (4, 4))

    def test_two_lines_swapped(self) -> None:
        """A client that read two lines of different senders the other way round fails."""
        figures = check(recorded("q0", ROOM), recorded("q1", [0, 3, 1, 2, 5, 4]))
        self.assertFalse(figures.ok)
        self.assertIn("q1 got #1 (s1's message 0) after #3 (s1's message 1)", figures.order)
        swapped = check(recorded("q0", ROOM), recorded("q1", [0, 1, 2, 3, 5, 4]))
        self.assertIn("q1 got #3 (s1's message 1) after #2", swapped.order)
        self.assertIn("q0 got them the other way round", swapped.order)
        self.assertEqual((swapped.lost, swapped.duplicated), (0, 0))

    def test_sender_order_everywhere(self) -> None:
        """Even the reference fails if one sender's lines came out of the order sent."""
        figures = check(recorded("q0", [0, 1, 4, 2, 3, 5]))
        self.assertIn("q0 got #2 (s0's message 1) after #4 (s0's message 2)", figures.order)

    def test_lost(self) -> None:
        """A line missing at one client is counted lost."""
        figures = check(recorded("q0", ROOM), recorded("q1", [0, 1, 3, 5, 4]))
        self.assertEqual((figures.order, figures.lost), (OK, 1))
        self.assertFalse(figures.ok)

    def test_duplicated(self) -> None:
        """A line read twice is counted duplicated."""
        figures = check(recorded("q0", ROOM), recorded("q1", [0, 1, 3, 3, 2, 5, 4]))
        self.assertEqual((figures.lost, figures.duplicated), (0, 1))
        self.assertFalse(figures.ok)

    def test_echo(self) -> None:
        """A sender reading its own line back is counted as an echo."""
        figures = check(recorded("q0", ROOM), recorded("s0", ROOM, own=0))
        self.assertEqual((figures.echoed, figures.lost), (3, 0))
        self.assertFalse(figures.ok)

    def test_unsent_not_expected(self) -> None:
        """A message its sender was gone for is expected nowhere."""
        room = [i for i in ROOM if i != 5]
        figures = check(recorded("q0", room), recorded("s0", [1, 3], own=0), skipped=[5])
        self.assertTrue(figures.ok)

    def test_same_bytes_as_reference(self) -> None:
        """An unrecorded client with the reference's count and CRC shares its verdict."""
        reference = Stream("q0", None, 5, 1234, array("I", [0, 1, 3, 2, 5]))
        figures = check(reference, Stream("q1", None, 5, 1234))
        self.assertEqual((figures.order, figures.lost, figures.clients), (OK, 2, 2))

    def test_other_bytes_than_reference(self) -> None:
        """An unrecorded client that read other bytes fails, its missing lines counted lost."""
        figures = check(recorded("q0", ROOM), Stream("q1", None, 4, 99))
        self.assertIn("q1 read other lines than q0 (4 lines, q0 6)", figures.order)
        self.assertEqual(figures.lost, 2)
        more = check(recorded("q0", ROOM), Stream("q1", None, 7, 99))
        self.assertEqual((more.lost, more.duplicated), (0, 1))

    def test_json_round_trip(self) -> None:
        """The figures read back from their JSON form."""
        figures = check(recorded("q0", ROOM), recorded("q1", [0]))
        self.assertEqual(OrderFigures.from_json(figures.to_json()), figures)
        self.assertEqual(figures.to_json()["lost"], 5)

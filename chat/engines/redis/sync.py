"""
Making the room whole when the link to Redis comes up (at start, and after
every outage): renew the lease, claim this daemon's names again
(``scripts.RESTORE``), then read the room as Redis has it, with the lines
said meanwhile (``scripts.SNAPSHOT``), into the mirror. Batches that arrive
meanwhile are held, and applied after the snapshot if they are newer than it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from twisted.logger import Logger
from twisted.python.failure import Failure

from chat import lines
from chat.engines.redis import scripts
from chat.engines.redis.mirror import Batch, Local, Missed, Remote
from chat.room import key_of, name_of

if TYPE_CHECKING:
    from chat.engines.redis.engine import RedisEngine

log = Logger()

RETRY = 1.0


class Sync:
    def __init__(self, engine: RedisEngine) -> None:
        self._engine = engine
        self._held: list[Batch] | None = None
        self._round = 0

    def held(self, batch: Batch) -> bool:
        """Keep ``batch`` for after the snapshot, if one is being read."""
        if self._held is None:
            return False
        self._held.append(batch)
        return True

    def stop(self) -> None:
        self._held = None
        self._round += 1

    def _again(self, this: int) -> None:
        if this == self._round and self._engine.link.up:
            self.start()

    def start(self) -> None:
        self.stop()
        self._held = []
        engine, keys, this = self._engine, self._engine.keys, self._round

        def restore(_: object) -> Any:
            # Who is here now, not when the link came up: whoever left since
            # has sent its leave, and must not be claimed again.
            members = [[key_of(m), name_of(m)] for m in engine.local_members()]
            return engine.link.run(
                scripts.RESTORE,
                [keys.names, keys.daemons, keys.seq, keys.on(engine.daemon)],
                [keys.channel, engine.daemon, engine.room_clock(), json.dumps(members)],
            )

        def lost(taken: list[str]) -> Any:
            if this == self._round:
                for key in taken:
                    self._lose_name(key)
            # What was said while cut off, unless this daemon has seen nothing yet.
            recent = "1" if engine.mirror.last_seq else "0"
            snapshot_keys = [keys.names, keys.history, keys.seq, keys.recent]
            return engine.link.run(scripts.SNAPSHOT, snapshot_keys, [recent])

        def snapshot(reply: list[Any]) -> None:
            if this != self._round:
                return
            flat = reply[1]
            names = {}
            for key, value in zip(flat[::2], flat[1::2], strict=True):
                held = json.loads(value)
                names[key] = (held["n"], held["d"])
            history = [json.loads(entry) for entry in reply[2]]
            recent = [json.loads(entry) for entry in reply[3]]
            whole = len(recent) < engine.batches.replay  # none was cut off its start
            engine.mirror.resync(int(reply[0]), names, history, Missed(recent, whole))
            held, self._held = self._held or [], None
            for batch in held:
                engine.mirror.apply(batch)
            engine.batches.delivered(engine.mirror.last_seq)
            self._synced()

        def failed(failure: Failure) -> None:
            # A lost connection starts a new round; this is Redis refusing
            # (read-only, out of memory, a script error): try again soon.
            if this == self._round:
                reason = failure.getErrorMessage()
                log.warn(lines.LOG_REDIS_REFUSED, reason=reason, seconds=RETRY)
                engine.room_clock_call(RETRY, lambda: self._again(this))

        done = engine.leases.renew()
        done.addCallback(restore).addCallback(lost).addCallback(snapshot).addErrback(failed)

    def _synced(self) -> None:
        """The room is whole again: Redis has this daemon's members, it has Redis's."""
        engine = self._engine
        engine.up = engine.stats.up = True
        # Redis may have started again from nothing: numbers start again too.
        engine.batches.last_published = min(engine.batches.last_published, engine.mirror.last_seq)
        log.info(lines.LOG_REDIS_UP, url=str(engine.link.address), daemon=engine.daemon)
        if engine.told_cut_off:
            engine.told_cut_off = False
            engine.tell_everyone(lines.BACK)
        engine.changed()

    def _lose_name(self, key: str) -> None:
        """Another daemon took this member's name while the link was down."""
        member = self._engine.room.holder(key)
        if member is None or isinstance(member, Remote):
            return
        name = name_of(member)
        self._engine.room.hand_over(member)
        self._engine.room.leave(member)
        cast(Local, member).name_lost(lines.name_lost(name))

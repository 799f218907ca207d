"""
Where the room lives: the interface every engine offers (``chat.engines.base``).

Without ``--redis`` the room is ``chat.room.Room`` itself, in memory, for one
daemon. With ``--redis URL`` it is ``chat.engines.redis.engine.RedisEngine``:
every daemon on one Redis serves one room (docs/scaling.md). Nothing of the
Redis engine is imported without ``--redis``.
"""

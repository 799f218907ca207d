"""
The Lua scripts that make each step of the room atomic in Redis, and the
keys they use (all under ``--redis-prefix``, default ``chatroom``):

- ``P:names``: name key -> ``{"n": name, "d": daemon}``, who holds each name;
- ``P:on:DAEMON``: name key -> name, the names one daemon holds (for reaping);
- ``P:daemons``: the daemons that hold names;
- ``P:lease:DAEMON``: set with a time to live while the daemon is alive;
- ``P:history``: the last messages, oldest first, as JSON;
- ``P:recent``: the last ``REPLAY`` messages, actions and private messages,
  for a daemon that missed them while cut off;
- ``P:seq``: the number of the last batch published;
- ``P:room``: the channel every daemon publishes its batches to.

A batch is ``{"d": daemon, "s": seq, "t": time, "e": [event, ...]}``; an
event is ``{"o": kind, ...}``: ``j`` join (``k`` key, ``n`` name), ``l`` leave,
``r`` rename (``k2``, ``n2`` the new ones; a leave may carry them too),
``s`` message and ``a`` action
(``x`` the text), ``p`` private message (``to`` the target's key).

The scripts build the keys of other daemons from the prefix, so they need
one Redis, not a cluster (docs/scaling.md).
"""

from __future__ import annotations

from dataclasses import dataclass

# Lines kept in ``P:recent`` for a daemon back from a cut: far more than one
# reconnection (a fraction of a second to 2 s) misses, at about 1 kB a line
# at most.
REPLAY = 1000


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str

    @property
    def names(self) -> str:
        return f"{self.prefix}:names"

    @property
    def history(self) -> str:
        return f"{self.prefix}:history"

    @property
    def recent(self) -> str:
        return f"{self.prefix}:recent"

    @property
    def seq(self) -> str:
        return f"{self.prefix}:seq"

    @property
    def daemons(self) -> str:
        return f"{self.prefix}:daemons"

    @property
    def channel(self) -> str:
        return f"{self.prefix}:room"

    def on(self, daemon: str) -> str:
        return f"{self.prefix}:on:{daemon}"

    def lease(self, daemon: str) -> str:
        return f"{self.prefix}:lease:{daemon}"


_COMMON = """
local function holder(k)
  local v = redis.call("HGET", KEYS[1], k)
  if v then return cjson.decode(v) end
  return nil
end
local function announce(daemon, now, out, reaped)
  if #out == 0 then return 0 end
  local seq = redis.call("INCR", KEYS[3])
  local batch = {d = daemon, s = seq, t = now, e = out}
  if reaped then batch.r = 1 end
  redis.call("PUBLISH", ARGV[1], cjson.encode(batch))
  return seq
end
"""

# KEYS: names, history, seq, on:me, daemons, recent.
# ARGV: channel, me, history cap, time, events (JSON), lines kept in recent.
# Returns {seq (0: nothing published), then for each event refused its number
# (from 1) and why (who holds the name, or "gone")}: nothing more for the
# lines that went out, however many (one reply element per line cost the
# daemon more to read than the rest of the line's way).
PUBLISH = (
    _COMMON
    + """
local me, cap, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local results, out = {}, {}
local function claim(k, n)
  redis.call("HSET", KEYS[1], k, cjson.encode({n = n, d = me}))
  redis.call("HSET", KEYS[4], k, n)
end
local function free(k)
  local h = holder(k)
  redis.call("HDEL", KEYS[4], k)
  if h and h.d == me then
    redis.call("HDEL", KEYS[1], k)
    return true
  end
  return false
end
for i, e in ipairs(cjson.decode(ARGV[5])) do
  local result = ""
  if e.o == "j" then
    local h = holder(e.k)
    if h then result = h.n else claim(e.k, e.n) end
  elseif e.o == "r" then
    local h = holder(e.k2)
    if h and e.k2 ~= e.k then result = h.n else free(e.k); claim(e.k2, e.n2) end
  elseif e.o == "l" then
    -- k2, n2: the name of a rename still on its way when the member left
    if not free(e.k) then
      if e.k2 and free(e.k2) then e.k, e.n = e.k2, e.n2 else result = "gone" end
    end
  end
  results[i] = result
  if result == "" then out[#out + 1] = e end
end
redis.call("SADD", KEYS[5], me)
local seq = announce(me, now, out, false)
local said, kept = false, false
for _, e in ipairs(out) do
  if e.o == "s" or e.o == "a" or e.o == "p" then
    local entry = cjson.encode({s = seq, t = now, o = e.o, k = e.k, n = e.n, x = e.x, to = e.to})
    redis.call("RPUSH", KEYS[6], entry)
    kept = true
    if cap > 0 and e.o ~= "p" then
      redis.call("RPUSH", KEYS[2], entry)
      said = true
    end
  end
end
if said then redis.call("LTRIM", KEYS[2], -cap, -1) end
if kept then redis.call("LTRIM", KEYS[6], -tonumber(ARGV[6]), -1) end
local reply = {seq}
for i = 1, #results do
  if results[i] ~= "" then
    reply[#reply + 1] = i
    reply[#reply + 1] = results[i]
  end
end
return reply
"""
)

# KEYS: names, daemons, seq.
# ARGV: channel, prefix, time, daemon to retire ("": every daemon whose lease
# is gone but the one asking, ARGV[5], which is alive).
# Each such daemon's names are freed and their leave lines published, once.
# Returns {daemon, names freed, ...}.
REAP = (
    _COMMON
    + """
local gone = {}
for _, d in ipairs(redis.call("SMEMBERS", KEYS[2])) do
  local dead = d ~= ARGV[5] and redis.call("EXISTS", ARGV[2] .. ":lease:" .. d) == 0
  if d == ARGV[4] or (ARGV[4] == "" and dead) then
    local on = ARGV[2] .. ":on:" .. d
    local held = redis.call("HGETALL", on)
    local out = {}
    for i = 1, #held, 2 do
      local h = holder(held[i])
      if h and h.d == d then
        redis.call("HDEL", KEYS[1], held[i])
        out[#out + 1] = {o = "l", k = held[i], n = held[i + 1]}
      end
    end
    redis.call("DEL", on)
    redis.call("SREM", KEYS[2], d)
    announce(d, tonumber(ARGV[3]), out, true)
    gone[#gone + 1] = d
    gone[#gone + 1] = #out
  end
end
return gone
"""
)

# KEYS: names, daemons, seq, on:me.
# ARGV: channel, me, time, this daemon's members (JSON [[key, name], ...]).
# After the link comes back: claims again every member's name (and announces
# those others had seen leave), frees the names of members gone meanwhile.
# Returns the keys someone else took meanwhile.
RESTORE = (
    _COMMON
    + """
local me = ARGV[2]
local want, out, lost = {}, {}, {}
for _, m in ipairs(cjson.decode(ARGV[4])) do
  local k, n = m[1], m[2]
  local h = holder(k)
  if h and h.d ~= me then
    lost[#lost + 1] = k
  else
    want[k] = true
    if not h or h.n ~= n then
      redis.call("HSET", KEYS[1], k, cjson.encode({n = n, d = me}))
    end
    redis.call("HSET", KEYS[4], k, n)
    if not h then out[#out + 1] = {o = "j", k = k, n = n} end
  end
end
local held = redis.call("HGETALL", KEYS[4])
for i = 1, #held, 2 do
  local k = held[i]
  if not want[k] then
    redis.call("HDEL", KEYS[4], k)
    local h = holder(k)
    if h and h.d == me then
      redis.call("HDEL", KEYS[1], k)
      out[#out + 1] = {o = "l", k = k, n = held[i + 1]}
    end
  end
end
redis.call("SADD", KEYS[2], me)
announce(me, tonumber(ARGV[3]), out, false)
return lost
"""
)

# KEYS: names, history, seq, recent. ARGV: "1" to read recent too.
# Returns {seq, names (flat key, value list), history, recent}.
SNAPSHOT = """
local recent = {}
if ARGV[1] == "1" then recent = redis.call("LRANGE", KEYS[4], 0, -1) end
return {
  tonumber(redis.call("GET", KEYS[3]) or "0"),
  redis.call("HGETALL", KEYS[1]),
  redis.call("LRANGE", KEYS[2], 0, -1),
  recent,
}
"""

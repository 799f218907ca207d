"""
The Redis engine: one room across every daemon given the same Redis
(``--redis URL``, docs/scaling.md). Imported only when ``--redis`` is given.

``address``: the URL; ``scripts``: the Lua that makes each step atomic;
``link``: the two connections and their state; ``mirror``: this daemon's
view of the room, fed by the room's channel; ``engine``: the room's calls,
batched into one script per reactor turn; ``leases``: who is alive;
``collector``: the link's metrics.
"""

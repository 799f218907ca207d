"""
The Redis engine: one room across every daemon given the same Redis
(``--redis URL``, docs/scaling.md). Imported only when ``--redis`` is given.

``address``: the URL; ``scripts``: the Lua that makes each step atomic;
``link``: the two connections and their state; ``mirror``: this daemon's
view of the room, fed by the room's channel; ``here``: the calls answered
from that view; ``engine``: the calls that go through Redis, sent by
``batches`` as one script per reactor turn; ``claims``: joins and renames
on their way; ``sync``: the room made whole when the link comes up;
``leases``: who is alive; ``stats`` and ``collector``: the link's metrics;
``service``: the twistd service.
"""

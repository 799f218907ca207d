"""
chatroom-bench: a load generator for the chatroom line protocol.

It connects ``--clients`` clients (a bounded number connecting at once, so
the server's listen backlog never overflows), registers them as ``b00000``,
``b00001`` …, and has ``--senders`` of them send ``--rate`` messages per
second in total for ``--duration`` seconds. Then it waits at most
``--drain`` seconds for deliveries still in flight, sends ``/quit`` on every
connection and reports. ``--idle N`` connects and registers N clients,
holds them for ``--duration`` seconds, and with ``--pid`` reads the
server's VmRSS before and after.

One module per job:

- ``client``: the load protocol, one simulated user on one connection;
- ``pacing``: the open-loop send schedule and the message format;
- ``measure``: line counts, latency samples, CPU and memory readings;
- ``order``: the one-order check (``--check-order``);
- ``result``: the typed result and its JSON form;
- ``runner``: one run, phase by phase (connect, settle, send or hold, quit);
- ``report``: the plain-text summary and the progress line;
- ``options``: the command-line options;
- ``main``: the ``chatroom-bench`` console script.
"""

"""
``chatroom-client``, the chat daemon's own client, one module per job:

- ``session``: the chat session on the wire (``ChatClient``);
- ``errors``: how a session or a connection ended, in the user's words;
- ``connect``: where to connect (endpoint descriptions, ``--ca`` TLS);
- ``options``: the command line;
- ``front``: what a front end is, and what it sees of the session;
- ``pipe`` and ``terminal``: the front ends for scripts and for people;
- ``main``: the console script, wiring them together.

In a pipe it copies standard input to the server and every server line to
standard output, so chatting from a script is one ``printf`` away; in a
terminal it hands the screen to a line editor so incoming lines never
garble the line being typed.
"""

"""chatroom: a small, sturdy chat daemon for twistd."""

__version__ = "0.1.0"

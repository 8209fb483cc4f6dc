"""The one rule book both readers count by: what each kind of sshd line does, and the limits connections are kept in.

``sshd.py`` reads it for every line; the native scanner (``_scan/``) is handed it when it is made and keeps no
copy of its own, so a rule changed here is changed for both. README.md ("What counts as an attempt") tells the
rules in words.
"""

from __future__ import annotations

from datetime import timedelta
from enum import IntFlag
from typing import NamedTuple

from .events import EventKind


class Action(IntFlag):
    """One thing a line does. A kind's actions are done in this order, by both readers."""

    TRIES = 1
    """The client tried to authenticate: its connection is no probe."""
    ATTEMPT = 2
    """A failed authentication: it echoes that many of its connection's waiting PAM failures and counts the rest
    (a PAM failure already counted when its connection was settled is not counted again)."""
    WAITS = 4
    """A PAM failure: it waits on its connection for an ``ATTEMPT`` to echo it, or to be counted when the
    connection is settled (it ends, goes quiet for ``idle``, or holds ``max_pending`` of them)."""
    KEEPS_OWN = 8
    """The waiting PAM failures for the user the line names were this line's (a login a second PAM module
    accepted): they are dropped, not counted."""
    SETTLES = 16
    """The connection's waiting PAM failures count now."""
    SESSION = 32
    """The connection becomes a session, which a later end line without a port ends."""
    ENDS = 64
    """The connection ends: it was a probe if it never ``TRIES``."""
    NOTES_INVALID = 128
    """A user name sshd called invalid is kept among its address's first names (for a compromise's evidence)
    when the line counts no attempt."""
    LOGIN = 256
    """A successful login, kept with the failures its address made before it."""


FAILURE = Action.TRIES | Action.ATTEMPT
PAM_FAILURE = Action.TRIES | Action.WAITS
ACCEPTED = Action.TRIES | Action.KEEPS_OWN | Action.SETTLES | Action.SESSION | Action.LOGIN
CLOSE = Action.SETTLES | Action.ENDS
LOGOUT = Action.TRIES | Action.SETTLES | Action.ENDS

_ENDING = (
    EventKind.DISCONNECTED, EventKind.RECEIVED_DISCONNECT, EventKind.NO_IDENTIFICATION, EventKind.BAD_PROTOCOL,
    EventKind.NEGOTIATION_FAILED, EventKind.TIMEOUT, EventKind.TOO_MANY_FAILURES, EventKind.MAX_ATTEMPTS,
    EventKind.DROPPED,
)  # fmt: skip
ACTIONS: dict[EventKind, Action] = {
    **dict.fromkeys(EventKind, Action(0)),
    EventKind.FAILED: FAILURE,
    EventKind.PAM_FAILURE: PAM_FAILURE,
    EventKind.ACCEPTED: ACCEPTED,
    EventKind.INVALID_USER: Action.NOTES_INVALID,
    **dict.fromkeys(_ENDING, CLOSE),
    EventKind.LOGOUT: LOGOUT,
}
"""Per kind, what its lines do."""


class RuleBook(NamedTuple):
    """Every rule of counting, as both readers are given it."""

    actions: tuple[Action, ...]
    """Per kind, in ``EventKind``'s order: what its lines do."""
    idle: timedelta
    """A connection's waiting PAM failures count once its last is this old (sshd's ``LoginGraceTime`` is two
    minutes unless raised)."""
    sweep: timedelta
    """How often, in log time, connections are looked at for that."""
    max_pending: int
    """A connection holding this many waiting PAM failures counts them."""
    max_connections: int
    """Connections kept at once; beyond it, the older half is settled and forgotten (a log whose connections
    never end must not hold them all)."""
    attack_failures: int
    """Failed attempts from an address before its first login that make the login a compromise (fail2ban's
    default maxretry: more than a person mistyping a password makes)."""
    attack_names: int
    """Distinct user names from an address before its first login that make the login a compromise; as many
    first names are kept per address."""
    attack_invalid_names: int
    """Distinct user names sshd called invalid (no such account) before an address's first login, likewise."""
    backwards: timedelta
    """Syslog lines arrive a little out of order; a step back longer than this is worth a warning."""

    def of(self, kind: EventKind) -> Action:
        """Return what a line of ``kind`` does."""
        return self.actions[_INDEX[kind]]


_INDEX = {kind: index for index, kind in enumerate(EventKind)}


def kind_index(kind: EventKind) -> int:
    """Return a kind's place in ``EventKind`` (and in ``RuleBook.actions``): how the scanner knows it."""
    return _INDEX[kind]


RULES = RuleBook(
    actions=tuple(ACTIONS[kind] for kind in EventKind),
    idle=timedelta(minutes=10),
    sweep=timedelta(minutes=1),
    max_pending=1024,
    max_connections=100_000,
    attack_failures=5,
    attack_names=3,
    attack_invalid_names=2,
    backwards=timedelta(minutes=10),
)
"""The rules honeycast counts by."""

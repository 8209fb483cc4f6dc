"""What one part of a log hands the next where a log is read in parts (files, ranges of a file, the files of a
Dask build): the connections open at its end, and who the connections of its head are (``scan.join``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from .events import EventKind
from .rules import RuleBook

JOIN_SKEW = timedelta(minutes=1)
"""How far out of time order lines may be where a log is cut: the join looks this much further."""


def reach(rules: RuleBook) -> timedelta:
    """How long after its last line a connection may still be gone on by a later part: ``idle`` and the skew (and
    how far into a part its head goes)."""
    return rules.idle + JOIN_SKEW


def goes_on(open_login: bool, last: datetime, clock: datetime, rules: RuleBook) -> bool:
    """Whether a later part may still go on a connection: an open login, or one quiet no longer than ``reach`` by its
    host's clock."""
    return open_login or clock - last <= reach(rules)


class Carried(NamedTuple):
    """A connection still open where a part of a log ends, handed to the part after it (``Connections.seed``)."""

    host: str
    program: str
    pid: int
    source: str
    ip: str | None
    port: int | None
    tried: bool
    closed: bool
    session: bool
    session_key: bool
    """It is the latest login from its address on its host (a later end line without a port ends it)."""
    ended: tuple[datetime, EventKind] | None
    last: datetime
    pending: tuple[tuple[datetime, str | None, int], ...]
    settled: int


class HeadKey(NamedTuple):
    """Who a connection of a part's head is: what a connection an earlier part left open would have to share with
    it to be it (its pid, its address and port, or for a login ended without a port its address)."""

    host: str
    pid: int
    source: str | None
    port: int | None
    last: datetime
    open_login: bool


def reaches(carried: Iterable[Carried], head: Iterable[HeadKey]) -> bool:
    """Whether any connection an earlier part left open may be one of a later part's head."""
    pids, endpoints, portless = set(), set(), set()
    for one in head:
        pids.add((one.host, one.pid))
        if one.port is None:
            portless.add((one.host, one.source))
        else:
            endpoints.add((one.host, one.source, one.port))
    return any(
        (one.host, one.pid) in pids
        or (one.port is not None and (one.host, one.source, one.port) in endpoints)
        or (one.session_key and (one.host, one.source) in portless)
        for one in carried
    )

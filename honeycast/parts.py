"""What one part of a log hands the next where a log is read in parts (files, ranges of a file, the files of a
Dask build, the nights of a site's ``--append`` builds): the connections open at its end, and who the connections
of its head are (``scan.join``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from .events import EventKind
from .rules import RuleBook
from .tally import digest

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

    @property
    def open_login(self) -> bool:
        """A login not yet ended: it lasts however quiet it is."""
        return self.session and not self.closed


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


class Kept(NamedTuple):
    """A connection still open where a build's log ended, as the site's history keeps it for the next ``--append``
    build: its host and address by ``digest`` (no address where the site keeps none of it: the owner's, an internal
    one, or any with ``anonymize_ips``), its waiting PAM failures already counted (``settled``, so a ``Failed``
    line that still comes for them adds nothing) and its probe decided."""

    host: str
    program: str
    pid: int
    source: str | None
    port: int | None
    tried: bool
    closed: bool
    session: bool
    session_key: bool
    last: datetime
    settled: int

    @property
    def open_login(self) -> bool:
        """A login not yet ended: it lasts however quiet it is."""
        return self.session and not self.closed


def kept(one: Carried, shown: Callable[[str], bool]) -> Kept:
    """Return a connection left open as the history keeps it; ``shown``: whether its address may be kept."""
    waiting = sum(times for _, _, times in one.pending)
    source = digest(one.source) if shown(one.source) else None
    return Kept(
        digest(one.host), one.program, one.pid, source, one.port, one.tried, one.closed, one.session,
        one.session_key, one.last, one.settled + waiting,
    )  # fmt: skip


def taken_up(
    left: Iterable[Kept], hosts: Iterable[str], heads: Iterable[HeadKey]
) -> tuple[list[Carried], list[tuple[str, Kept]]]:
    """Return the connections an earlier build left open as this build's lines name them: a host by its name among
    ``hosts``, an address by one of the heads' (the lines that may go on them), or where the history kept none, by
    the address of the head's connection of the same pid. Those of these hosts no head line names come second (with
    their host's name): nothing here goes on them, and a later build still may."""
    names = {digest(host): host for host in hosts}
    addresses: dict[str, str] = {}
    by_pid: dict[tuple[str, int], str] = {}
    for key in heads:
        if key.source is not None:
            addresses.setdefault(digest(key.source), key.source)
            by_pid.setdefault((key.host, key.pid), key.source)
    taken: list[Carried] = []
    unnamed: list[tuple[str, Kept]] = []
    for one in left:
        host = names.get(one.host)
        if host is None:
            continue
        source = by_pid.get((host, one.pid)) if one.source is None else addresses.get(one.source)
        if source is None:
            if (host, one.pid) not in by_pid:  # its pid serves another client here: it is over
                unnamed.append((host, one))
            continue
        taken.append(Carried(host, one.program, one.pid, source, source, one.port, one.tried, one.closed,
                             one.session, one.session_key, None, one.last, (), one.settled))  # fmt: skip
    return taken, unnamed

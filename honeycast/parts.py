"""What one part of a log hands the next where a log is read in parts (files, ranges of a file, the files of a
Dask build, the nights of a site's ``--append`` builds): the connections open at its end, and who the connections
of its head are (``scan.join``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from . import schema
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


MAX_OPEN = 100_000
"""The most connections kept open per host (the rule book's ``max_connections``)."""
_PROGRAM = re.compile(r"[\w.-]{1,64}")


def checked_open(document: dict[str, Any]) -> dict[str, list[Kept]]:
    """Return the connections ``open.json`` keeps per host key, checked field by field (``schema.Invalid`` naming
    the first that is not what honeycast writes)."""
    opened = {}
    for key, entries in document.items():
        where = schema.at("", schema.text(key, "(a key)"))
        listed = schema.listing(entries, where)
        if len(listed) > MAX_OPEN:
            raise schema.Invalid(where, f"expected at most {MAX_OPEN} connections, found {len(listed)}")
        opened[key] = [_kept_one(key, one, f"{where}[{number}]") for number, one in enumerate(listed)]
    return opened


def _kept_one(host: str, value: Any, where: str) -> Kept:
    """A connection left open (README, "History"): its pid, program, address by digest (or null), port, what it
    did, its last line's time and the PAM failures counted for it that no Failed line has echoed."""
    record = schema.mapping(value, where)
    items = {key: schema.field(record, key, f"{where}.") for key in Kept._fields if key != "host"}
    source = items["source"]
    return Kept(
        host,
        schema.matching(items["program"], f"{where}.program", _PROGRAM, "a program name"),
        schema.pid(items["pid"], f"{where}.pid"),
        None
        if source is None
        else schema.matching(
            source, f"{where}.source", schema.DIGEST, "an address's digest (16 hexadecimal digits) or null"
        ),
        schema.port(items["port"], f"{where}.port"),
        schema.flag(items["tried"], f"{where}.tried"),
        schema.flag(items["closed"], f"{where}.closed"),
        schema.flag(items["session"], f"{where}.session"),
        schema.flag(items["session_key"], f"{where}.session_key"),
        schema.moment(items["last"], f"{where}.last"),
        schema.count(items["settled"], f"{where}.settled"),
    )


def open_records(opened: dict[str, list[Kept]]) -> dict[str, list[dict[str, Any]]]:
    """Return the connections kept open per host key as ``open.json`` keeps them: the newest ``MAX_OPEN`` of a host
    (oldest first), what ``--append`` reads back however many logins never logged an end."""
    return {key: [_record(one) for one in found[-MAX_OPEN:]] for key, found in sorted(opened.items())}


def _record(one: Kept) -> dict[str, Any]:
    """A connection left open as open.json keeps it: under its host's key, not naming it again."""
    record = one._asdict()
    del record["host"]
    return {**record, "last": one.last.isoformat()}

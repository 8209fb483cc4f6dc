"""Count attempts per country per time slice. No I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import UsageError
from .events import AuthEvent, EventKind

_SLICE = re.compile(r"^\s*(\d+)\s*(s|m|min|h)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600}


def parse_slice(text: str) -> int:
    """Return the seconds in a slice length such as ``10m``, ``1h`` or ``90s``."""
    found = _SLICE.match(text.lower())
    if found is None:
        raise UsageError(f"--slice {text!r}: expected a length such as 10m, 1h or 90s")
    seconds = int(found[1]) * _UNIT_SECONDS[found[2] or "m"]
    if not 60 <= seconds <= 86400 or 86400 % seconds:
        raise UsageError(f"--slice {text!r}: must divide a day evenly, between 1m and 24h")
    return seconds


@dataclass(frozen=True, slots=True)
class Slice:
    start: datetime
    counts: dict[str, int]
    """Attempts per country code (or address bucket) in this slice."""
    probes: dict[str, int] = field(default_factory=dict)
    """Connections per country that ended without trying to authenticate."""
    sources: dict[str, int] = field(default_factory=dict)
    """Attempts per source address."""
    users: dict[str, int] = field(default_factory=dict)
    """Attempts per user name tried."""
    attackers: dict[str, frozenset[str]] = field(default_factory=dict)
    """Per country, the addresses that made an attempt or a probe."""

    @property
    def attempts(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Compromise:
    """A successful login from an address that had failed before: possibly a guessed password."""

    time: datetime
    address: str
    country: str
    user: str
    failures: int


@dataclass(frozen=True, slots=True)
class Login:
    """A successful login."""

    time: datetime
    address: str
    country: str
    user: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """Attempts per country over consecutive slices covering every event, empty slices included."""

    slice_seconds: int
    slices: tuple[Slice, ...]
    events: Counter[str] = field(default_factory=Counter)
    """How many events of each kind were read (``message repeated N times`` counting N)."""
    addresses: int = 0
    """Distinct source addresses seen."""
    users: Counter[str] = field(default_factory=Counter)
    """Attempts per user name tried."""
    compromises: tuple[Compromise, ...] = ()
    logins: tuple[Login, ...] = ()
    countries: dict[str, str] = field(default_factory=dict)
    """The country (or bucket) of every address that made an attempt or a probe."""

    @property
    def start(self) -> datetime:
        return self.slices[0].start

    @property
    def end(self) -> datetime:
        return self.slices[-1].start + timedelta(seconds=self.slice_seconds)

    @property
    def totals(self) -> Counter[str]:
        """Return attempts per country over the whole timeline."""
        return _sum(one.counts for one in self.slices)

    @property
    def countries_hit(self) -> int:
        """Return how many countries (not address buckets) made attempts."""
        return sum(1 for code in self.totals if code.isupper())

    @property
    def probe_totals(self) -> Counter[str]:
        return _sum(one.probes for one in self.slices)

    @property
    def sources(self) -> Counter[str]:
        """Return attempts per source address over the whole timeline."""
        return _sum(one.sources for one in self.slices)

    @property
    def attackers(self) -> dict[str, int]:
        """Return, per country, how many distinct addresses made an attempt or a probe."""
        seen: dict[str, set[str]] = {}
        for one in self.slices:
            for country, addresses in one.attackers.items():
                seen.setdefault(country, set()).update(addresses)
        return {country: len(addresses) for country, addresses in seen.items()}

    @property
    def peak(self) -> int:
        """Return the largest count of one country in one slice (the top of the colour scale)."""
        return max((max(one.counts.values(), default=0) for one in self.slices), default=0)


def _sum(parts: Iterable[dict[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for part in parts:
        total.update(part)
    return total


def slice_floor(time: datetime, seconds: int) -> datetime:
    """Return the start of the slice holding ``time``; slices are aligned to local midnight."""
    midnight = time.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((time - midnight).total_seconds())
    return midnight + timedelta(seconds=elapsed - elapsed % seconds)


@dataclass(slots=True)
class _SliceTally:
    """One slice's counts, by address; per-country counts are derived when the timeline is made.

    Keeping only what cannot be derived keeps a long log's tally small: a year of slices fits.
    """

    sources: Counter[str] = field(default_factory=Counter)
    """Attempts per address (or host name)."""
    probes: Counter[str] = field(default_factory=Counter)
    """Probe-only connections per address."""
    users: Counter[str] = field(default_factory=Counter)

    def update(self, other: _SliceTally) -> None:
        """Add another tally of the same slice into this one."""
        self.sources += other.sources
        self.probes += other.probes
        self.users += other.users


@dataclass(slots=True)
class Tally:
    """Running counts while events stream past; ``timeline`` turns them into a ``Timeline``.

    Tallies of parts of a log add up (``a.update(b)``), so inputs can be counted apart and merged.
    """

    slice_seconds: int
    slices: dict[datetime, _SliceTally] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    addresses: dict[str, str] = field(default_factory=dict)
    """Every source address seen, with its country or bucket."""
    failures: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    """Per address: its first failed attempt and how many it made."""
    accepted: list[tuple[datetime, str, str]] = field(default_factory=list)
    """(time, address, user) of every successful login."""
    _last_time: datetime | None = None
    _last_start: datetime | None = None

    def add(self, event: AuthEvent, country: str | None) -> None:
        self.kinds[event.kind] += event.count
        if country is None:
            return
        source = event.source_ip or event.source_host or ""
        self.addresses[source] = country
        time = event.time
        if time != self._last_time:
            self._last_time = time
            self._last_start = slice_floor(time, self.slice_seconds)
        start: datetime = self._last_start  # type: ignore[assignment]
        part = self.slices.get(start)
        if part is None:
            part = self.slices[start] = _SliceTally()
        if event.attempts:
            part.sources[source] += event.attempts
            if event.user is not None:
                part.users[event.user] += event.attempts
            first, failed = self.failures.get(source, (time, 0))
            self.failures[source] = (min(first, time), failed + event.attempts)
        if event.probe:
            part.probes[source] += 1
        if event.kind is EventKind.ACCEPTED and event.user is not None:
            self.accepted.append((time, source, event.user))

    def update(self, other: Tally) -> None:
        """Add another tally into this one; ``other`` must not be used afterwards (its parts are taken over)."""
        if other.slice_seconds != self.slice_seconds:
            raise ValueError("cannot add tallies of different slice lengths")
        self.kinds += other.kinds
        self.addresses.update(other.addresses)
        failures = self.failures
        for source, (first, failed) in other.failures.items():
            earlier, before = failures.get(source, (first, 0))
            failures[source] = (min(first, earlier), failed + before)
        self.accepted.extend(other.accepted)
        slices = self.slices
        for key, part in other.slices.items():
            mine = slices.get(key)
            if mine is None:
                slices[key] = part
            else:
                mine.update(part)
        self._last_time = self._last_start = None

    def _slice(self, start: datetime, part: _SliceTally) -> Slice:
        """Return a slice's counts by country, keys in sorted order.

        Sorted keys give the same timeline, ties included, whichever order events were counted in.
        """
        countries = self.addresses
        attempts: Counter[str] = Counter()
        probes: Counter[str] = Counter()
        attackers: dict[str, set[str]] = {}
        for counts, by_country in ((part.sources, attempts), (part.probes, probes)):
            for address, count in counts.items():
                country = countries[address]
                by_country[country] += count
                attackers.setdefault(country, set()).add(address)
        return Slice(
            start=start,
            counts=dict(sorted(attempts.items())),
            probes=dict(sorted(probes.items())),
            sources=dict(sorted(part.sources.items())),
            users=dict(sorted(part.users.items())),
            attackers={country: frozenset(attackers[country]) for country in sorted(attackers)},
        )

    def timeline(self) -> Timeline | None:
        """Return the counted timeline, or None when no event named a source."""
        if not self.slices:
            return None
        first, last = min(self.slices), max(self.slices)
        step = timedelta(seconds=self.slice_seconds)
        slices = []
        users: Counter[str] = Counter()
        countries: dict[str, str] = {}
        start = first
        empty = _SliceTally()
        while start <= last:
            one = self._slice(start, self.slices.get(start, empty))
            users.update(one.users)
            for country, addresses in one.attackers.items():
                countries.update(dict.fromkeys(sorted(addresses), country))
            slices.append(one)
            start += step
        compromises = tuple(
            Compromise(time, source, self.addresses[source], user, self.failures[source][1])
            for time, source, user in sorted(self.accepted)
            if source in self.failures and self.failures[source][0] < time
        )
        logins = tuple(
            Login(time, source, self.addresses[source], user) for time, source, user in sorted(self.accepted)
        )
        return Timeline(
            slice_seconds=self.slice_seconds,
            slices=tuple(slices),
            events=Counter(dict(sorted(self.kinds.items()))),
            addresses=len(self.addresses),
            users=users,
            compromises=compromises,
            logins=logins,
            countries=countries,
        )

"""Count attempts per country per time slice. No I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from .errors import UsageError
from .events import AuthEvent, EventKind

_SLICE = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
AUTO = 0
"""``--slice auto``: the length is chosen from the span the logs cover (``auto_slice``)."""
AUTO_LENGTHS = (600, 3600, 6 * 3600, 86400)
"""The lengths ``--slice auto`` chooses from, shortest first; each is a whole number of the first."""
AUTO_MOST = 400
"""``--slice auto`` takes the shortest length that covers the span in at most this many slices."""
DAY = 86400


def parse_slice(text: str) -> int:
    """Return the seconds in a slice length such as ``10m``, ``1h``, ``90s`` or ``1d``; ``auto`` is ``AUTO``."""
    if text.strip().lower() == "auto":
        return AUTO
    found = _SLICE.match(text.lower())
    if found is None:
        raise UsageError(f"--slice {text!r}: expected auto or a length such as 10m, 1h, 90s or 1d")
    seconds = int(found[1]) * _UNIT_SECONDS[found[2] or "m"]
    if not 60 <= seconds <= DAY or DAY % seconds:
        raise UsageError(f"--slice {text!r}: must divide a day evenly, between 1m and 1d")
    return seconds


def auto_slice(first: datetime, last: datetime) -> int:
    """Return the slice length ``--slice auto`` picks for events from ``first`` to ``last``.

    A day stays in ten-minute slices (144 maps), a week takes hours, a month six hours, longer spans days.
    """
    span = (last - first).total_seconds()
    for seconds in AUTO_LENGTHS:
        if span // seconds + 1 <= AUTO_MOST:
            return seconds
    return AUTO_LENGTHS[-1]


def slice_text(seconds: int) -> str:
    """Return a slice length as people write it: ``90 s``, ``10 min``, ``1 h``, ``1 day``."""
    if seconds % DAY == 0:
        return f"{seconds // DAY} day" + ("s" if seconds > DAY else "")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


@dataclass(frozen=True, slots=True)
class Slice:
    start: datetime
    """In the build's zone."""
    end: datetime
    """The next slice's start: a slice is shorter or longer than its length where the clocks change."""
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
    sshd_lines: int = 0
    """sshd lines read (``message repeated N times`` counting one)."""
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
        return self.slices[-1].end

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


def slice_floor(time: datetime, seconds: int, tz: tzinfo | None = None) -> datetime:
    """Return the start of the slice holding ``time``, in ``tz`` (default: the time's own zone).

    Slices are aligned to midnight of the local clock in ``tz``, so the maps of a day begin at 00:00 there.
    Where clocks go back, the hour that happens twice is two sets of slices (``fold`` tells them apart);
    where they go forward, the hour that never happens has none.
    """
    local = time if tz is None else time.astimezone(tz)
    of_day = local.hour * 3600 + local.minute * 60 + local.second
    start = of_day - of_day % seconds
    return local.replace(hour=start // 3600, minute=start // 60 % 60, second=start % 60, microsecond=0)


def slice_key(time: datetime, seconds: int, tz: tzinfo) -> datetime:
    """Return the instant (in UTC) the slice holding ``time`` starts at, in the build's zone ``tz``."""
    return slice_floor(time, seconds, tz).astimezone(UTC)


def next_slice(key: datetime, seconds: int, tz: tzinfo) -> datetime:
    """Return the instant the slice after the one starting at instant ``key`` starts."""
    later = key + timedelta(seconds=seconds)
    following = slice_key(later, seconds, tz)
    while following <= key:  # the clocks went back within the slice: it is longer than its length
        later += timedelta(seconds=seconds)
        following = slice_key(later, seconds, tz)
    return following


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
    tz: tzinfo = UTC
    """The build's zone: slices begin at its local midnight."""
    slices: dict[datetime, _SliceTally] = field(default_factory=dict)
    """Per slice, keyed by the instant it starts (in UTC)."""
    kinds: Counter[str] = field(default_factory=Counter)
    sshd_lines: int = 0
    """sshd lines read (a ``message repeated N times`` line is one)."""
    years: dict[str, int] = field(default_factory=dict)
    """Per input, the year its first yearless stamp was placed in from the file's modification time."""
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
        self.sshd_lines += event.count > 0  # a settlement (count 0) is no line of its own
        if country is None:
            return
        source = event.source_ip or event.source_host or ""
        self.addresses[source] = country
        time = event.time
        if time != self._last_time:
            self._last_time = time
            self._last_start = slice_key(time, self.slice_seconds, self.tz)
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
        self.sshd_lines += other.sshd_lines
        for name, year in other.years.items():
            self.years.setdefault(name, year)
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

    def span(self) -> tuple[datetime, datetime] | None:
        """Return the instants the first and the last counted slice start at, or None if none was counted."""
        if not self.slices:
            return None
        return min(self.slices), max(self.slices)

    def slices_needed(self) -> int:
        """Return how many slices the timeline will have (about: a clock change moves it by one or two)."""
        span = self.span()
        if span is None:
            return 0
        return int((span[1] - span[0]).total_seconds()) // self.slice_seconds + 1

    def coarsened(self, seconds: int) -> Tally:
        """Return this tally in slices of ``seconds``, a whole number of this tally's slice length."""
        if seconds == self.slice_seconds:
            return self
        if seconds % self.slice_seconds:
            raise ValueError(f"cannot cut {self.slice_seconds} s slices into {seconds} s ones")
        coarse = Tally(
            seconds, self.tz, {}, self.kinds, self.sshd_lines, self.years, self.addresses, self.failures, self.accepted
        )
        for key, part in sorted(self.slices.items()):
            start = slice_key(key, seconds, self.tz)
            mine = coarse.slices.get(start)
            if mine is None:
                coarse.slices[start] = _SliceTally(Counter(part.sources), Counter(part.probes), Counter(part.users))
            else:
                mine.update(part)
        return coarse

    def _slice(self, start: datetime, end: datetime, part: _SliceTally) -> Slice:
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
            start=start.astimezone(self.tz),
            end=end.astimezone(self.tz),
            counts=dict(sorted(attempts.items())),
            probes=dict(sorted(probes.items())),
            sources=dict(sorted(part.sources.items())),
            users=dict(sorted(part.users.items())),
            attackers={country: frozenset(attackers[country]) for country in sorted(attackers)},
        )

    def timeline(self) -> Timeline | None:
        """Return the counted timeline, or None when no event named a source."""
        span = self.span()
        if span is None:
            return None
        keys = []
        start, last = span
        while start <= last:
            keys.append(start)
            start = next_slice(start, self.slice_seconds, self.tz)
        if not self.slices.keys() <= set(keys):
            keys = sorted(set(keys) | self.slices.keys())  # a zone whose rules the stepping did not foresee
        slices = []
        users: Counter[str] = Counter()
        countries: dict[str, str] = {}
        empty = _SliceTally()
        for index, start in enumerate(keys):
            end = keys[index + 1] if index + 1 < len(keys) else next_slice(start, self.slice_seconds, self.tz)
            one = self._slice(start, end, self.slices.get(start, empty))
            users.update(one.users)
            for country, addresses in one.attackers.items():
                countries.update(dict.fromkeys(sorted(addresses), country))
            slices.append(one)
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
            sshd_lines=self.sshd_lines,
            addresses=len(self.addresses),
            users=users,
            compromises=compromises,
            logins=logins,
            countries=countries,
        )

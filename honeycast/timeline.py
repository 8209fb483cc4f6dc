"""Count attempts per country per time slice. No I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import UsageError
from .events import AuthEvent

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

    @property
    def attempts(self) -> int:
        return sum(self.counts.values())


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
    def probe_totals(self) -> Counter[str]:
        return _sum(one.probes for one in self.slices)

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
class Tally:
    """Running counts while events stream past; ``timeline`` turns them into a ``Timeline``.

    Tallies of parts of a log add up (``a + b``), so inputs can be counted apart and merged.
    """

    slice_seconds: int
    attempts: dict[datetime, Counter[str]] = field(default_factory=dict)
    probes: dict[datetime, Counter[str]] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    addresses: set[str] = field(default_factory=set)
    users: Counter[str] = field(default_factory=Counter)
    _last_time: datetime | None = None
    _last_start: datetime | None = None

    def add(self, event: AuthEvent, country: str | None) -> None:
        self.kinds[event.kind] += event.count
        if country is None:
            return
        self.addresses.add(event.source_ip or event.source_host or "")
        time = event.time
        if time != self._last_time:
            self._last_time = time
            self._last_start = slice_floor(time, self.slice_seconds)
        start: datetime = self._last_start  # type: ignore[assignment]
        counts = self.attempts.get(start)
        if counts is None:
            counts = self.attempts[start] = Counter()
        if event.attempts:
            counts[country] += event.attempts
            if event.user is not None:
                self.users[event.user] += event.attempts
        if event.probe:
            probes = self.probes.get(start)
            if probes is None:
                probes = self.probes[start] = Counter()
            probes[country] += 1

    def __add__(self, other: Tally) -> Tally:
        if other.slice_seconds != self.slice_seconds:
            raise ValueError("cannot add tallies of different slice lengths")
        merged = Tally(
            self.slice_seconds,
            kinds=self.kinds + other.kinds,
            addresses=self.addresses | other.addresses,
            users=self.users + other.users,
        )
        for mine, theirs, into in (
            (self.attempts, other.attempts, merged.attempts),
            (self.probes, other.probes, merged.probes),
        ):
            for key in mine.keys() | theirs.keys():
                into[key] = mine.get(key, Counter()) + theirs.get(key, Counter())
        return merged

    def timeline(self) -> Timeline | None:
        """Return the counted timeline, or None when no event named a source."""
        if not self.attempts:
            return None
        first, last = min(self.attempts), max(self.attempts)
        step = timedelta(seconds=self.slice_seconds)
        slices = []
        start = first
        while start <= last:
            slices.append(
                Slice(start=start, counts=dict(self.attempts.get(start, {})), probes=dict(self.probes.get(start, {})))
            )
            start += step
        return Timeline(
            slice_seconds=self.slice_seconds,
            slices=tuple(slices),
            events=self.kinds,
            addresses=len(self.addresses),
            users=self.users,
        )


def build_timeline(located: Iterable[tuple[AuthEvent, str | None]], slice_seconds: int) -> Timeline | None:
    """Return the timeline of located events, or None when none names a source."""
    tally = Tally(slice_seconds)
    for event, country in located:
        tally.add(event, country)
    return tally.timeline()

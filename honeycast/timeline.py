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

    @property
    def attempts(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Timeline:
    """Attempts per country over consecutive slices covering every event, empty slices included."""

    slice_seconds: int
    slices: tuple[Slice, ...]
    events: Counter[str] = field(default_factory=Counter)
    """How many events of each kind were read."""
    addresses: int = 0
    """Distinct source addresses seen."""

    @property
    def start(self) -> datetime:
        return self.slices[0].start

    @property
    def end(self) -> datetime:
        return self.slices[-1].start + timedelta(seconds=self.slice_seconds)

    @property
    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for one in self.slices:
            total.update(one.counts)
        return total

    @property
    def peak(self) -> int:
        """Return the largest count of one country in one slice (the top of the colour scale)."""
        return max((max(one.counts.values(), default=0) for one in self.slices), default=0)


def slice_floor(time: datetime, seconds: int) -> datetime:
    """Return the start of the slice holding ``time``; slices are aligned to local midnight."""
    midnight = time.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((time - midnight).total_seconds())
    return midnight + timedelta(seconds=elapsed - elapsed % seconds)


def build_timeline(located: Iterable[tuple[AuthEvent, str]], slice_seconds: int) -> Timeline | None:
    """Return the timeline of located events, or None when there are none."""
    per_slice: dict[datetime, Counter[str]] = {}
    kinds: Counter[str] = Counter()
    addresses: set[str] = set()
    for event, country in located:
        kinds[event.kind.value] += event.count
        addresses.add(event.source_ip)
        counts = per_slice.setdefault(slice_floor(event.time, slice_seconds), Counter())
        if event.kind is EventKind.FAILED:
            counts[country] += event.count
    if not per_slice:
        return None
    first, last = min(per_slice), max(per_slice)
    step = timedelta(seconds=slice_seconds)
    slices = []
    start = first
    while start <= last:
        slices.append(Slice(start=start, counts=dict(per_slice.get(start, {}))))
        start += step
    return Timeline(slice_seconds=slice_seconds, slices=tuple(slices), events=kinds, addresses=len(addresses))

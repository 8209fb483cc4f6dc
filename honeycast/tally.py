"""Running counts while events stream past, per slice, host and address; parts of a log add up. No I/O."""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from .cores import no_collection
from .events import AuthEvent
from .names import Named, merged_names, noted
from .rules import RULES, Action, RuleBook
from .slicing import slice_key
from .spans import ANY_LINE, Span
from .sums import added, running_counts

if TYPE_CHECKING:
    from .defences import DefenceEvent
    from .parts import Carried, Kept

K = TypeVar("K")
V = TypeVar("V")


@lru_cache(maxsize=1024)
def digest(text: str) -> str:
    """Return the key a host name, an address or a user name is kept under in a site's history: the same in
    every build, and no text to read back."""
    return _hashed(text).hex()


def digest_number(text: str) -> int:
    """Return ``digest`` as a number (its 16 hex digits): millions of them sort in an array, not as text."""
    return int.from_bytes(_hashed(text), "big")


def _hashed(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _microseconds(time: datetime) -> int:
    """Return an aware time's instant in whole microseconds (exact, as datetimes compare it)."""
    return (time - _EPOCH) // _MICROSECOND


def _merge(mine: dict[K, V], theirs: dict[K, V], combine: Callable[[V, V], V]) -> None:
    """Add ``theirs`` into ``mine``: a key in both takes ``combine(mine's, theirs)``, a new key theirs."""
    for key, found in theirs.items():
        known = mine.get(key)
        mine[key] = found if known is None else combine(known, found)


def _taken(counts: dict[str, int]) -> Counter[str]:
    """Return counts as a Counter: the very one where it is one."""
    return counts if type(counts) is Counter else Counter(counts)


@dataclass(slots=True)
class HostCounts:
    """One host's counts in one slice, by address."""

    sources: Counter[str] = field(default_factory=Counter)
    """Attempts per address (or host name)."""
    probes: Counter[str] = field(default_factory=Counter)
    """Probe-only connections per address."""

    def update(self, other: HostCounts) -> None:
        self.sources += other.sources
        self.probes += other.probes

    def copy(self) -> HostCounts:
        return HostCounts(Counter(self.sources), Counter(self.probes))

    def counts(self) -> tuple[Counter[str], Counter[str]]:
        """Return the attempts and the probes by address."""
        return self.sources, self.probes


@dataclass(slots=True)
class SliceTally:
    """One slice's counts, per host and address; per-country counts are derived when the timeline is made.

    Keeping only what cannot be derived keeps a long log's tally small: a year of slices fits.
    """

    hosts: dict[str, HostCounts] = field(default_factory=dict)
    """Per host (the server that logged the lines): attempts and probes by address."""
    users: Counter[str] = field(default_factory=Counter)
    """Attempts per user name tried, all hosts together."""

    @property
    def sources(self) -> Counter[str]:
        """Return attempts per address, all hosts together."""
        return self._summed("sources")

    @property
    def probes(self) -> Counter[str]:
        """Return probe-only connections per address, all hosts together."""
        return self._summed("probes")

    def _summed(self, name: str) -> Counter[str]:
        parts = [getattr(one, name) for one in self.hosts.values()]
        if len(parts) == 1:
            return parts[0]  # type: ignore[no-any-return]
        return added(parts)

    def host(self, name: str) -> HostCounts:
        """Return the counts of one host, made where there are none yet."""
        found = self.hosts.get(name)
        if found is None:
            found = self.hosts[name] = HostCounts()
        return found

    def update(self, other: SliceTally) -> None:
        """Add another tally of the same slice into this one."""
        for name, counts in other.hosts.items():
            self.host(name).update(counts)
        self.users += other.users

    def copy(self) -> SliceTally:
        return SliceTally({name: one.copy() for name, one in self.hosts.items()}, Counter(self.users))

    def merged(self, other: SliceTally) -> SliceTally:
        """Return this tally with ``other`` added into it."""
        self.update(other)
        return self


@dataclass(slots=True)
class Tally:
    """Running counts while events stream past; ``timeline`` turns them into a ``Timeline``.

    Tallies of parts of a log add up (``a.update(b)``), so inputs can be counted apart and merged.
    """

    slice_seconds: int
    tz: tzinfo = UTC
    """The build's zone: slices begin at its local midnight."""
    slices: dict[datetime, SliceTally] = field(default_factory=dict)
    """Per slice, keyed by the instant it starts (in UTC)."""
    kinds: Counter[str] = field(default_factory=Counter)
    sshd_lines: int = 0
    """sshd lines read (a ``message repeated N times`` line is one)."""
    years: dict[str, int] = field(default_factory=dict)
    """Per input, the year its first yearless stamp was placed in from the file's modification time."""
    country_of: dict[str, str] = field(default_factory=dict)
    """Every source address seen, with its country or bucket."""
    failures: dict[str, tuple[datetime, int, datetime]] = field(default_factory=dict)
    """Per address: its first failed attempt, how many it made, and its last."""
    names: dict[str, tuple[Named, ...]] = field(default_factory=dict)
    """Per address: the first ``rules.attack_names`` user names it tried (or sshd called invalid), earliest first."""
    accepted: list[tuple[datetime, str, str, int]] = field(default_factory=list)
    """(time, address, user, failed attempts from the address before it) of every successful login: the failures
    are set by ``count_logins`` once everything is counted."""
    earlier: Counter[str] = field(default_factory=Counter)
    """Per address, failed attempts earlier builds counted (a site's history): before every login of this one."""
    host: str | None = None
    """``--host``: the name the lines of this tally's input are counted under, whatever host they name."""
    covered: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    """Per host (by ``digest``), spans of time an earlier build counted: lines in them are read, counted in
    nothing."""
    spans: dict[str, list[Span]] = field(default_factory=dict)
    """Per host, the first and last sshd line of each input read (``covered`` of a later build)."""
    open: list[Carried] = field(default_factory=list)
    """Connections still open where the log ended (``scan.join``): a later ``--append`` build may go on them."""
    open_kept: list[Kept] = field(default_factory=list)
    """Connections an earlier build left open that no line here named, still open where the log ended: kept as
    they were for a later build."""
    rules: RuleBook = RULES
    """What each kind of line does (the names an address tried, its logins) and when a login is a compromise."""
    defences: list[DefenceEvent] = field(default_factory=list)
    """The bans and their ends fail2ban or sshguard wrote among the inputs (defences.py), as read."""
    _last_time: datetime | None = None
    _last_start: datetime | None = None
    _left_at_end: dict[tuple[str, int], Counter[str]] = field(default_factory=dict)

    def covers(self, host: str, time: datetime, line: str) -> bool:
        """Return whether an earlier build counted this line of ``host`` at ``time`` (``line``: its ``line_key``).

        At the very instant a span ends, the earlier build counted the lines it read there, each once: the log
        may have gone on within that second after it was read, and another input of the host may hold other
        lines of that second. A line a span holds no more of (nor ``ANY_LINE``) is new. (``is_covered`` in
        _scan/count.c.)
        """
        key = digest(self.host or host)
        for index, (first, last, at_last) in enumerate(self.covered.get(key, ())):
            if time < first or time > last:
                continue
            if time < last:
                return True
            left = self._left_at_end.get((key, index))
            if left is None:
                left = self._left_at_end[key, index] = Counter(at_last)
            for found in (line, ANY_LINE):
                if left[found] > 0:
                    left[found] -= 1
                    return True
            return False
        return False

    def add(self, event: AuthEvent, country: str | None) -> None:
        time = event.time
        host = self.host or event.host
        if event.count:  # a settlement (count 0) is no line of its own
            read = self.spans.get(host)
            if read is None:
                self.spans[host] = [Span(time, time, (event.line_key,))]
            else:
                # Each bound compared on its own, as the native scanner does: local stamps compare by wall
                # clock and stamps with an offset by instant, so a stamp can lie before one and after the other.
                first, last, at_last = read[-1]
                if time > last:
                    last, at_last = time, (event.line_key,)
                elif not time < last:  # the same instant (== is False across zones for a time in a gap or fold)
                    at_last = tuple(sorted((*at_last, event.line_key)))
                read[-1] = Span(time if time < first else first, last, at_last)
        if event.covered:
            return
        self.kinds[event.kind] += event.count
        self.sshd_lines += event.count > 0
        if country is None:
            return
        source = event.source_ip or event.source_host or ""
        self.country_of[source] = country
        if time != self._last_time:
            self._last_time = time
            self._last_start = slice_key(time, self.slice_seconds, self.tz)
        start: datetime = self._last_start  # type: ignore[assignment]
        part = self.slices.get(start)
        if part is None:
            part = self.slices[start] = SliceTally()
        actions, limit = self.rules.of(event.kind), self.rules.attack_names
        if event.attempts:
            part.host(host).sources[source] += event.attempts
            known = self.failures.get(source)
            if known is None:
                self.failures[source] = (time, event.attempts, time)
            else:  # (conditionals: this runs for every failed line, and min/max calls cost more)
                first, failed, last = known
                self.failures[source] = (
                    first if first <= time else time,
                    failed + event.attempts,
                    last if last >= time else time,
                )
            if event.user is not None:
                part.users[event.user] += event.attempts
                self.names[source] = noted(self.names.get(source, ()), time, event.user, False, limit)
        elif actions & Action.NOTES_INVALID and event.user is not None:
            self.names[source] = noted(self.names.get(source, ()), time, event.user, True, limit)
        if event.probe:
            part.host(host).probes[source] += 1
        if actions & Action.LOGIN and event.count and event.user is not None:  # a line, not a settlement
            self.accepted.append((time, source, event.user, 0))

    def update(self, other: Tally) -> None:
        """Add another tally into this one; ``other`` must not be used afterwards (its parts are taken over)."""
        if other.slice_seconds != self.slice_seconds:
            raise ValueError("cannot add tallies of different slice lengths")
        if other.rules != self.rules:
            raise ValueError("cannot add tallies counted by different rules")
        self.kinds += other.kinds
        self.sshd_lines += other.sshd_lines
        for name, year in other.years.items():
            self.years.setdefault(name, year)
        for host, read in other.spans.items():
            self.spans.setdefault(host, []).extend(read)
        self.open.extend(other.open)
        self.open_kept.extend(other.open_kept)
        self.defences.extend(other.defences)
        self._last_time = self._last_start = None
        if not (self.country_of or self.failures or self.names or self.accepted or self.slices):
            # Nothing to add to (the first part of a build): take the other's records as they are, not copied.
            self.country_of, self.failures, self.names = other.country_of, other.failures, other.names
            self.accepted, self.slices, self.earlier = other.accepted, other.slices, other.earlier
            return
        if not (other.country_of or other.failures or other.names or other.accepted or other.slices):
            return  # nothing to add (a history that knew none of these addresses): the logins stay as they are
        if len(other.country_of) + len(other.failures) > len(self.country_of) + len(self.failures):
            # The smaller added into the larger (every merge below is symmetric): a part's few head lines do not
            # take in a million addresses, each map of them grown and copied on the way.
            self.country_of, other.country_of = other.country_of, self.country_of
            self.failures, other.failures = other.failures, self.failures
            self.names, other.names = other.names, self.names
            self.slices, other.slices = other.slices, self.slices
            self.earlier, other.earlier = other.earlier, self.earlier
            self.accepted, other.accepted = other.accepted, self.accepted
            self.accepted[:0] = other.accepted  # the logins in the order they were added: this tally's first
            other.accepted = []
        self.country_of.update(other.country_of)
        self.accepted.extend(other.accepted)
        self.earlier.update(other.earlier)
        _merge(self.failures, other.failures, lambda mine, theirs: (
            min(mine[0], theirs[0]), mine[1] + theirs[1], max(mine[2], theirs[2])
        ))  # fmt: skip
        limit = self.rules.attack_names
        _merge(self.names, other.names, lambda mine, theirs: merged_names(mine, theirs, limit))
        _merge(self.slices, other.slices, SliceTally.merged)

    def add_slice(
        self,
        start: datetime,
        sources: dict[str, dict[str, int]],
        probes: dict[str, dict[str, int]],
        users: dict[str, int],
    ) -> None:
        """Add one slice's counts, counted elsewhere (per host: by address), to the slice starting at ``start``.

        Counters given are taken over, not copied (the native scanner makes them for this): the caller lets go
        of them.
        """
        part = SliceTally(users=_taken(users))
        for kind, by_host in (("sources", sources), ("probes", probes)):
            for host, counts in by_host.items():
                name = self.host or host
                found = part.hosts.get(name)
                if found is None:
                    part.hosts[name] = HostCounts(**{kind: _taken(counts)})
                elif getattr(found, kind):  # hosts counted under one name (--host): added up
                    getattr(found, kind).update(counts)
                else:
                    setattr(found, kind, _taken(counts))
        known = self.slices.get(start)
        if known is None:
            self.slices[start] = part
        else:
            known.update(part)

    def count_logins(self) -> None:
        """Set each login's failed attempts before it: those from its address in earlier builds and in every slice
        up to the login's own, whole. A slice is the finest grain every part of a log counts alike: where the
        lines are cut, or whose connection a failure settled on, cannot move a failure across one."""
        if not self.accepted:
            return
        with no_collection():  # tens of thousands of new records, none of them garbage
            self._count_logins()

    def _count_logins(self) -> None:
        columns: dict[str, int] = {}
        for _, source, _, _ in self.accepted:
            columns.setdefault(source, len(columns))
        starts = sorted(self.slices)
        # Each login's failures are those of the slices up to its own: before the first slice starting after it.
        # That is the first starting after the login itself: a slice's key is the instant it starts, and slices
        # follow one another in time, clock changes and all (tests/test_sums.py).
        # Instants as whole microseconds: a list of them is searched without a time zone asked at each step.
        instants = [_microseconds(start) for start in starts]
        asks = sorted(
            (bisect.bisect_right(instants, _microseconds(time)), columns[source], index)
            for index, (time, source, _, _) in enumerate(self.accepted)
        )
        slices = [[one.sources for one in self.slices[start].hosts.values()] for start in starts]
        sums = running_counts(slices, columns, [(position, column) for position, column, _ in asks])
        counted = list(self.accepted)
        earlier = self.earlier.get  # no __missing__ called for each address never counted before
        for (_, _, index), failures in zip(asks, sums, strict=True):
            time, source, user, _ = counted[index]
            counted[index] = (time, source, user, earlier(source, 0) + failures)
        self.accepted = counted

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
        coarse = replace(self, slice_seconds=seconds, slices={}, _last_time=None, _last_start=None)
        for key, part in sorted(self.slices.items()):
            start = slice_key(key, seconds, self.tz)
            mine = coarse.slices.get(start)
            if mine is None:
                coarse.slices[start] = part.copy()
            else:
                mine.update(part)
        return coarse

    def host_names(self) -> tuple[str, ...]:
        """Return the hosts whose lines were read, sorted."""
        return tuple(sorted(self.spans.keys() | {host for part in self.slices.values() for host in part.hosts}))

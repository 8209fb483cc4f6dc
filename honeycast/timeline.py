"""Count attempts per country per time slice. No I/O."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache, reduce
from typing import NamedTuple, TypeVar

from .events import AuthEvent
from .rules import RULES, Action, RuleBook

K = TypeVar("K")
V = TypeVar("V")
_SLICE = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
AUTO = 0
"""``--slice auto``: the length is chosen from the span the logs cover (``auto_slice``)."""
AUTO_LENGTHS = (600, 3600, 6 * 3600, 86400)
"""The lengths ``--slice auto`` chooses from, shortest first; each is a whole number of the first."""
AUTO_MOST = 400
"""``--slice auto`` takes the shortest length that covers the span in at most this many slices."""
DAY = 86400


@lru_cache(maxsize=1024)
def digest(text: str) -> str:
    """Return the key a host name, an address or a user name is kept under in a site's history: the same in
    every build, and no text to read back."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def parse_slice(text: str) -> int:
    """Return the seconds in a slice length such as ``10m``, ``1h``, ``90s`` or ``1d``; ``auto`` is ``AUTO``."""
    if text.strip().lower() == "auto":
        return AUTO
    found = _SLICE.match(text.lower())
    if found is None:
        raise ValueError(f"--slice {text!r}: expected auto or a length such as 10m, 1h, 90s or 1d")
    seconds = int(found[1]) * _UNIT_SECONDS[found[2] or "m"]
    if not 60 <= seconds <= DAY or DAY % seconds:
        raise ValueError(f"--slice {text!r}: must divide a day evenly, between 1m and 1d")
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


def period_text(first: datetime, last: datetime) -> str:
    """Return the days from ``first`` to ``last`` as people write them: ``Sun 29 Nov 2026``, ``23–29 Nov 2026``,
    ``28 Nov – 3 Dec 2026``, ``28 Dec 2026 – 3 Jan 2027``."""
    if first.date() == last.date():
        return f"{first:%a} {first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def per_slice_text(seconds: int) -> str:
    """Return what "per" a slice reads as in a legend: ``minute``, ``10 min``, ``90 s``, ``hour``, ``day``."""
    text = slice_text(seconds)
    return {"1 min": "minute", "1 h": "hour", "1 day": "day"}.get(text, text)


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
    addresses: dict[str, int] = field(default_factory=dict)
    """Per country, how many distinct addresses made an attempt or a probe."""
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per host (the server that logged the lines): attempts per country."""
    host_probes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per host: probes per country."""

    @property
    def attempts(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Compromise:
    """An address's first successful login after it attacked: possibly a guessed password.

    It attacked when, before the login, it had made ``attack_failures`` failed attempts or tried
    ``attack_names`` user names or ``attack_invalid_names`` names that are no account (``rules.RULES``).
    """

    time: datetime
    address: str
    country: str
    user: str
    failures: int
    """Failed attempts from the address before the login."""


class Span(NamedTuple):
    """A span of time a host's lines were read in: its first and last line's time, and how many lines were read
    at that last instant."""

    first: datetime
    last: datetime
    at_last: int


class Named(NamedTuple):
    """A user name an address tried (or that sshd called invalid), first at ``time``."""

    time: datetime
    user: str
    invalid: bool


def noted(kept: tuple[Named, ...], time: datetime, user: str, invalid: bool, limit: int) -> tuple[Named, ...]:
    """Return the first ``limit`` distinct names with ``user`` (tried at ``time``) noted, earliest first.

    Kept lists of parts of a log merge into the list of the whole: a name among the first few of the
    whole is among the first few of the part it was first tried in. Nothing is made when nothing changes
    (the common case: a name tried again, or a fourth one), as this runs for every failed line.
    """
    for index, known in enumerate(kept):
        if known.user == user:
            if time >= known.time and (known.invalid or not invalid):
                return kept
            time, invalid = min(time, known.time), known.invalid or invalid
            kept = kept[:index] + kept[index + 1 :]
            break
    else:
        if len(kept) == limit and time >= kept[-1].time:
            return kept
    return tuple(sorted((*kept, Named(time, user, invalid)), key=lambda one: one.time)[:limit])


def attacked(failures: int, names: tuple[Named, ...], time: datetime, rules: RuleBook = RULES) -> bool:
    """Return whether an address had attacked before ``time``: the rule that makes its login a compromise."""
    before = [one for one in names if one.time <= time]
    invalid = sum(1 for one in before if one.invalid)
    return (
        failures >= rules.attack_failures or len(before) >= rules.attack_names or invalid >= rules.attack_invalid_names
    )


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
    distinct_addresses: int = 0
    """Distinct source addresses seen."""
    users: Counter[str] = field(default_factory=Counter)
    """Attempts per user name tried."""
    compromises: tuple[Compromise, ...] = ()
    logins: tuple[Login, ...] = ()
    country_of: dict[str, str] = field(default_factory=dict)
    """The country (or bucket) of every address that made an attempt or a probe."""
    attackers: dict[str, int] = field(default_factory=dict)
    """Per country, how many distinct addresses made an attempt or a probe over the whole timeline."""
    owners: frozenset[str] = frozenset()
    """Addresses that logged in without attacking first: the owner's. Nothing they did is counted."""
    owner_attempts: int = 0
    """Failed attempts (a mistyped password) from the owner's addresses, left out of every count."""
    hosts: tuple[str, ...] = ()
    """The hosts (servers) whose lines were read, sorted."""
    _sums: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Sums over the slices, each made once when first asked for (read them, never change them)."""

    def _summed(self, name: str, make: Callable[[], V]) -> V:
        found = self._sums.get(name)
        if found is None:
            found = self._sums[name] = make()
        return found  # type: ignore[return-value]

    @property
    def start(self) -> datetime:
        return self.slices[0].start

    @property
    def end(self) -> datetime:
        return self.slices[-1].end

    @property
    def period(self) -> str:
        """Return the days the timeline covers, e.g. ``23–29 Nov 2026``."""
        return period_text(self.start, self.end - timedelta(microseconds=1))

    @property
    def totals(self) -> Counter[str]:
        """Return attempts per country over the whole timeline."""
        return self._summed("totals", lambda: _sum(one.counts for one in self.slices))

    @property
    def countries_hit(self) -> int:
        """Return how many countries (not address buckets) made attempts."""
        return sum(1 for code in self.totals if code.isupper())

    @property
    def probe_totals(self) -> Counter[str]:
        return self._summed("probes", lambda: _sum(one.probes for one in self.slices))

    @property
    def sources(self) -> Counter[str]:
        """Return attempts per source address over the whole timeline."""
        return self._summed("sources", lambda: _sum(one.sources for one in self.slices))

    @property
    def peak(self) -> int:
        """Return the largest count of one country in one slice (the top of the colour scale)."""
        return max((max(one.counts.values(), default=0) for one in self.slices), default=0)


def _with_failures(login: tuple[datetime, str, str, int], part: Tally) -> tuple[datetime, str, str, int]:
    """Return a login with the failures from its address that ``part`` read before it added."""
    time, source, user, before = login
    return time, source, user, before + part.failed_before(source, time)


def _merge(mine: dict[K, V], theirs: dict[K, V], combine: Callable[[V, V], V]) -> None:
    """Add ``theirs`` into ``mine``: a key in both takes ``combine(mine's, theirs)``, a new key theirs."""
    for key, found in theirs.items():
        known = mine.get(key)
        mine[key] = found if known is None else combine(known, found)


def _take(counts: dict[str, int], key: str, amount: int) -> None:
    """Take ``amount`` off ``counts[key]``, leaving no key at zero."""
    left = counts[key] - amount
    if left:
        counts[key] = left
    else:
        del counts[key]


def _taken(counts: dict[str, int]) -> Counter[str]:
    """Return counts as a Counter: the very one where it is one."""
    return counts if type(counts) is Counter else Counter(counts)


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
        return _sum(parts)

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
    """(time, address, user, failed attempts from the address before it) of every successful login."""
    host: str | None = None
    """``--host``: the name the lines of this tally's input are counted under, whatever host they name."""
    covered: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    """Per host (by ``digest``), spans of time an earlier build counted: lines in them are read, counted in
    nothing."""
    spans: dict[str, list[Span]] = field(default_factory=dict)
    """Per host, the first and last sshd line of each input read (``covered`` of a later build)."""
    rules: RuleBook = RULES
    """What each kind of line does (the names an address tried, its logins) and when a login is a compromise."""
    _last_time: datetime | None = None
    _last_start: datetime | None = None
    _seen_at_end: Counter[tuple[str, int]] = field(default_factory=Counter)

    def covers(self, host: str, time: datetime) -> bool:
        """Return whether an earlier build counted this line of ``host`` at ``time``; asked once a line, in order.

        A line at the very instant a span ends was counted there only up to the number of lines read at that
        instant then: the log may have gone on within that second after it was read. (``is_covered`` in _scan.c.)
        """
        key = digest(self.host or host)
        for index, (first, last, at_last) in enumerate(self.covered.get(key, ())):
            if time < first or time > last:
                continue
            if time < last:
                return True
            self._seen_at_end[key, index] += 1
            return self._seen_at_end[key, index] <= at_last
        return False

    def add(self, event: AuthEvent, country: str | None) -> None:
        time = event.time
        host = self.host or event.host
        if event.count:  # a settlement (count 0) is no line of its own
            read = self.spans.get(host)
            if read is None:
                self.spans[host] = [Span(time, time, 1)]
            else:
                # Each bound compared on its own, as the native scanner does: local stamps compare by wall
                # clock and stamps with an offset by instant, so a stamp can lie before one and after the other.
                first, last, at_last = read[-1]
                if time > last:
                    last, at_last = time, 1
                elif not time < last:  # the same instant (== is False across zones for a time in a gap or fold)
                    at_last += 1
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
            self.accepted.append((time, source, event.user, self.failures.get(source, (time, 0, time))[1]))

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
        self._last_time = self._last_start = None
        if not (self.country_of or self.failures or self.names or self.accepted or self.slices):
            # Nothing to add to (the first part of a build): take the other's records as they are, not copied.
            self.country_of, self.failures, self.names = other.country_of, other.failures, other.names
            self.accepted, self.slices = other.accepted, other.slices
            return
        if not (other.country_of or other.failures or other.names or other.accepted or other.slices):
            return  # nothing to add (a history that knew none of these addresses): the logins stay as they are
        self.country_of.update(other.country_of)
        # A login's failures before it, read in another part, are that part's failures before its time.
        self.accepted = [
            *(_with_failures(login, other) for login in self.accepted),
            *(_with_failures(login, self) for login in other.accepted),
        ]
        _merge(self.failures, other.failures, lambda mine, theirs: (
            min(mine[0], theirs[0]), mine[1] + theirs[1], max(mine[2], theirs[2])
        ))  # fmt: skip
        limit = self.rules.attack_names

        def names(mine: tuple[Named, ...], theirs: tuple[Named, ...]) -> tuple[Named, ...]:
            return reduce(lambda kept, one: noted(kept, one.time, one.user, one.invalid, limit), theirs, mine)

        _merge(self.names, other.names, names)
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

    def failed_before(self, source: str, time: datetime) -> int:
        """Return the failed attempts from ``source`` in this tally before ``time``.

        Exact when they all lie on one side of it (parts of a log read apart: a file, a range of one); where
        they straddle it, those in the slices before ``time``'s own slice.
        """
        found = self.failures.get(source)
        if found is None:
            return 0
        first, failed, last = found
        if last <= time:
            return failed
        if first > time:
            return 0
        start = slice_key(time, self.slice_seconds, self.tz)
        return sum(part.sources.get(source, 0) for key, part in self.slices.items() if key < start)

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

    def logins(self) -> tuple[tuple[Compromise, ...], tuple[Login, ...], frozenset[str]]:
        """Return the compromises, every login, and the owner's addresses (those that logged in unflagged).

        An address's first login is a compromise if the address attacked before it (``attacked``); its
        later logins are not flagged again, and an address flagged once stays an attacker's.
        """
        compromises: list[Compromise] = []
        logins: list[Login] = []
        seen: set[str] = set()
        flagged: set[str] = set()
        for time, source, user, before in sorted(self.accepted):
            country = self.country_of[source]
            logins.append(Login(time, source, country, user))
            if source in seen:
                continue
            seen.add(source)
            if attacked(before, self.names.get(source, ()), time, self.rules):
                compromises.append(Compromise(time, source, country, user, before))
                flagged.add(source)
        return tuple(compromises), tuple(logins), frozenset(seen - flagged)

    def _slice(self, start: datetime, end: datetime, part: SliceTally, owners: frozenset[str], per_host: bool) -> Slice:
        """Return a slice's counts by country (and per host if ``per_host``), without the owner's addresses.

        Countries come in sorted order, so the timeline is the same whichever order events were counted in; a
        slice's addresses and names come as counted (every use of them sorts what it takes).
        """
        country_of = self.country_of
        country = country_of.__getitem__
        counted, probing = part.sources, part.probes
        sources: dict[str, int] = counted
        # Every address of every slice passes here: looked up and counted in C where Python lets it be.
        countries = list(map(country, counted))
        addresses: Counter[str] = Counter(countries)
        addresses.update(map(country, probing.keys() - counted.keys()))  # probed without an attempt
        attempts: dict[str, int] = {}
        for place, count in zip(countries, counted.values(), strict=True):
            attempts[place] = attempts.get(place, 0) + count
        probes: dict[str, int] = {}
        for address, count in probing.items():
            place = country(address)
            probes[place] = probes.get(place, 0) + count
        if owners and not (owners.isdisjoint(counted) and owners.isdisjoint(probing)):
            sources = dict(counted)
            for address in counted.keys() & owners:  # the owner's own addresses: taken back out
                del sources[address]
                _take(attempts, country(address), counted[address])
                _take(addresses, country(address), 1)
            for address in probing.keys() & owners:
                _take(probes, country(address), probing[address])
                if address not in counted:
                    _take(addresses, country(address), 1)
        hosts: dict[str, dict[str, int]] = {}
        host_probes: dict[str, dict[str, int]] = {}
        for host in sorted(part.hosts) if per_host else ():
            for counts, found in ((part.hosts[host].sources, hosts), (part.hosts[host].probes, host_probes)):
                by_country: Counter[str] = Counter()
                for address, count in counts.items():
                    if address not in owners:
                        by_country[country_of[address]] += count
                if by_country:
                    found[host] = dict(sorted(by_country.items()))
        return Slice(
            start=start.astimezone(self.tz),
            end=end.astimezone(self.tz),
            counts=dict(sorted(attempts.items())),
            probes=dict(sorted(probes.items())),
            sources=dict(sources),  # as counted: every use of a slice's addresses sorts what it takes
            users=dict(part.users),
            addresses=dict(sorted(addresses.items())),
            hosts=hosts,
            host_probes=host_probes,
        )

    def host_names(self) -> tuple[str, ...]:
        """Return the hosts whose lines were read, sorted."""
        return tuple(sorted(self.spans.keys() | {host for part in self.slices.values() for host in part.hosts}))

    def timeline(self, empty_slices: bool = True) -> Timeline | None:
        """Return the counted timeline, or None when no event named a source.

        Without ``empty_slices``, only slices in which something was counted (what a site's history keeps):
        years of sparse lines in short slices are then as quick to take as the lines themselves.
        """
        span = self.span()
        if span is None:
            return None
        keys = []
        start, last = span
        while empty_slices and start <= last:
            keys.append(start)
            start = next_slice(start, self.slice_seconds, self.tz)
        if not self.slices.keys() <= set(keys):
            keys = sorted(set(keys) | self.slices.keys())  # a zone whose rules the stepping did not foresee
        slices = []
        users: Counter[str] = Counter()
        empty = SliceTally()
        compromises, logins, owners = self.logins()
        hosts = self.host_names()
        for index, start in enumerate(keys):
            end = (
                keys[index + 1]
                if empty_slices and index + 1 < len(keys)
                else next_slice(start, self.slice_seconds, self.tz)
            )
            one = self._slice(start, end, self.slices.get(start, empty), owners, len(hosts) > 1)
            users.update(one.users)
            slices.append(one)
        counted = set().union(
            *(counts.keys() for part in self.slices.values() for one in part.hosts.values() for counts in one.counts())
        )
        country_of = {address: self.country_of[address] for address in counted - owners}
        owner_attempts = sum(self.failures.get(address, (None, 0))[1] for address in owners)
        return Timeline(
            slice_seconds=self.slice_seconds,
            slices=tuple(slices),
            events=Counter(dict(sorted(self.kinds.items()))),
            sshd_lines=self.sshd_lines,
            distinct_addresses=len(self.country_of.keys() - owners),
            users=users,
            compromises=compromises,
            logins=logins,
            country_of=country_of,
            attackers=dict(Counter(country_of.values())),
            owners=owners,
            owner_attempts=owner_attempts,
            hosts=hosts,
        )

"""The counts a build publishes, made from a tally: per slice and country, the owner's addresses left out,
compromises flagged, and what the whole span adds up to. No I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, ItemsView, Iterator, Mapping, Set, ValuesView
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import filterfalse
from typing import Any, TypeVar

from .names import Named
from .rules import RULES, RuleBook
from .slicing import next_slice, period_text
from .sums import added, by_country, missing, top_of_added
from .tally import SliceTally, Tally

V = TypeVar("V")


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
    networks: dict[str, int] = field(default_factory=dict)
    """Attempts per network (``AS4134``, or the address's bucket: networks.py)."""
    network_addresses: dict[str, int] = field(default_factory=dict)
    """Per network, how many distinct addresses made an attempt or a probe."""

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


@dataclass(frozen=True, slots=True)
class Login:
    """A successful login."""

    time: datetime
    address: str
    country: str
    user: str


class Counted(Mapping[str, str]):
    """The country of every address of a tally's map but a few left out (the owner's, those that made no attempt or
    probe): a view of that map, read only, not a second map of millions of addresses."""

    __slots__ = ("_left", "_located")

    def __init__(self, located: Mapping[str, str], left: Set[str]) -> None:
        self._located = located
        self._left = frozenset(address for address in left if address in located)

    def __getitem__(self, address: str) -> str:
        if address in self._left:
            raise KeyError(address)
        return self._located[address]

    def __contains__(self, address: object) -> bool:
        return address in self._located and address not in self._left

    def __iter__(self) -> Iterator[str]:
        return filterfalse(self._left.__contains__, self._located) if self._left else iter(self._located)

    def __len__(self) -> int:
        return len(self._located) - len(self._left)

    def items(self) -> ItemsView[str, str]:
        return _CountedItems(self)

    def values(self) -> ValuesView[str]:
        return _CountedValues(self)

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Return (address, country) of each address, as the tally's map gives them (``items``, without a lookup
        per address)."""
        left = self._left
        if not left:
            return iter(self._located.items())
        return (pair for pair in self._located.items() if pair[0] not in left)


class _CountedItems(ItemsView[str, str]):
    def __init__(self, counted: Counted) -> None:
        super().__init__(counted)
        self._counted = counted

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._counted.pairs()


class _CountedValues(ValuesView[str]):
    def __init__(self, counted: Counted) -> None:
        super().__init__(counted)
        self._counted = counted

    def __iter__(self) -> Iterator[str]:
        return (country for _, country in self._counted.pairs())


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
    country_of: Mapping[str, str] = field(default_factory=dict)
    """The country (or bucket) of every address that made an attempt or a probe."""
    attackers: dict[str, int] = field(default_factory=dict)
    """Per country, how many distinct addresses made an attempt or a probe over the whole timeline."""
    owners: frozenset[str] = frozenset()
    """Addresses that logged in without attacking first: the owner's. Nothing they did is counted."""
    owner_attempts: int = 0
    """Failed attempts (a mistyped password) from the owner's addresses, left out of every count."""
    hosts: tuple[str, ...] = ()
    """The hosts (servers) whose lines were read, sorted."""
    network_attackers: dict[str, int] = field(default_factory=dict)
    """Per network, how many distinct addresses made an attempt or a probe over the whole timeline."""
    network_names: dict[str, str] = field(default_factory=dict)
    """The organisation holding each network counted."""
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
        return self._summed("totals", lambda: added(one.counts for one in self.slices))

    @property
    def countries_hit(self) -> int:
        """Return how many countries (not address buckets) made attempts."""
        return sum(1 for code in self.totals if code.isupper())

    @property
    def probe_totals(self) -> Counter[str]:
        return self._summed("probes", lambda: added(one.probes for one in self.slices))

    @property
    def sources(self) -> Counter[str]:
        """Return attempts per source address over the whole timeline."""
        return self._summed("sources", lambda: added(one.sources for one in self.slices))

    def top_sources(self, size: int) -> list[tuple[str, int]]:
        """Return the ``size`` addresses that made the most attempts over the whole timeline, ties in name order
        (``sources`` not added up where it was not already: millions of addresses need no second map)."""
        summed = self._sums.get("sources")
        if isinstance(summed, Counter):
            return top_of_added([summed], size)
        return top_of_added([one.sources for one in self.slices], size, distinct=self.distinct_addresses)

    @property
    def network_totals(self) -> Counter[str]:
        """Return attempts per network over the whole timeline."""
        return self._summed("networks", lambda: added(one.networks for one in self.slices))

    @property
    def peak(self) -> int:
        """Return the largest count of one country in one slice (the top of the colour scale)."""
        return max((max(one.counts.values(), default=0) for one in self.slices), default=0)


def _take(counts: dict[str, int], key: str, amount: int) -> None:
    """Take ``amount`` off ``counts[key]``, leaving no key at zero."""
    left = counts[key] - amount
    if left:
        counts[key] = left
    else:
        del counts[key]


def attacked(failures: int, names: tuple[Named, ...], time: datetime, rules: RuleBook = RULES) -> bool:
    """Return whether an address had attacked before ``time``: the rule that makes its login a compromise."""
    before = [one for one in names if one.time <= time]
    invalid = sum(1 for one in before if one.invalid)
    return (
        failures >= rules.attack_failures or len(before) >= rules.attack_names or invalid >= rules.attack_invalid_names
    )


def logins_of(tally: Tally) -> tuple[tuple[Compromise, ...], tuple[Login, ...], frozenset[str]]:
    """Return the compromises, every login, and the owner's addresses (those that logged in unflagged).

    An address's first login is a compromise if the address attacked before it (``attacked``); its
    later logins are not flagged again, and an address flagged once stays an attacker's.
    """
    compromises: list[Compromise] = []
    logins: list[Login] = []
    seen: set[str] = set()
    flagged: set[str] = set()
    for time, source, user, before in sorted(tally.accepted):
        country = tally.country_of[source]
        logins.append(Login(time, source, country, user))
        if source in seen:
            continue
        seen.add(source)
        if attacked(before, tally.names.get(source, ()), time, tally.rules):
            compromises.append(Compromise(time, source, country, user, before))
            flagged.add(source)
    return tuple(compromises), tuple(logins), frozenset(seen - flagged)


def _slice(
    tally: Tally,
    start: datetime,
    end: datetime,
    part: SliceTally,
    owners: frozenset[str],
    per_host: bool,
    network_of: Mapping[str, str] | None,
) -> Slice:
    """Return a slice's counts by country (and per host if ``per_host``), without the owner's addresses.

    Countries come in sorted order, so the timeline is the same whichever order events were counted in; a
    slice's addresses and names come as counted (every use of them sorts what it takes).
    """
    country_of = tally.country_of
    country = country_of.__getitem__
    counted, probing = part.sources, part.probes
    # Every address of every slice passes here: summed by country (and network) in C where the scanner is built.
    places = by_country(counted, probing, *((country_of,) if network_of is None else (country_of, network_of)))
    attempts, probes, addresses = places[0]
    _take_owners(counted, probing, owners, country, attempts, probes, addresses)
    owned = [one for one in (owners if len(owners) < len(counted) else counted.keys() & owners) if one in counted]
    # As counted (every use of a slice's addresses sorts what it takes), and read only: the tally's own map unless
    # the owner's addresses are to be taken out of it (a copy of a slice of a million addresses is 40 MB).
    sources: dict[str, int] = counted
    if owned:
        sources = dict(counted)
        for address in owned:
            del sources[address]
    networks: dict[str, int] = {}
    network_addresses: dict[str, int] = {}
    if network_of is not None:
        networks, network_probes, network_addresses = places[1]
        _take_owners(counted, probing, owners, network_of.__getitem__, networks, network_probes, network_addresses)
    hosts: dict[str, dict[str, int]] = {}
    host_probes: dict[str, dict[str, int]] = {}
    for host in sorted(part.hosts) if per_host else ():
        for counts, found in ((part.hosts[host].sources, hosts), (part.hosts[host].probes, host_probes)):
            per_country: Counter[str] = Counter()
            for address, count in counts.items():
                if address not in owners:
                    per_country[country_of[address]] += count
            if per_country:
                found[host] = dict(sorted(per_country.items()))
    return Slice(
        start=start.astimezone(tally.tz),
        end=end.astimezone(tally.tz),
        counts=dict(sorted(attempts.items())),
        probes=dict(sorted(probes.items())),
        sources=sources,
        users=dict(part.users),
        addresses=dict(sorted(addresses.items())),
        hosts=hosts,
        host_probes=host_probes,
        networks=networks,  # in the order counted: every use sorts them (slices.json sorts its keys)
        network_addresses=network_addresses,
    )


def _take_owners(
    counted: Mapping[str, int],
    probing: Mapping[str, int],
    owners: frozenset[str],
    place: Callable[[str], str],
    attempts: dict[str, int],
    probes: dict[str, int],
    addresses: dict[str, int],
) -> None:
    """Take the owner's own addresses (few, often none) back out of a slice's counts by ``place``, going through
    whichever is smaller: the owner's addresses, or the slice's."""
    for address in owners if len(owners) < len(counted) + len(probing) else (counted.keys() | probing.keys()) & owners:
        if address in counted:
            _take(attempts, place(address), counted[address])
            _take(addresses, place(address), 1)
        if address in probing:
            _take(probes, place(address), probing[address])
            if address not in counted:
                _take(addresses, place(address), 1)


@dataclass(frozen=True, slots=True)
class NetworkMap:
    """Where each address of a tally is on the internet: its network (networks.py) and the networks' names."""

    of: Mapping[str, str]
    names: Mapping[str, str]


def timeline_of(tally: Tally, empty_slices: bool = True, networks: NetworkMap | None = None) -> Timeline | None:
    """Return the counted timeline, or None when no event named a source.

    Without ``empty_slices``, only slices in which something was counted (what a site's history keeps):
    years of sparse lines in short slices are then as quick to take as the lines themselves.
    """
    span = tally.span()
    if span is None:
        return None
    keys = []
    start, last = span
    while empty_slices and start <= last:
        keys.append(start)
        start = next_slice(start, tally.slice_seconds, tally.tz)
    if not tally.slices.keys() <= set(keys):
        keys = sorted(set(keys) | tally.slices.keys())  # a zone whose rules the stepping did not foresee
    slices = []
    empty = SliceTally()
    compromises, logins, owners = logins_of(tally)
    hosts = tally.host_names()
    for index, start in enumerate(keys):
        end = (
            keys[index + 1]
            if empty_slices and index + 1 < len(keys)
            else next_slice(start, tally.slice_seconds, tally.tz)
        )
        slices.append(
            _slice(
                tally, start, end, tally.slices.get(start, empty), owners, len(hosts) > 1,
                None if networks is None else networks.of,
            )
        )  # fmt: skip
    # Every address counted in a slice, but the owner's: the tally's map with the few others left out, not a copy.
    parts = [counts for part in tally.slices.values() for one in part.hosts.values() for counts in one.counts()]
    country_of = Counted(tally.country_of, owners | missing(tally.country_of.keys(), parts))
    owner_attempts = sum(tally.failures.get(address, (None, 0))[1] for address in owners)
    return Timeline(
        slice_seconds=tally.slice_seconds,
        slices=tuple(slices),
        events=Counter({str(kind): count for kind, count in sorted(tally.kinds.items())}),  # plain text keys
        sshd_lines=tally.sshd_lines,
        distinct_addresses=len(tally.country_of) - sum(1 for address in owners if address in tally.country_of),
        users=added(one.users for one in slices),
        compromises=compromises,
        logins=logins,
        country_of=country_of,
        attackers=dict(Counter(country_of.values())),
        owners=owners,
        owner_attempts=owner_attempts,
        hosts=hosts,
        **({} if networks is None else _span_networks(country_of, networks)),
    )


def _span_networks(country_of: Mapping[str, str], networks: NetworkMap) -> dict[str, Any]:
    """Return the timeline's distinct addresses per network and the names of the networks among them."""
    attackers = Counter(map(networks.of.__getitem__, country_of))
    return {
        "network_attackers": dict(sorted(attackers.items())),
        "network_names": {key: networks.names[key] for key in sorted(attackers) if key in networks.names},
    }

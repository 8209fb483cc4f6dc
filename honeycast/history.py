"""The history a site keeps of what it published, day by day and host by host, so a later build can add to it.

A build writes, beside the viewer's data, one document per day (``data/history/YYYY-MM-DD.json``) with that
day's slices as they were published, per host, and an index (``data/history/index.json``) listing the days, their
totals, and per host the spans of time whose lines were counted. ``build --append`` reads them back, counts only
the lines of the new logs outside those spans, and adds its slices to the days: a rotated log read again the
next night is not counted twice. Everything in it was published already (owners left out, names masked).

This module is the history in memory and what a build adds to it; archive.py reads and writes its files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from .defences import DayDefences, Standing
from .geo import HOSTNAME, UNKNOWN
from .names import Named
from .parts import Kept, kept
from .privacy import INTERNAL_BUCKETS, Privacy, internal_name
from .site import SLICE_TOP, dump_json
from .slicing import DAY, next_slice, slice_key
from .spans import Span, joined_lines
from .sums import add_to, top_counts
from .tails import Members, Tail, first_kept, grown, new_addresses, top_with
from .tally import Tally, digest, digest_number
from .timeline import Timeline


@dataclass(slots=True)
class History:
    """The days a site has published and the spans of each host's lines counted for them."""

    slice_seconds: int
    timezone: str
    days: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per day (``YYYY-MM-DD`` in the build's zone) this build adds to, or that is read whole: its document (see
    README, "History")."""
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per day an earlier build wrote and this one leaves as it was: its entry in the index, whose digests its
    files were checked against. Its files are carried over as they are, never read again."""
    source: Path | None = None
    """The folder the history was read from: where the days read only when a build adds to them lie."""
    read_day: Callable[[str], dict[str, Any]] | None = None
    """Reads a day an earlier build kept (by name), when this build adds to it (archive.read_history sets it)."""
    covered: dict[str, list[Span]] = field(default_factory=dict)
    """Per host (by ``digest``): spans of time whose lines were counted, merged where they overlap."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Per host key: the name the site shows for it."""
    attackers: dict[str, list[Any]] = field(default_factory=dict)
    """Per attacking address (by ``digest``): its first failure, failures, last failure, and the first names it
    tried (by digest), so a later build flags a login after an attack that began in an earlier one."""
    open: dict[str, list[Kept]] = field(default_factory=dict)
    """Per host (by ``digest``): the connections still open where the newest build that read the host ended, for
    the next ``--append`` build to go on (a login's logout, a PAM failure's Failed line after midnight)."""
    tail: dict[str, Tail] = field(default_factory=dict)
    """Per slice (by its key in the days) the newest build ended in: who was counted there (``tails``)."""
    defences: Standing = field(default_factory=Standing)
    """What the bans read so far leave to the next build (``defences.Standing``)."""
    _attacks: tuple[Tally, Callable[[str], bool]] | None = None
    """This build's tally and which of its addresses the history may keep (``keep_attacks``)."""
    _compromises: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    """Per day touched by this build, the compromises it keeps, as keys: each is added once, in one step."""

    def attack_tally(self, tally: Tally) -> Tally:
        """Return the attacks of the addresses in ``tally`` that earlier builds counted, as a tally to add to it."""
        earlier = Tally(tally.slice_seconds, tally.tz, rules=tally.rules)
        for address in tally.country_of if self.attackers else ():
            found = self.attackers.get(digest(address))
            if found is None:
                continue
            first, failures, last, names = found
            if failures:
                earlier.failures[address] = (datetime.fromisoformat(first), failures, datetime.fromisoformat(last))
                earlier.earlier[address] = failures
            if names:
                earlier.names[address] = tuple(
                    Named(datetime.fromisoformat(at), name, bool(bad)) for at, name, bad in names
                )
        return earlier

    def keep_attacks(self, tally: Tally, owners: frozenset[str], privacy: Privacy) -> None:
        """Keep the attacks of every address in ``tally`` but the owner's (whose attacks are in no count): read
        from the tally only as they are written (``attacker_entries``), not held a second time."""
        if privacy.anonymize_ips:
            return
        self._attacks = (tally, kept_address(tally, owners, privacy))

    def attacker_entries(self) -> Iterator[str]:
        """Yield the entries of ``attackers.json`` (``"digest":[…]``) in the order of their keys: the earlier
        builds' and, in place of theirs where both have one, this build's (``keep_attacks``)."""
        earlier = self.attackers
        if self._attacks is None:
            if earlier:
                yield dump_json(earlier)[1:-1]
            return
        tally, shown = self._attacks
        addresses: list[str] = []
        hidden: set[str] = set()
        failures = tally.failures
        named_only = (address for address in tally.names if address not in failures)
        for address in chain(failures, named_only):
            if shown(address):
                addresses.append(address)
            else:
                hidden.add(digest(address))
        keys = np.fromiter((digest_number(address) for address in addresses), np.uint64, len(addresses))
        order = np.argsort(keys, kind="stable")
        kept = sorted(key for key in earlier if key not in hidden)
        at = 0
        for index, number in _in_parts(order, keys):
            key = f"{number:016x}"
            run = at
            while at < len(kept) and kept[at] < key:  # earlier builds' addresses this one did not see
                at += 1
            if run < at:  # written together: one call for a night's thousands of old attackers between two new
                yield dump_json({one: earlier[one] for one in kept[run:at]})[1:-1]
            if at < len(kept) and kept[at] == key:
                at += 1
            yield f'"{key}":{_attacks_text(tally, addresses[index])}'
        if at < len(kept):
            yield dump_json({one: earlier[one] for one in kept[at:]})[1:-1]

    def keep_open(self, tally: Tally, owners: frozenset[str], privacy: Privacy) -> None:
        """Keep the connections still open where ``tally``'s lines ended, in place of those an earlier build left
        of each host it read on from (not of a host whose lines here end before those counted already)."""
        shown = kept_address(tally, owners, privacy)
        for host, spans in tally.spans.items():
            key = digest(host)
            ended = max((one.last for one in self.covered.get(key, ())), default=None)
            if ended is None or max(one.last for one in spans) >= ended:
                # Oldest first, as a later build takes them up: where two share a pid, the later one serves it.
                self.open[key] = [one for one in tally.open_kept if one.host == key]
                self.open[key] += [kept(one, shown) for one in tally.open if one.host == host]
        self.open = {key: found for key, found in self.open.items() if found}

    def day_count(self) -> int:
        """Return how many days the history keeps."""
        return len(self.days) + len(self.kept)

    def spans(self, tz: tzinfo) -> dict[str, tuple[Span, ...]]:
        """Return the covered spans in ``tz`` (``ReadOptions.covered``): stamps without an offset compare by
        wall clock in the build's zone, as the readers compare them."""
        return {
            key: tuple(Span(one.first.astimezone(tz), one.last.astimezone(tz), one.at_last) for one in found)
            for key, found in self.covered.items()
        }


def _in_parts(order: np.ndarray, keys: np.ndarray, size: int = 10_000) -> Iterator[tuple[int, int]]:
    """Yield (index, key) in ``order``, a part at a time: millions of them are never all Python numbers at once."""
    for start in range(0, len(order), size):
        part = order[start : start + size]
        yield from zip(part.tolist(), keys[part].tolist(), strict=True)


def _attacks_text(tally: Tally, address: str) -> str:
    """Return an address's entry of ``attackers.json`` as ``dump_json`` writes it: ``[first failure, failures, last
    failure, [[time, digest of a name, invalid], …]]`` (times ISO text, names digests: nothing to escape)."""
    first, failures, last = tally.failures.get(address, _NO_FAILURES)
    # An address's first failure is often its last and its first name's too (one time object): written once.
    first_text = f'"{first.isoformat()}"' if first else "null"
    last_text = first_text if last is first else f'"{last.isoformat()}"' if last else "null"
    names = []
    for one in tally.names.get(address, ()):  # a loop, not a generator: most addresses have one name or three
        at = first_text if one.time is first else f'"{one.time.isoformat()}"'
        names.append(f"[{at},{_quoted(one.user)},{int(one.invalid)}]")
    return f"[{first_text},{failures},{last_text},[{','.join(names)}]]"


_NO_FAILURES = (None, 0, None)


def _quoted(text: str) -> str:
    """Return text as a JSON string (as ``dump_json`` writes it)."""
    return (
        f'"{text}"'
        if (text.isascii() and text.isalnum()) or _PLAIN.fullmatch(text)
        else json.dumps(text, ensure_ascii=False)
    )


_PLAIN = re.compile(r"[0-9A-Za-z:+.\-]*")
"""Text JSON writes as it is between quotes (ISO times, digests)."""


def kept_address(tally: Tally, owners: frozenset[str], privacy: Privacy) -> Callable[[str], bool]:
    """Return whether the history may keep an address (by digest, which for IPv4 is no secret): not the owner's,
    not the owner's network (unless ``show_internal``), and none with ``anonymize_ips``."""

    def shown(address: str) -> bool:
        country = tally.country_of.get(address)
        internal = country in INTERNAL_BUCKETS or (country == HOSTNAME and internal_name(address))
        return not (privacy.anonymize_ips or address in owners or (internal and not privacy.show_internal))

    return shown


def hidden_names(tally: Tally) -> None:
    """Replace the names each address tried by their digests: they are kept only to be told apart."""
    kept = tally.names
    hidden: dict[tuple[Named, ...], tuple[Named, ...]] = {}  # names many addresses share (native.py) stay shared
    for address, names in kept.items():  # in place: each address's names let go of as its digests take their place
        found = hidden.get(names)
        if found is None:
            if len(hidden) >= 1 << 16:
                hidden.clear()
            found = hidden[names] = tuple(Named(one.time, digest(one.user), one.invalid) for one in names)
        kept[address] = found


def zone_name(tz: tzinfo) -> str:
    """Return the name a zone is kept under (``Europe/Berlin``, ``UTC``)."""
    return str(getattr(tz, "key", None) or tz)


def add_timeline(
    history: History,
    timeline: Timeline,
    spans: dict[str, list[Span]],
    published: Callable[[str], str],
    members: Callable[[datetime], Members],
) -> None:
    """Add a published timeline (in the history's slices, hosts by their published names) and the spans its lines
    came from (by host name) to the history; ``members`` gives the addresses of a slice a tail keeps
    (``tails.members``). Where the newest build before ended in a slice, what it counted there is added to as one
    build would count both (``tails``), and the slices this build ends in are kept in its place."""
    tz = timeline.start.tzinfo
    assert tz is not None
    for name, found in spans.items():
        key = digest(name)
        history.hosts[key] = published(name)
        history.covered[key] = _merged([*history.covered.get(key, []), *found])
    only = timeline.hosts[0] if len(timeline.hosts) == 1 else None  # the timeline keeps no per-host counts then
    for one in timeline.slices:
        if not one.counts and not one.probes:
            continue
        day = _day(history, one.start.date(), tz)
        slices = day["slices"]
        key = one.start.isoformat()
        entry = slices.get(key)
        if entry is None:  # a zone change the day's grid did not foresee
            entry = slices[key] = _empty_slice()
        add_to(entry["counts"], one.counts)
        add_to(entry["probes"], one.probes)
        add_to(entry["networks"], one.networks)
        names = timeline.network_names  # the organisation of each network the day counted
        day["network_names"].update((network, names[network]) for network in one.networks if network in names)
        network_addresses = entry["network_addresses"]
        before = history.tail.get(key)
        if before is None:
            add_to(entry["addresses"], one.addresses)
            add_to(network_addresses, one.network_addresses)
            entry["top_sources"] = _top_summed(entry["top_sources"], one.sources)
            entry["top_users"] = _top_summed(entry["top_users"], one.users)
        else:
            counted = members(one.start)
            add_to(entry["addresses"], new_addresses(one.addresses, counted.addresses, before))
            add_to(network_addresses, new_addresses(one.network_addresses, counted.networks, before))
            entry["top_sources"] = top_with(entry["top_sources"], one.sources, before.sources)
            entry["top_users"] = top_with(entry["top_users"], one.users, before.users)
        for kind, by_host in (("counts", one.hosts), ("probes", one.host_probes)):
            if only is not None:
                by_host = {only: getattr(one, kind)}
            for name, counts in by_host.items():
                add_to(entry["hosts"].setdefault(name, {"counts": {}, "probes": {}})[kind], counts)
    _keep_tails(history, timeline, members, tz)
    days: dict[date, dict[str, int]] = {}  # logins come in time order, thousands a day
    for login in timeline.logins:
        when = login.time.astimezone(tz).date()
        logins = days.get(when)
        if logins is None:
            logins = days[when] = _day(history, when, tz)["logins"]
        logins[login.country] = logins.get(login.country, 0) + 1
    for compromise in timeline.compromises:
        day = _day(history, compromise.time.astimezone(tz).date(), tz)
        record = {
            "time": compromise.time.isoformat(),
            "address": compromise.address,
            "country": compromise.country,
            "user": compromise.user,
            "failures": compromise.failures,
        }
        kept = history._compromises.get(day["day"])
        if kept is None:
            kept = history._compromises[day["day"]] = {compromise_key(one) for one in day["compromises"]}
        known = compromise_key(record)
        if known not in kept:
            kept.add(known)
            day["compromises"].append(record)


def day_defences(found: DayDefences, shown: Callable[[str], str], country_of: Mapping[str, str]) -> dict[str, Any]:
    """Return what a day of the history keeps of the defences (README, "History"), addresses as the site shows
    them: the blocks that began, the addresses blocked (with the seconds it took), and the attempts per address
    that got through a block or came after one."""

    def listed(counts: dict[str, int]) -> list[list[Any]]:
        return _summed([[shown(address), country_of.get(address, UNKNOWN), count] for address, count in counts.items()])

    banned = [[shown(address), country_of.get(address, UNKNOWN), seconds] for address, seconds in found.banned]
    return {
        "blocks": found.blocks, "banned": sorted(banned, key=_banned_order), "leaked": listed(found.leaked),
        "came_back": listed(found.came_back),
    }  # fmt: skip


def _summed(records: list[list[Any]]) -> list[list[Any]]:
    """Return [address, country, count] records with those of one address and country added up (addresses a site
    shows shortened may become one), sorted."""
    summed: dict[tuple[str, str], int] = {}
    for address, country, count in records:
        if count:
            summed[address, country] = summed.get((address, country), 0) + count
    return sorted([address, country, count] for (address, country), count in summed.items())


def add_defences(history: History, days: dict[str, dict[str, Any]], tz: tzinfo) -> None:
    """Add what a build found of the defences, per day (``build._day_defences``), to the history's days."""
    for name, found in sorted(days.items()):
        day = _day(history, date.fromisoformat(name), tz)
        kept = day.get("defences")
        if kept is None:
            day["defences"] = found
            continue
        kept["blocks"] += found["blocks"]
        kept["banned"] = sorted([*kept["banned"], *found["banned"]], key=_banned_order)
        for kind in ("leaked", "came_back"):
            kept[kind] = _summed([*kept[kind], *found[kind]])


def _banned_order(record: list[Any]) -> tuple[str, str, float]:
    return str(record[0]), str(record[1]), -1.0 if record[2] is None else float(record[2])


def _keep_tails(history: History, timeline: Timeline, members: Callable[[datetime], Members], tz: tzinfo) -> None:
    """Keep the slices a later build may add to (``tails.first_kept``, by every host's spans) with who was counted
    in them: what earlier builds kept of them and what this one counted."""
    first = first_kept(history.covered.values(), history.slice_seconds, tz)
    earlier = history.tail
    history.tail = {} if first is None else {
        key: one for key, one in earlier.items() if datetime.fromisoformat(key) >= first
    }  # fmt: skip
    for one in timeline.slices:
        if first is None or one.start < first or not (one.counts or one.probes):
            continue
        key = one.start.isoformat()
        kept = grown(history.tail.get(key), members(one.start).addresses, one.sources, one.users)
        if kept is None:
            history.tail.pop(key, None)
        else:
            history.tail[key] = kept


def compromise_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """Return what orders a day's compromises and tells them apart: time, address, then the rest."""
    return (
        str(record.get("time")), str(record.get("address")), str(record.get("country")), str(record.get("user")),
        str(record.get("failures")),
    )  # fmt: skip


def _day(history: History, day: date, tz: tzinfo) -> dict[str, Any]:
    """Return a day of the history, made with every slice of it empty where it has none yet."""
    name = day.isoformat()
    found = history.days.get(name)
    if found is None and name in history.kept and history.read_day is not None:  # read only now it gains counts
        found = history.days[name] = history.read_day(name)
        del history.kept[name]
    if found is None:
        found = history.days[name] = _empty_day(day, history, tz)
    return found


def _empty_slice() -> dict[str, Any]:
    return {
        "counts": {}, "probes": {}, "addresses": {}, "top_sources": [], "top_users": [], "hosts": {}, "networks": {},
        "network_addresses": {},
    }  # fmt: skip


def _empty_day(day: date, history: History, tz: tzinfo) -> dict[str, Any]:
    """Return a day with every slice of it empty, from its local midnight to the next."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    start = slice_key(midnight, history.slice_seconds, tz)
    end = slice_key(midnight + timedelta(days=1, hours=3), DAY, tz)
    slices = {}
    while start < end:
        slices[start.astimezone(tz).isoformat()] = _empty_slice()
        start = next_slice(start, history.slice_seconds, tz)
    return {"day": day.isoformat(), "slices": slices, "logins": {}, "compromises": [], "network_names": {}}


def _top_summed(top: list[list[Any]], more: dict[str, int]) -> list[list[Any]]:
    """Return the top ``SLICE_TOP`` of a kept top list plus new counts.

    Only keys of the kept list and the new counts' own top (as many more as the kept list holds) can make the
    top of the sum, so the rest of the new counts is never added up.
    """
    kept = {key: value for key, value in top}
    candidates = kept.keys() | {key for key, _ in top_counts(more, SLICE_TOP + len(kept))}
    return top_counts({key: kept.get(key, 0) + more.get(key, 0) for key in candidates}, SLICE_TOP)


def _merged(spans: list[Span]) -> list[Span]:
    """Return spans with the overlapping ones joined, earliest first.

    Where two end at one instant, the lines read there are taken to be the same lines (a log read again)."""
    joined: list[Span] = []
    for one in sorted(spans, key=lambda span: span.first.astimezone(UTC)):
        if not joined or one.first > joined[-1].last:
            joined.append(one)
            continue
        was = joined[-1]
        if one.last > was.last:
            joined[-1] = Span(was.first, one.last, one.at_last)
        elif not one.last < was.last:
            joined[-1] = Span(was.first, was.last, joined_lines(was.at_last, one.at_last))
    return joined

"""The history a site keeps of what it published, day by day and host by host, so a later build can add to it.

A build writes, beside the viewer's data, one document per day (``data/history/YYYY-MM-DD.json``) with that
day's slices as they were published, per host, and an index (``data/history/index.json``) listing the days, their
totals, and per host the spans of time whose lines were counted. ``build --append`` reads them back, counts only
the lines of the new logs outside those spans, and adds its slices to the days: a rotated log read again the
next night is not counted twice. Everything in it was published already (owners left out, names masked).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from .errors import InputError
from .geo import HOSTNAME
from .privacy import INTERNAL_BUCKETS, Privacy, internal_name
from .shapes import country_names
from .site import SLICE_TOP, dump_json, script, top_counts
from .slicing import DAY, next_slice, slice_key
from .tally import Named, Span, Tally, digest
from .timeline import Timeline

HISTORY_VERSION = 1
"""Version of the history documents; a change that removes or redefines a key increments it."""
FOLDER = Path("data") / "history"
INDEX = "index.json"
ATTACKERS = "attackers.json"


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
    covered: dict[str, list[Span]] = field(default_factory=dict)
    """Per host (by ``digest``): spans of time whose lines were counted, merged where they overlap."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Per host key: the name the site shows for it."""
    attackers: dict[str, list[Any]] = field(default_factory=dict)
    """Per attacking address (by ``digest``): its first failure, failures, last failure, and the first names it
    tried (by digest), so a later build flags a login after an attack that began in an earlier one."""
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
            if names:
                earlier.names[address] = tuple(
                    Named(datetime.fromisoformat(at), name, bool(bad)) for at, name, bad in names
                )
        return earlier

    def keep_attacks(self, tally: Tally, owners: frozenset[str], privacy: Privacy) -> None:
        """Keep the attacks of every address in ``tally`` but the owner's (whose attacks are in no count).

        Addresses are kept by digest, which for IPv4 is no secret: the owner's network (unless
        ``show_internal``) is not kept, and with ``anonymize_ips`` no address is.
        """
        if privacy.anonymize_ips:
            return
        for address in tally.failures.keys() | tally.names.keys():
            country = tally.country_of.get(address)
            internal = country in INTERNAL_BUCKETS or (country == HOSTNAME and internal_name(address))
            if address in owners or (internal and not privacy.show_internal):
                self.attackers.pop(digest(address), None)
                continue
            first, failures, last = tally.failures.get(address, (None, 0, None))
            self.attackers[digest(address)] = [
                first.isoformat() if first else None,
                failures,
                last.isoformat() if last else None,
                [[one.time.isoformat(), one.user, int(one.invalid)] for one in tally.names.get(address, ())],
            ]

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


def hidden_names(tally: Tally) -> None:
    """Replace the names each address tried by their digests: they are kept only to be told apart."""
    tally.names = {
        address: tuple(Named(one.time, digest(one.user), one.invalid) for one in names)
        for address, names in tally.names.items()
    }


def zone_name(tz: tzinfo) -> str:
    """Return the name a zone is kept under (``Europe/Berlin``, ``UTC``)."""
    return str(getattr(tz, "key", None) or tz)


def read_history(out: Path, slice_seconds: int | None, timezone: str) -> History | None:
    """Return the history kept in the site at ``out``, or None if it keeps none."""
    folder = out / FOLDER
    index_path = folder / INDEX
    if not index_path.is_file():
        return None
    index = _load(index_path)
    if index.get("version") != HISTORY_VERSION:
        raise InputError(
            f"{index_path}: history version {index.get('version')!r}; this honeycast reads {HISTORY_VERSION}"
        )
    try:
        kept = int(index["slice_seconds"])
        if slice_seconds and slice_seconds != kept:
            raise InputError(
                f"{index_path}: the history is kept in slices of {kept} s; --append keeps them (leave out --slice)"
            )
        if index["timezone"] != timezone:
            raise InputError(
                f"{index_path}: the history is kept in {index['timezone']}; build with --tz {index['timezone']}"
            )
        history = History(kept, timezone, hosts={str(key): str(name) for key, name in index["hosts"].items()})
        for key, found in index["covered"].items():
            history.covered[str(key)] = [
                Span(datetime.fromisoformat(a), datetime.fromisoformat(b), int(n)) for a, b, n in found
            ]
        entries = [_index_entry(entry, index_path) for entry in index["days"]]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InputError(f"{index_path}: not a honeycast history index ({error!r})") from None
    history.source = folder
    for entry in entries:
        day = entry["day"]
        if "sha256" not in entry:  # written before days carried digests: read whole, and written anew
            history.days[day] = _load_day(folder, day)
            continue
        for suffix, expected in sorted(entry["sha256"].items()):
            path = folder / f"{day}.{suffix}"
            try:
                found = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as error:
                raise InputError(f"{path}: cannot read the site's history: {error.strerror or error}") from None
            if found != expected:
                raise InputError(f"{path}: damaged (not the file the index lists); rebuild the site without --append")
        history.kept[day] = entry
    if (folder / ATTACKERS).exists():
        attackers = _load(folder / ATTACKERS)
        if not all(isinstance(one, list) and len(one) == 4 for one in attackers.values()):
            raise InputError(f"{folder / ATTACKERS}: not the attacks of a honeycast history")
        history.attackers = attackers
    return history


_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_INDEXED = ("attempts", "totals", "probes", "hosts")
"""What the index keeps of each day's document, besides its name and digests."""
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _index_entry(entry: Any, index_path: Path) -> dict[str, Any]:
    """Return a day's entry in the index, checked: what is kept of it is what the index says of the day."""
    day = str(entry["day"])
    if not _DAY.fullmatch(day):  # a name that becomes a file's: nothing else
        raise InputError(f"{index_path}: {day!r} is no day")
    checked = {
        "day": day,
        "attempts": int(entry["attempts"]),
        "totals": {str(code): int(count) for code, count in entry["totals"].items()},
        "probes": {str(code): int(count) for code, count in entry["probes"].items()},
        "hosts": {
            str(name): {"attempts": int(one["attempts"]), "probes": int(one["probes"])}
            for name, one in entry["hosts"].items()
        },
    }
    if "sha256" in entry:
        digests = {str(suffix): str(value) for suffix, value in entry["sha256"].items()}
        if set(digests) != {"json", "js"} or not all(_DIGEST.fullmatch(value) for value in digests.values()):
            raise ValueError(f"sha256 of {checked['day']}: {entry['sha256']!r}")
        checked["sha256"] = digests
    return checked


def _load_day(folder: Path, day: str) -> dict[str, Any]:
    """Return a day of the history as kept, read from ``folder`` and checked."""
    path = folder / f"{day}.json"
    document = _load(path)
    if not (
        isinstance(document.get("slices"), dict)
        and isinstance(document.get("logins"), dict)
        and isinstance(document.get("compromises"), list)
    ):
        raise InputError(f"{path}: not a day of a honeycast history")
    return document


def _load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read the site's history: {error}") from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a history document")
    return document


def add_timeline(
    history: History, timeline: Timeline, spans: dict[str, list[Span]], published: Callable[[str], str]
) -> None:
    """Add a published timeline (in the history's slices, hosts by their published names) and the spans its lines
    came from (by host name) to the history."""
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
        slices = _day(history, one.start.date(), tz)["slices"]
        entry = slices.get(one.start.isoformat())
        if entry is None:  # a zone change the day's grid did not foresee
            entry = slices[one.start.isoformat()] = _empty_slice()
        _add_counts(entry["counts"], one.counts)
        _add_counts(entry["probes"], one.probes)
        _add_counts(entry["addresses"], one.addresses)
        entry["top_sources"] = _top_summed(entry["top_sources"], one.sources)
        entry["top_users"] = _top_summed(entry["top_users"], one.users)
        for kind, by_host in (("counts", one.hosts), ("probes", one.host_probes)):
            if only is not None:
                by_host = {only: getattr(one, kind)}
            for name, counts in by_host.items():
                _add_counts(entry["hosts"].setdefault(name, {"counts": {}, "probes": {}})[kind], counts)
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
            kept = history._compromises[day["day"]] = {_compromise_key(one) for one in day["compromises"]}
        known = _compromise_key(record)
        if known not in kept:
            kept.add(known)
            day["compromises"].append(record)


def _compromise_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """Return what orders a day's compromises and tells them apart: time, address, then the rest."""
    return (
        str(record.get("time")), str(record.get("address")), str(record.get("country")), str(record.get("user")),
        str(record.get("failures")),
    )  # fmt: skip


def _day(history: History, day: date, tz: tzinfo) -> dict[str, Any]:
    """Return a day of the history, made with every slice of it empty where it has none yet."""
    name = day.isoformat()
    found = history.days.get(name)
    if found is None and name in history.kept and history.source is not None:  # read only now it gains counts
        found = history.days[name] = _load_day(history.source, name)
        del history.kept[name]
    if found is None:
        found = history.days[name] = _empty_day(day, history, tz)
    return found


def _empty_slice() -> dict[str, Any]:
    return {"counts": {}, "probes": {}, "addresses": {}, "top_sources": [], "top_users": [], "hosts": {}}


def _empty_day(day: date, history: History, tz: tzinfo) -> dict[str, Any]:
    """Return a day with every slice of it empty, from its local midnight to the next."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    start = slice_key(midnight, history.slice_seconds, tz)
    end = slice_key(midnight + timedelta(days=1, hours=3), DAY, tz)
    slices = {}
    while start < end:
        slices[start.astimezone(tz).isoformat()] = _empty_slice()
        start = next_slice(start, history.slice_seconds, tz)
    return {"day": day.isoformat(), "slices": slices, "logins": {}, "compromises": []}


def _add_counts(total: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value


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
            joined[-1] = Span(was.first, was.last, max(was.at_last, one.at_last))
    return joined


def day_document(history: History, day: str) -> dict[str, Any]:
    """Return a day as the viewer reads it: its slices in order, empty ones included, and its totals."""
    kept = history.days[day]
    slices = [
        {"start": start, **entry, "attempts": sum(entry["counts"].values())} for start, entry in kept["slices"].items()
    ]
    slices.sort(key=lambda one: datetime.fromisoformat(one["start"]).astimezone(UTC))
    totals: Counter[str] = Counter()
    probes: Counter[str] = Counter()
    hosts: dict[str, dict[str, int]] = {}
    for one in slices:
        totals.update(one["counts"])
        probes.update(one["probes"])
        for name, counts in one["hosts"].items():
            found = hosts.setdefault(name, {"attempts": 0, "probes": 0})
            found["attempts"] += sum(counts["counts"].values())
            found["probes"] += sum(counts["probes"].values())
    return {
        "version": HISTORY_VERSION,
        "day": day,
        "slice_seconds": history.slice_seconds,
        "timezone": history.timezone,
        "attempts": sum(totals.values()),
        "totals": dict(sorted(totals.items())),
        "probes": dict(sorted(probes.items())),
        "hosts": dict(sorted(hosts.items())),
        "slices": slices,
        "logins": dict(sorted(kept["logins"].items())),
        "compromises": kept["compromises"],
    }


def index_document(history: History, entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the history's index: its days with their totals and the digests of their files, its hosts, and the
    spans counted per host."""
    days = [entries[day] for day in sorted(entries)]
    names = country_names()
    codes = {code for entry in days for code in (*entry["totals"], *entry["probes"])}
    return {
        "version": HISTORY_VERSION,
        "slice_seconds": history.slice_seconds,
        "timezone": history.timezone,
        "countries": {code: names.get(code, code) for code in sorted(codes)},
        "hosts": dict(sorted(history.hosts.items())),
        "covered": {
            key: [[one.first.isoformat(), one.last.isoformat(), one.at_last] for one in found]
            for key, found in sorted(history.covered.items())
        },
        "days": days,
    }


def write_history(out: Path, history: History) -> None:
    """Write the history into a site being built: each day as JSON and as a script (for pages opened from disk).

    Days this build added nothing to are carried over as the files they were (linked where the file system
    can), so a night's build writes what it adds, not the whole archive again.
    """
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for day in sorted(history.days):  # dump_json sorts keys: the same bytes whatever order days were added in
        history.days[day]["compromises"].sort(key=_compromise_key)
        kept = (dump_json(history.days[day]) + "\n").encode("utf-8")
        document = day_document(history, day)
        shown = script("HONEYCAST_DAY", dump_json(document)).encode("utf-8")
        (folder / f"{day}.json").write_bytes(kept)
        (folder / f"{day}.js").write_bytes(shown)
        entries[day] = {
            "day": day,
            **{name: document[name] for name in _INDEXED},
            "sha256": {"json": hashlib.sha256(kept).hexdigest(), "js": hashlib.sha256(shown).hexdigest()},
        }
    for day, entry in history.kept.items():
        assert history.source is not None
        for suffix in ("json", "js"):
            _carry(history.source / f"{day}.{suffix}", folder / f"{day}.{suffix}")
        entries[day] = entry
    (folder / ATTACKERS).write_text(dump_json(history.attackers) + "\n", encoding="utf-8")
    text = dump_json(index_document(history, entries))
    (folder / INDEX).write_text(text + "\n", encoding="utf-8")
    (folder / "index.js").write_text(script("HONEYCAST_HISTORY", text), encoding="utf-8")


def _carry(source: Path, target: Path) -> None:
    """Put a file of the earlier site into the new one: a second name for it where the file system allows (the
    old site is removed when the new one is in place), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)

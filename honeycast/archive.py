"""The history's files in a site: read back by ``build --append`` (checked, as untrusted input), and written.

``data/history/index.json`` lists the days, their totals and per host the spans of time whose lines were counted;
one document a day (``YYYY-MM-DD.json``, and a ``.js`` twin the viewer loads from disk) holds that day's slices as
published; ``attackers.json`` the attacks by address digest. README, "History", has every key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .history import History, compromise_key
from .shapes import country_names
from .site import dump_json, script
from .tally import Span

HISTORY_VERSION = 1
"""Version of the history documents; a change that removes or redefines a key increments it."""
FOLDER = Path("data") / "history"
INDEX = "index.json"
ATTACKERS = "attackers.json"


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
    history.read_day = functools.partial(load_day, folder)
    for entry in entries:
        day = entry["day"]
        if "sha256" not in entry:  # written before days carried digests: read whole, and written anew
            history.days[day] = load_day(folder, day)
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


def load_day(folder: Path, day: str) -> dict[str, Any]:
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
        history.days[day]["compromises"].sort(key=compromise_key)
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

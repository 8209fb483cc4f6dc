"""The history's files in a site: read back by ``build --append`` (checked, as untrusted input), and written.

``data/history/index.json`` lists the days, their totals and per host the spans of time whose lines were counted;
one document a day (``YYYY-MM-DD.json``, and a ``.js`` twin the viewer loads from disk) holds that day's slices as
published; ``attackers.json`` the attacks by address digest. README, "History", has every key.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from . import schema, tails
from .defences import WRITER_HOST, Block, Standing
from .errors import InputError
from .history import History, compromise_key
from .parts import checked_open, open_records
from .shapes import country_names
from .site import dump_json, script
from .spans import ANY_LINE, Span

HISTORY_VERSION = 6
"""Version of the history documents; a change that removes or redefines a key increments it. Version 2: a covered
span's last item lists the lines read at its last instant by key, where version 1 gave their number. Version 3:
``open.json``, the connections open where the newest build ended. Version 4: ``tail.json``, who was counted in
the slices the newest build ended in. Version 6: ``defences.json``, the bans a later build goes on from, and a
day's ``defences``."""
READS = (1, 2, 3, 4, 5, 6)
"""The versions ``--append`` reads."""
FOLDER = Path("data") / "history"
INDEX = "index.json"
ATTACKERS = "attackers.json"
OPEN = "open.json"
TAIL = "tail.json"
DEFENCES = "defences.json"


def read_history(out: Path, slice_seconds: int | None, timezone: str) -> History | None:
    """Return the history kept in the site at ``out``, or None if it keeps none. Every document is checked
    (``schema``) before anything of it is used: a field that is not what honeycast writes is one InputError
    naming the file and the field."""
    folder = out / FOLDER
    index_path = folder / INDEX
    if not index_path.is_file() and not index_path.is_symlink():
        return None
    index = _load(index_path)
    version = index.get("version")
    if version not in READS or type(version) is not int:
        raise InputError(f"{index_path}: history version {version!r}; this honeycast reads {READS[0]} to {READS[-1]}")
    try:
        kept = schema.positive(schema.field(index, "slice_seconds"), "slice_seconds")
        if kept > MAX_SLICE_SECONDS:
            raise schema.Invalid("slice_seconds", f"expected at most {MAX_SLICE_SECONDS} (a year), found {kept}")
        zone = schema.text(schema.field(index, "timezone"), "timezone")
        hosts = schema.mapping(schema.field(index, "hosts"), "hosts")
        history = History(
            kept,
            zone,
            hosts={
                schema.text(key, "hosts"): schema.text(name, schema.at("hosts", key)) for key, name in hosts.items()
            },
        )
        for key, found in schema.mapping(schema.field(index, "covered"), "covered").items():
            where = schema.at("covered", schema.text(key, "covered"))
            history.covered[key] = [
                _span(one, f"{where}[{number}]", version) for number, one in enumerate(schema.listing(found, where))
            ]
        entries = [
            _index_entry(entry, f"days[{number}]")
            for number, entry in enumerate(schema.listing(schema.field(index, "days"), "days"))
        ]
    except schema.Invalid as problem:
        raise InputError(f"{index_path}: {problem}") from None
    if slice_seconds and slice_seconds != kept:
        raise InputError(
            f"{index_path}: the history is kept in slices of {kept} s; --append keeps them (leave out --slice)"
        )
    if zone != timezone:
        raise InputError(f"{index_path}: the history is kept in {zone}; build with --tz {zone}")
    history.source = folder
    history.read_day = functools.partial(load_day, folder)
    for entry in entries:
        day = entry["day"]
        if "sha256" not in entry:  # written before days carried digests: read whole, and written anew
            history.days[day] = load_day(folder, day)
            continue
        for suffix, expected in sorted(entry["sha256"].items()):
            path = folder / f"{day}.{suffix}"
            _refuse_link(path)
            try:
                found = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as error:
                raise InputError(f"{path}: cannot read the site's history: {error.strerror or error}") from None
            if found != expected:
                raise InputError(f"{path}: damaged (not the file the index lists); rebuild the site without --append")
        history.kept[day] = entry
    if _there(folder / ATTACKERS):
        history.attackers = _checked(folder / ATTACKERS, _attackers)
    if version >= 3 and _there(folder / OPEN):
        history.open = _checked(folder / OPEN, checked_open)
    if version >= 4 and _there(folder / TAIL):
        history.tail = _checked(folder / TAIL, tails.checked)
    if version >= 6 and _there(folder / DEFENCES):
        history.defences = _checked(folder / DEFENCES, _standing)
    return history


def _there(path: Path) -> bool:
    return path.exists() or path.is_symlink()


_Read = TypeVar("_Read")


def _checked(path: Path, check: Callable[[dict[str, Any]], _Read]) -> _Read:
    """Return a document of the history read from ``path`` and checked by ``check``: one InputError naming the
    file and the first field that is not what honeycast writes."""
    document = _load(path)
    try:
        return check(document)
    except schema.Invalid as problem:
        raise InputError(f"{path}: {problem}") from None


def _attackers(document: dict[str, Any]) -> dict[str, list[Any]]:
    return {schema.text(key, "(a key)"): _attacker(one, schema.at("", key)) for key, one in document.items()}


MAX_SLICE_SECONDS = 366 * 86400
MAX_AT_LAST = 1_000_000
"""The most lines a span keeps of its last instant (a second of one host's sshd lines holds far fewer)."""
_LINE_KEY = re.compile(r"[0-9a-f]{8}|\*")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _span(value: Any, where: str, version: int) -> Span:
    first, last, lines = schema.listing(value, where, 3)
    first_at, last_at = schema.moment(first, f"{where}[0]"), schema.moment(last, f"{where}[1]")
    if last_at < first_at:
        raise schema.Invalid(where, f"ends ({last}) before it begins ({first})")
    if version == 1:  # the lines at the last instant by number only: each stands for any line there
        return Span(first_at, last_at, (ANY_LINE,) * min(schema.count(lines, f"{where}[2]"), MAX_AT_LAST))
    keys = schema.listing(lines, f"{where}[2]")
    if len(keys) > MAX_AT_LAST or not all(isinstance(one, str) and _LINE_KEY.fullmatch(one) for one in keys):
        raise schema.Invalid(f"{where}[2]", f"expected at most {MAX_AT_LAST:,} line keys (eight hex digits each)")
    return Span(first_at, last_at, tuple(sorted(keys)))


def _index_entry(entry: Any, where: str) -> dict[str, Any]:
    """Return a day's entry in the index, checked: what is kept of it is what the index says of the day."""
    entry = schema.mapping(entry, where)
    day = schema.text(schema.field(entry, "day", f"{where}."), f"{where}.day")
    if not _DAY.fullmatch(day) or not _is_date(day):  # a name that becomes a file's: nothing else
        raise schema.Invalid(f"{where}.day", f"expected a day (YYYY-MM-DD), found {json.dumps(day[:40])}")
    checked: dict[str, Any] = {
        "day": day,
        "attempts": schema.count(schema.field(entry, "attempts", f"{where}."), f"{where}.attempts"),
        "totals": schema.counts(schema.field(entry, "totals", f"{where}."), f"{where}.totals"),
        "probes": schema.counts(schema.field(entry, "probes", f"{where}."), f"{where}.probes"),
        "hosts": {
            schema.text(name, f"{where}.hosts"): {
                kind: schema.count(
                    schema.field(schema.mapping(one, schema.at(f"{where}.hosts", name)), kind, ""),
                    schema.at(f"{where}.hosts", name) + f".{kind}",
                )
                for kind in ("attempts", "probes")
            }
            for name, one in schema.mapping(schema.field(entry, "hosts", f"{where}."), f"{where}.hosts").items()
        },
    }
    if "sha256" in entry:
        digests = schema.mapping(entry["sha256"], f"{where}.sha256")
        if set(digests) != {"json", "js"} or not all(
            isinstance(one, str) and _DIGEST.fullmatch(one) for one in digests.values()
        ):
            raise schema.Invalid(f"{where}.sha256", "expected the SHA-256 digests of the day's json and js files")
        checked["sha256"] = dict(digests)
    return checked


def _is_date(day: str) -> bool:
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _attacker(value: Any, where: str) -> list[Any]:
    """An address's attacks: first failure, failures, last failure, and the first names it tried."""
    first, failures, last, names = schema.listing(value, where, 4)
    for index, one in ((0, first), (2, last)):
        if one is not None:
            schema.moment(one, f"{where}[{index}]")
    schema.count(failures, f"{where}[1]")
    for number, name in enumerate(schema.listing(names, f"{where}[3]")):
        at, user, invalid = schema.listing(name, f"{where}[3][{number}]", 3)
        schema.moment(at, f"{where}[3][{number}][0]")
        schema.text(user, f"{where}[3][{number}][1]")
        if invalid not in (0, 1) or type(invalid) is not int:
            raise schema.Invalid(
                f"{where}[3][{number}][2]", f"expected 0 or 1, found {json.dumps(invalid, default=str)}"
            )
    return [first, failures, last, names]


_KEY = re.compile(r"[0-9a-f]{16}")
_WRITER = re.compile(rf"(fail2ban|sshguard) \S{{0,{WRITER_HOST}}}")


def _standing(document: dict[str, Any]) -> Standing:
    """The blocks a later build goes on from: each one's network, tool, jail, start, end (or null) and whether
    it was restored; the first block per address digest; per writer, the newest instant read and its events."""
    blocks = []
    for number, value in enumerate(schema.listing(schema.field(document, "blocks"), "blocks")):
        where = f"blocks[{number}]"
        network, tool, jail, start, end, restored = schema.listing(value, where, 6)
        try:
            parsed = ipaddress.ip_network(schema.text(network, f"{where}[0]"))
        except ValueError:
            raise schema.Invalid(f"{where}[0]", f"expected a network, found {json.dumps(network)[:60]}") from None
        if tool not in ("fail2ban", "sshguard"):
            raise schema.Invalid(f"{where}[1]", f"expected fail2ban or sshguard, found {json.dumps(tool)[:40]}")
        began = schema.moment(start, f"{where}[3]")
        ended = None if end is None else schema.moment(end, f"{where}[4]")
        if ended is not None and ended < began:
            raise schema.Invalid(where, f"ends ({end}) before it begins ({start})")
        kept = Block(parsed, tool, schema.text(jail, f"{where}[2]"), began, ended, schema.flag(restored, f"{where}[5]"))
        blocks.append(replace(kept, carried=True))
    first = {
        schema.matching(key, "first_blocked", _KEY, "an address digest (16 hex digits)"): schema.moment(
            value, schema.at("first_blocked", key)
        )
        for key, value in schema.mapping(schema.field(document, "first_blocked"), "first_blocked").items()
    }
    read_to = {}
    for name, value in schema.mapping(schema.field(document, "read_to"), "read_to").items():
        where = schema.at("read_to", schema.matching(name, "read_to", _WRITER, "fail2ban or sshguard and a host"))
        time, keys = schema.listing(value, where, 2)
        at_time = schema.counts(keys, f"{where}[1]")
        for key in at_time:
            schema.matching(key, f"{where}[1]", _KEY, "an event's key (16 hex digits)")
        read_to[name] = (schema.moment(time, f"{where}[0]"), Counter(at_time))
    return Standing(blocks, first, read_to)


def standing_document(standing: Standing) -> dict[str, Any]:
    """Return what ``defences.json`` keeps (``_standing`` reads it back)."""
    blocks = [
        [str(one.network), one.tool, one.jail, one.start.isoformat(), one.end and one.end.isoformat(), one.restored]
        for one in standing.blocks
    ]
    marks = sorted(standing.read_to.items())
    return {
        "blocks": blocks,
        "first_blocked": {key: moment.isoformat() for key, moment in sorted(standing.first_blocked.items())},
        "read_to": {name: [moment.isoformat(), dict(sorted(keys.items()))] for name, (moment, keys) in marks},
    }


def load_day(folder: Path, day: str) -> dict[str, Any]:
    """Return a day of the history as kept, read from ``folder`` and checked field by field."""
    return _checked(folder / f"{day}.json", functools.partial(_check_day, day=day))


def _check_day(document: dict[str, Any], day: str) -> dict[str, Any]:
    if schema.field(document, "day") != day:
        raise schema.Invalid("day", f"expected {day}, found {json.dumps(document['day'], default=str)[:40]}")
    slices = {}
    for key, entry in schema.mapping(schema.field(document, "slices"), "slices").items():
        where = schema.at("slices", schema.text(key, "slices"))
        schema.moment(key, where)
        entry = schema.mapping(entry, where)
        checked: dict[str, Any] = {
            name: schema.counts(schema.field(entry, name, f"{where}."), f"{where}.{name}")
            for name in ("counts", "probes", "addresses")
        }
        for name in ("networks", "network_addresses"):  # not in a day version 4 kept
            checked[name] = schema.counts(entry[name], f"{where}.{name}") if name in entry else {}
        for name in ("top_sources", "top_users"):
            checked[name] = schema.top(schema.field(entry, name, f"{where}."), f"{where}.{name}")
        hosts = {}
        for host, both in schema.mapping(schema.field(entry, "hosts", f"{where}."), f"{where}.hosts").items():
            at = schema.at(f"{where}.hosts", schema.text(host, f"{where}.hosts"))
            both = schema.mapping(both, at)
            hosts[host] = {
                name: schema.counts(schema.field(both, name, f"{at}."), f"{at}.{name}") for name in ("counts", "probes")
            }
        checked["hosts"] = hosts
        slices[key] = checked
    compromises = []
    for number, record in enumerate(schema.listing(schema.field(document, "compromises"), "compromises")):
        where = f"compromises[{number}]"
        record = schema.mapping(record, where)
        schema.moment(schema.field(record, "time", f"{where}."), f"{where}.time")
        for name in ("address", "country", "user"):
            schema.text(schema.field(record, name, f"{where}."), f"{where}.{name}")
        schema.count(schema.field(record, "failures", f"{where}."), f"{where}.failures")
        compromises.append({name: record[name] for name in ("time", "address", "country", "user", "failures")})
    names = schema.mapping(document.get("network_names", {}), "network_names")
    found: dict[str, Any] = {}
    if "defences" in document:  # a day of a build whose logs held bans
        found["defences"] = _day_defences(schema.mapping(document["defences"], "defences"))
    return {
        **found,
        "day": day,
        "slices": slices,
        "logins": schema.counts(schema.field(document, "logins"), "logins"),
        "compromises": compromises,
        "network_names": {
            schema.text(key, "network_names"): schema.text(name, schema.at("network_names", key))
            for key, name in names.items()
        },
    }


def _day_defences(value: dict[str, Any]) -> dict[str, Any]:
    """A day's defences: the blocks that began, the addresses blocked (address, country, seconds to the block or
    null), and per address and country the attempts that got through and that came after."""
    banned = []
    for number, record in enumerate(schema.listing(schema.field(value, "banned", "defences."), "defences.banned")):
        where = f"defences.banned[{number}]"
        address, country, seconds = schema.listing(record, where, 3)
        banned.append([schema.text(address, f"{where}[0]"), schema.text(country, f"{where}[1]"),
                       None if seconds is None else schema.seconds(seconds, f"{where}[2]")])  # fmt: skip
    checked: dict[str, Any] = {
        "blocks": schema.count(schema.field(value, "blocks", "defences."), "defences.blocks"),
        "banned": banned,
    }
    for kind in ("leaked", "came_back"):
        records = []
        for number, record in enumerate(schema.listing(schema.field(value, kind, "defences."), f"defences.{kind}")):
            where = f"defences.{kind}[{number}]"
            address, country, count = schema.listing(record, where, 3)
            records.append(
                [
                    schema.text(address, f"{where}[0]"),
                    schema.text(country, f"{where}[1]"),
                    schema.count(count, f"{where}[2]"),
                ]
            )
        checked[kind] = records
    return checked


def _refuse_link(path: Path) -> None:
    """A file of the history that is a symbolic link could lead anywhere: it is refused, as the writes refuse it."""
    if path.is_symlink():
        raise InputError(f"{path}: a symbolic link; a site's history is read only from its own files")


def _load(path: Path) -> dict[str, Any]:
    _refuse_link(path)
    try:
        return schema.load(path)
    except (OSError, ValueError, RecursionError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0]
        raise InputError(f"{path}: cannot read the site's history: {reason}") from None


def day_texts(history: History, day: str) -> tuple[str, str, dict[str, Any]]:
    """Return a day as kept (JSON), as the viewer reads it (JSON: its slices in order, empty ones included, each
    with its start and attempts, and the day's totals), and the totals the index keeps of it. Each slice's fields
    are encoded once for both (the two texts are what ``dump_json`` writes of each document)."""
    kept = history.days[day]
    encoded = {
        start: {key: dump_json(value) for key, value in entry.items()} for start, entry in kept["slices"].items()
    }
    order = sorted(kept["slices"], key=lambda start: datetime.fromisoformat(start).astimezone(UTC))
    totals: Counter[str] = Counter()
    probes: Counter[str] = Counter()
    networks: Counter[str] = Counter()
    hosts: dict[str, dict[str, int]] = {}
    attempts = {}
    for start in order:
        one = kept["slices"][start]
        attempts[start] = sum(one["counts"].values())
        totals.update(one["counts"])
        probes.update(one["probes"])
        networks.update(one.get("networks", {}))
        for name, counts in one["hosts"].items():
            found = hosts.setdefault(name, {"attempts": 0, "probes": 0})
            found["attempts"] += sum(counts["counts"].values())
            found["probes"] += sum(counts["probes"].values())
    shown_slices = (
        "["
        + ",".join(
            _object({**encoded[start], "start": dump_json(start), "attempts": str(attempts[start])}) for start in order
        )
        + "]"
    )
    indexed = {
        "attempts": sum(totals.values()),
        "totals": dict(sorted(totals.items())),
        "probes": dict(sorted(probes.items())),
        "hosts": dict(sorted(hosts.items())),
    }
    shown = {
        "version": HISTORY_VERSION,
        "day": day,
        "slice_seconds": history.slice_seconds,
        "timezone": history.timezone,
        **indexed,
        "logins": dict(sorted(kept["logins"].items())),
        "compromises": kept["compromises"],
        "network_totals": dict(sorted(networks.items())),
        "network_names": dict(sorted(kept.get("network_names", {}).items())),
        **({"defences": kept["defences"]} if "defences" in kept else {}),
    }
    kept_text = _object(
        {key: dump_json(value) for key, value in kept.items() if key != "slices"}
        | {"slices": _object({start: _object(fields) for start, fields in encoded.items()})}
    )
    shown_text = _object({key: dump_json(value) for key, value in shown.items()} | {"slices": shown_slices})
    return kept_text, shown_text, indexed


def _object(fields: dict[str, str]) -> str:
    """Return a JSON object of encoded values as ``dump_json`` writes it: keys in order, no spaces."""
    return "{" + ",".join(f"{dump_json(key)}:{fields[key]}" for key in sorted(fields)) + "}"


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
            key: [[one.first.isoformat(), one.last.isoformat(), list(one.at_last)] for one in found]
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
        kept_text, shown_text, indexed = day_texts(history, day)
        kept = (kept_text + "\n").encode("utf-8")
        shown = script("HONEYCAST_DAY", shown_text).encode("utf-8")
        (folder / f"{day}.json").write_bytes(kept)
        (folder / f"{day}.js").write_bytes(shown)
        entries[day] = {
            "day": day,
            **indexed,
            "sha256": {"json": hashlib.sha256(kept).hexdigest(), "js": hashlib.sha256(shown).hexdigest()},
        }
    for day, entry in history.kept.items():
        assert history.source is not None
        for suffix in ("json", "js"):
            _carry(history.source / f"{day}.{suffix}", folder / f"{day}.{suffix}")
        entries[day] = entry
    with (folder / ATTACKERS).open("w", encoding="utf-8") as written:  # millions of entries: never one string
        pieces = history.attacker_entries()
        written.write("{" + ",".join(islice(pieces, 10_000)))
        while part := ",".join(islice(pieces, 10_000)):
            written.write("," + part)
        written.write("}\n")
    (folder / OPEN).write_text(dump_json(open_records(history.open)) + "\n", encoding="utf-8")
    kept_tails = {key: tails.record(one) for key, one in history.tail.items()}
    (folder / TAIL).write_text(dump_json(kept_tails) + "\n", encoding="utf-8")
    if history.defences.blocks or history.defences.first_blocked or history.defences.read_to:
        (folder / DEFENCES).write_text(dump_json(standing_document(history.defences)) + "\n", encoding="utf-8")
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

"""A site's history: nightly builds over rotating logs of two hosts add up to one build over all the logs."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import random
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import distributed
import orjson
import pytest
from files import DEMO, DEMO_FAIL2BAN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import mutated
from playwright.sync_api import expect
from typer.testing import CliRunner

from examples import examples
from honeycast import parts, site
from honeycast.archive import HISTORY_VERSION
from honeycast.build import BuildOptions, build
from honeycast.cli import app
from honeycast.errors import InputError, NothingNew
from honeycast.scan import ReadOptions
from honeycast.site import dump_json
from honeycast.tally import digest

HOSTS = ("web-1", "db-1")
DAYS = 30
START = datetime(2026, 10, 1, tzinfo=UTC)
ROTATE = timedelta(hours=6, minutes=25)
"""logrotate's daily run: auth.log becomes auth.log.1."""
NIGHTLY = timedelta(minutes=15)
"""The nightly build reads auth.log.1 and the live auth.log just after midnight."""


def _month(host: str, seed: int) -> list[tuple[datetime, str]]:
    """Return a month of one host's sshd lines: attacks in bursts (several lines in one second), probes, the
    owner's key logins, and a compromise (a login after a day of guessing)."""
    rng = random.Random(seed)
    lines = []
    pid = 1000
    attackers = [f"203.0.113.{n}" for n in range(1, 40)] + [f"198.51.100.{n}" for n in range(1, 40)]
    attackers += ["61.177.172.60", "218.92.0.31", "45.135.232.18", "185.220.101.4", "2001:db8::7"]
    moment = START
    end = START + timedelta(days=DAYS, hours=1)
    while moment < end:
        moment += timedelta(seconds=rng.randint(20, 900))
        pid += 1
        address = rng.choice(attackers)
        port = rng.randint(1024, 65535)
        shape = rng.random()
        if shape < 0.15:  # a probe
            lines.append((moment, f"sshd[{pid}]: Connection closed by {address} port {port} [preauth]"))
            continue
        if shape < 0.2:  # the owner, by key
            lines.append(
                (
                    moment,
                    f"sshd[{pid}]: Accepted publickey for admin from 192.0.2.10 port {port} ssh2: ED25519 SHA256:x",
                )
            )
            continue
        user = rng.choice(["root", "admin", "oracle", "test", "ubuntu"])
        at = moment
        for _ in range(rng.randint(1, 6)):  # a burst: often several lines in the same second
            lines.append((at, f"sshd[{pid}]: Failed password for {user} from {address} port {port} ssh2"))
            at += timedelta(seconds=rng.choice([0, 0, 1]))
        lines.append((at, f"sshd[{pid}]: Disconnected from authenticating user {user} {address} port {port} [preauth]"))
        moment = at
    guessed = START + timedelta(days=12, hours=3, seconds=seed)
    lines.append((guessed, f"sshd[{pid + 1}]: Accepted password for oracle from 45.135.232.18 port 4242 ssh2"))
    lines.sort(key=lambda line: line[0])
    return [(at, f"{at:%Y-%m-%dT%H:%M:%S}+00:00 {host} {text}") for at, text in lines]


def _write(path: Path, lines: list[tuple[datetime, str]]) -> str:
    path.write_text("".join(text + "\n" for _, text in lines))
    return str(path)


def _window(lines: list[tuple[datetime, str]], first: datetime, last: datetime) -> list[tuple[datetime, str]]:
    return [line for line in lines if first <= line[0] < last]


def _build(logs: list[str], out: Path, append: bool, dask: str | None = None) -> None:
    read = ReadOptions(logs=logs, year=None, tz=UTC, dask=dask)
    # The smallest maps: what is tested here is the history, not the drawing.
    build(BuildOptions(read=read, out=out, slice_seconds=3600, size=(320, 180), frames=False, append=append, fps=12))


COMPARED = (
    "start", "attempts", "counts", "probes", "hosts", "addresses", "top_sources", "networks", "network_addresses",
)  # fmt: skip
"""What of each slice of a day the nightly tests compare with one build's."""


def _days(out: Path) -> dict[str, Any]:
    """Return each day of the site's history as the viewer reads it, without the top user names (a build masks the
    names it knows to be accounts: a night before an attacker's guess worked shows the name it guessed)."""
    folder = out / "data" / "history"
    index = json.loads((folder / "index.json").read_text())
    days = {}
    for entry in index["days"]:
        day = json.loads((folder / f"{entry['day']}.js").read_text().split(" = ", 1)[1].rstrip(";\n"))
        day["slices"] = [{key: one[key] for key in COMPARED} for one in day["slices"]]
        days[entry["day"]] = day
    return days


Logs = tuple[Path, dict[str, list[tuple[datetime, str]]]]


def _nights(folder: Path, logs: dict[str, list[tuple[datetime, str]]], out: Path, dask: str | None = None) -> None:
    """Build ``out`` night after night with --append, each night from the rotated and the live log of each host,
    then once more from the whole logs (the nights after the month)."""
    for night in range(1, DAYS + 1):
        now = START + timedelta(days=night) + NIGHTLY
        rotated = START + timedelta(days=night - 1) + ROTATE
        inputs = []
        for host, lines in logs.items():
            place = folder / f"night-{night:02}" / host
            place.mkdir(parents=True, exist_ok=True)
            # auth.log.1: the day before the last rotation (read whole again: it overlaps last night's auth.log)
            inputs.append(_write(place / "auth.log.1", _window(lines, rotated - timedelta(days=1), rotated)))
            inputs.append(_write(place / "auth.log", _window(lines, rotated, now)))  # live, cut mid-second
        if dask is not None:  # on a cluster, one input by URL (fsspec) and compressed
            inputs[0] = _gzipped(Path(inputs[0])).as_uri()
        _build(inputs, out, append=True, dask=dask)
    _build([str(folder.parent / f"{host}-all.log") for host in logs], out, append=True, dask=dask)


def _gzipped(path: Path) -> Path:
    packed = path.with_name(path.name + ".gz")
    packed.write_bytes(gzip.compress(path.read_bytes()))
    return packed


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Logs:
    """Return a folder holding each host's whole month, and the month's lines per host."""
    folder = tmp_path_factory.mktemp("month")
    found = {host: _month(host, seed) for seed, host in enumerate(HOSTS)}
    for host, lines in found.items():
        _write(folder / f"{host}-all.log", lines)
    return folder, found


@pytest.fixture(scope="session")
def month(logs: Logs) -> tuple[Path, Path]:
    """Return the site of one build over both hosts' whole logs, and the site of thirty nightly --append builds."""
    folder, found = logs
    whole = folder / "whole"
    _build([str(folder / f"{host}-all.log") for host in found], whole, append=False)
    nightly = folder / "nightly"
    _nights(folder / "nights", found, nightly)
    return whole, nightly


def test_nightly_appends_give_the_totals_of_one_build(month: tuple[Path, Path]) -> None:
    whole, nightly = month
    expected, found = _days(whole), _days(nightly)
    assert sorted(found) == sorted(expected)
    assert len(found) >= DAYS
    for day in expected:
        assert found[day] == expected[day], day
    assert sum(one["attempts"] for one in found.values()) > 5000


def test_history_tells_the_hosts_apart(month: tuple[Path, Path]) -> None:
    _, nightly = month
    index = json.loads((nightly / "data" / "history" / "index.json").read_text())
    assert len(index["hosts"]) == 2
    assert all(name.startswith("host-") for name in index["hosts"].values())  # no --show-hosts: no names
    for entry in index["days"][1:-2]:
        assert len(entry["hosts"]) == 2
        assert sum(one["attempts"] for one in entry["hosts"].values()) == entry["attempts"]
    for key, spans in index["covered"].items():
        assert len(spans) == 1, key  # thirty nights of overlapping reads: one span per host


def test_nightly_appends_on_a_dask_cluster_give_the_same_totals(logs: Logs, month: tuple[Path, Path]) -> None:
    """The same nights counted on a real Dask cluster of two worker processes, one input a gzip read by URL."""
    folder, found = logs
    whole, _ = month
    on_cluster = folder / "dask"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        _nights(folder / "dask-nights", found, on_cluster, dask=cluster.scheduler_address)
    assert _days(on_cluster) == _days(whole)


def test_the_same_log_again_adds_nothing(month: tuple[Path, Path]) -> None:
    _, nightly = month
    before = {path: path.read_bytes() for path in (nightly / "data" / "history").iterdir()}
    again = [str(next((nightly.parent / "nights" / "night-05").glob("*/auth.log")))]
    with pytest.raises(NothingNew, match="nothing new"):
        _build(again, nightly, append=True)
    assert {path: path.read_bytes() for path in (nightly / "data" / "history").iterdir()} == before


def test_the_viewer_plays_every_day_of_the_month(month: tuple[Path, Path], browser: Any) -> None:
    """Each day of the nightly site opened by its link in Chromium: its slices, its attempts, played."""
    _, nightly = month
    days = _days(nightly)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    base = nightly.resolve().as_uri() + "/index.html"
    for day, document in days.items():
        page.goto(f"{base}#day={day}")
        expect(page.locator("#range")).to_contain_text(f" · {document['attempts']:,} attempts from ")
        assert page.get_attribute("#slider", "max") == str(len(document["slices"]) - 1)
        busiest = max(range(len(document["slices"])), key=lambda i: document["slices"][i]["attempts"])
        page.fill("#slider", str(busiest))
        expect(page.locator("#slice-attempts")).to_have_text(f"{document['slices'][busiest]['attempts']:,}")
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-label", "Pause")
    page.click("#play")
    assert errors == []
    page.close()


def _two_days(folder: Path) -> tuple[str, str]:
    """Return two logs of one host, a day apart."""
    first, second = folder / "first.log", folder / "second.log"
    line = "{}T06:0{}:00+00:00 web-1 sshd[{}]: Failed password for root from 61.177.172.{} port 4{} ssh2\n"
    first.write_text("".join(line.format("2026-10-01", n, n, n, n) for n in range(5)))
    second.write_text("".join(line.format("2026-10-02", n, 10 + n, 20 + n, n) for n in range(5)))
    return str(first), str(second)


def test_a_night_carries_the_days_it_adds_nothing_to_over_as_they_were(tmp_path: Path) -> None:
    first, second = _two_days(tmp_path)
    out = tmp_path / "site"
    _build([first], out, append=False)
    folder = out / "data" / "history"
    before = {path.name: (path.stat().st_ino, path.read_bytes()) for path in folder.glob("2026-10-01.*")}
    _build([second], out, append=True)
    after = {path.name: (path.stat().st_ino, path.read_bytes()) for path in folder.glob("2026-10-01.*")}
    assert after == before  # the very files (linked, never written again)
    index = json.loads((folder / "index.json").read_text())
    assert [entry["day"] for entry in index["days"]] == ["2026-10-01", "2026-10-02"]
    for entry in index["days"]:
        for suffix, expected in entry["sha256"].items():
            assert hashlib.sha256((folder / f"{entry['day']}.{suffix}").read_bytes()).hexdigest() == expected


def test_a_damaged_day_is_one_error_and_the_site_stays(tmp_path: Path) -> None:
    first, second = _two_days(tmp_path)
    out = tmp_path / "site"
    _build([first], out, append=False)
    day = out / "data" / "history" / "2026-10-01.js"
    day.write_text(day.read_text().replace("HONEYCAST_DAY", "HONEYCAST_DAY;alert(1)//", 1))
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    with pytest.raises(InputError, match=f"{day}: damaged"):
        _build([second], out, append=True)
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def test_a_history_written_before_days_had_digests_is_read_whole_and_gains_them(tmp_path: Path) -> None:
    first, second = _two_days(tmp_path)
    out = tmp_path / "site"
    _build([first], out, append=False)
    index_path = out / "data" / "history" / "index.json"
    index = json.loads(index_path.read_text())
    for entry in index["days"]:
        del entry["sha256"]
    index_path.write_text(json.dumps(index))
    _build([second], out, append=True)
    whole = tmp_path / "whole"
    _build([first, second], whole, append=False)
    assert _days(out) == _days(whole)
    assert all("sha256" in entry for entry in json.loads(index_path.read_text())["days"])


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Return a change that sets the field at ``path`` (keys and list indices split by ``/``) to ``value``."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        found: Any = document
        for key in parents:
            found = found[int(key)] if isinstance(found, list) else found[key]
        found[int(last) if isinstance(found, list) else last] = value

    return change


def _first_slice(document: dict[str, Any]) -> dict[str, Any]:
    return next(one for one in document["slices"].values() if one["counts"])


def _left_open(drop: str | None = None, **changed: Any) -> str:
    """Return an open.json of one connection left open, with some of its fields changed (or one left out)."""
    one = {
        "pid": 5, "program": "sshd", "source": "0123456789abcdef", "port": 22, "tried": True, "closed": False,
        "session": False, "session_key": False, "last": "2026-10-01T06:00:00+00:00", "settled": 0, **changed,
    }  # fmt: skip
    if drop is not None:
        del one[drop]
    return json.dumps({"k": [one]})


def _tail(drop: str | None = None, key: str = "2026-10-01T06:00:00+00:00", **changed: Any) -> str:
    """Return a tail.json of one slice, with some of its maps changed (or one left out)."""
    one = {"addresses": {"0123456789abcdef": "CN"}, "sources": {"0123456789abcdef": 3}, "users": {}, **changed}
    if drop is not None:
        del one[drop]
    return json.dumps({key: one})


def _standing(**changed: Any) -> str:
    """Return a defences.json of one open ban, with some of its parts changed."""
    one = {
        "blocks": [["61.177.172.19/32", "fail2ban", "sshd", "2026-10-01T06:00:00+00:00", None, False]],
        "first_blocked": {"0123456789abcdef": "2026-10-01T06:00:00+00:00"},
        "read_to": {"fail2ban web": ["2026-10-01T06:00:00+00:00", {"0123456789abcdef": 1}]},
        **changed,
    }
    return json.dumps(one)


def _day_defences(**changed: Any) -> dict[str, Any]:
    return {"blocks": 1, "banned": [["61.177.172.19", "CN", 12.5]], "leaked": [], "came_back": [], **changed}


def _raw(text: str) -> Callable[[Any], str]:
    """Return a change that replaces the whole file with ``text``."""
    return lambda _: text


# (file, what is done to it, the field the error names). A change of a day's file keeps the index's digests true,
# as someone editing a published site on purpose would.
TAMPERED: list[tuple[str, Callable[[Any], Any], str]] = [
    ("index.json", _set("slice_seconds", 0), "slice_seconds: expected a number above 0"),
    ("index.json", _set("slice_seconds", -3600), "slice_seconds: expected a count"),
    (
        "index.json",
        _set("days/0/attempts", "5"),
        'days[0].attempts: expected a count (a whole number from 0 to 2^53 - 1), found "5"',
    ),
    ("index.json", _set("days/0/attempts", None), "days[0].attempts: expected a count"),
    ("index.json", _set("days/0/attempts", -1), "days[0].attempts: expected a count"),
    ("index.json", _set("days/0/attempts", True), "days[0].attempts: expected a count"),
    ("index.json", _set("days/0/totals/CN", 1.5), "days[0].totals.CN: expected a count"),
    ("index.json", _set("days/0/totals/CN", 10**30), "days[0].totals.CN: expected a count"),
    (
        "index.json",
        _raw('{"version": 1, "slice_seconds": 1e400}'),
        "slice_seconds: expected a count (a whole number from 0 to 2^53 - 1), found 1E+400",
    ),
    ("index.json", _raw('{"version": 1, "slice_seconds": Infinity}'), "cannot read the site's history: Infinity"),
    ("index.json", _set("days/0/day", "../../x"), 'days[0].day: expected a day (YYYY-MM-DD), found "../../x"'),
    ("index.json", _set("covered", {"k": [["2026-10-01T06:00:00+00:00", "x", 1]]}), "covered.k[0][1]: expected a time"),
    ("index.json", _raw('{"version": 1, "slice'), "cannot read the site's history"),
    ("index.json", _raw("[1, 2]"), "(the document): expected an object"),
    (
        "2026-10-01.json",
        lambda day: _first_slice(day).update(top_sources=[["61.177.172.1", 1, 2]]),
        ".top_sources[0]: expected a list of 2 items",
    ),
    (
        "2026-10-01.json",
        lambda day: day["slices"].update({"../../x": day["slices"].popitem()[1]}),
        'slices."../../x": expected a time',
    ),
    ("2026-10-01.json", lambda day: _first_slice(day)["counts"].update(CN=1e30), ".counts.CN: expected a count"),
    ("2026-10-01.json", _set("compromises", [{"time": "yesterday"}]), "compromises[0].time: expected a time"),
    (
        "attackers.json",
        lambda attackers: attackers.update(x=["2026-10-01T06:00:00+00:00", 3, None]),
        "x: expected a list of 4 items",
    ),
    ("attackers.json", lambda attackers: attackers.update(x=[None, -3, None, []]), "x[1]: expected a count"),
    ("defences.json", _raw(_standing()[:-9]), "cannot read the site's history"),
    (
        "defences.json",
        _raw(_standing(blocks=[["61.177.172.19/33", "fail2ban", "sshd", "2026-10-01T06:00:00+00:00", None, False]])),
        'blocks[0][0]: expected a network, found "61.177.172.19/33"',
    ),
    (
        "defences.json",
        _raw(_standing(blocks=[["61.177.172.19/32", "rm -rf", "sshd", "2026-10-01T06:00:00+00:00", None, False]])),
        'blocks[0][1]: expected fail2ban or sshguard, found "rm -rf"',
    ),
    (
        "defences.json",
        _raw(_standing(blocks=[["1.2.3.4/32", "sshguard", "x", "2026-10-01T06:00:00+00:00", "2026-09-01T06:00Z", 0]])),
        "blocks[0]: ends (2026-09-01T06:00Z) before it begins",
    ),
    (
        "defences.json",
        _raw(_standing(blocks=[["1.2.3.4/32", "sshguard", "x", "2026-10-01T06:00:00+00:00", None, 1]])),
        "blocks[0][5]: expected true or false, found 1",
    ),
    (
        "defences.json",
        _raw(_standing(first_blocked={"61.177.172.19": "2026-10-01T06:00:00+00:00"})),
        'first_blocked: expected an address digest (16 hex digits), found "61.177.172.19"',
    ),
    ("defences.json", _raw(_standing(read_to={"../x": []})), "read_to: expected fail2ban or sshguard and a host"),
    (
        "defences.json",
        _raw(_standing(read_to={"fail2ban web": ["2026-10-01T06:00:00+00:00", {"<b>x</b>": 1}]})),
        '"fail2ban web"[1]: expected an event\'s key (16 hex digits)',
    ),
    ("2026-10-01.json", _set("defences", _day_defences(blocks=-1)), "defences.blocks: expected a count"),
    (
        "2026-10-01.json",
        _set("defences", _day_defences(banned=[["61.177.172.19", "CN", "soon"]])),
        'defences.banned[0][2]: expected seconds (a number from 0 to 2^53 - 1), found "soon"',
    ),
    (
        "2026-10-01.json",
        _set("defences", _day_defences(leaked=[["61.177.172.19", "CN"]])),
        "defences.leaked[0]: expected a list of 3 items",
    ),
    (
        "attackers.json",
        lambda attackers: attackers.update(x=[None, 3, None, [["now", "root", 0]]]),
        "x[3][0][0]: expected a time",
    ),
    ("open.json", _raw(json.dumps({"k": {}})), "k: expected a list"),
    ("open.json", _raw(_left_open(pid=-1)), "k[0].pid: expected a process id (0 to 10^18 - 1), found -1"),
    ("open.json", _raw(_left_open(pid=10**18)), "k[0].pid: expected a process id"),
    ("open.json", _raw(_left_open(program="../x")), 'k[0].program: expected a program name, found "../x"'),
    ("open.json", _raw(_left_open(source="61.177.172.19")), "k[0].source: expected an address's digest"),
    (
        "open.json",
        _raw(_left_open(port=10**9)),
        "k[0].port: expected a port (0 to 999,999,999) or null, found 1000000000",
    ),
    ("open.json", _raw(_left_open(tried="yes")), 'k[0].tried: expected true or false, found "yes"'),
    ("open.json", _raw(_left_open(last="yesterday")), "k[0].last: expected a time"),
    ("open.json", _raw(_left_open(settled=1e30)), "k[0].settled: expected a count"),
    ("open.json", _raw(_left_open(settled=None, drop="settled")), "k[0].settled: missing"),
    ("tail.json", _raw(_tail(key="../../x")), '"../../x": expected a time'),
    ("tail.json", _raw(_tail(drop="users")), ".users: missing"),
    ("tail.json", _raw(_tail(addresses={"61.177.172.19": "CN"})), ".addresses: expected digests"),
    ("tail.json", _raw(_tail(addresses={"0123456789abcdef": 7})), ".addresses.0123456789abcdef: expected a string"),
    ("tail.json", _raw(_tail(sources={"0123456789abcdef": -1})), ".sources.0123456789abcdef: expected a count"),
    ("tail.json", _raw(_tail(users=[])), ".users: expected an object"),
]


@pytest.fixture(scope="module")
def first_night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Return a site of one night and a log of later that day (the build adds to the day's file, so reads it)."""
    folder = tmp_path_factory.mktemp("night")
    first, _ = _two_days(folder)
    _build([first], folder / "site", append=False)
    later = folder / "later.log"
    later.write_text(Path(first).read_text().replace("T06:", "T07:"))
    return folder / "site", str(later)


@pytest.mark.parametrize(("name", "change", "field"), TAMPERED, ids=[case[2].split(":")[0] for case in TAMPERED])
def test_a_tampered_history_is_one_line_naming_file_and_field(
    first_night: tuple[Path, str], tmp_path: Path, name: str, change: Callable[[Any], Any], field: str
) -> None:
    site = tmp_path / "site"
    shutil.copytree(first_night[0], site)
    path = site / "data" / "history" / name
    document = json.loads(path.read_text()) if path.exists() else {}
    replaced = change(document)  # a whole new text, or None where the document was changed in place
    text = replaced if isinstance(replaced, str) else json.dumps(document)
    path.write_text(text)
    if name.startswith("2026-"):  # a deliberate edit: the index's digest is made to match
        index_path = site / "data" / "history" / "index.json"
        index = json.loads(index_path.read_text())
        index["days"][0]["sha256"]["json"] = hashlib.sha256(path.read_bytes()).hexdigest()
        index_path.write_text(json.dumps(index))
    before = {one: one.read_bytes() for one in site.rglob("*") if one.is_file()}
    result = CliRunner().invoke(
        app, ["build", first_night[1], str(site), "--append", "--tz", "UTC", "--no-frames", "--size", "320x180"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"honeycast: error: {path}: "), result.stderr
    assert field in result.stderr, result.stderr
    assert {one: one.read_bytes() for one in site.rglob("*") if one.is_file()} == before


def test_a_history_file_that_is_a_link_out_of_the_site_is_refused(
    first_night: tuple[Path, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(first_night[0], site)
    day = site / "data" / "history" / "2026-10-01.json"
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(day.read_bytes())
    day.unlink()
    day.symlink_to(outside)
    result = CliRunner().invoke(
        app, ["build", first_night[1], str(site), "--append", "--tz", "UTC", "--no-frames", "--size", "320x180"]
    )
    assert result.exit_code == 2, result.output
    assert (
        result.stderr == f"honeycast: error: {day}: a symbolic link; a site's history is read only from its own files\n"
    )


def test_append_with_slice_auto_keeps_the_history_s_longer_slices(
    first_night: tuple[Path, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(first_night[0], site)
    result = CliRunner().invoke(
        app, ["build", first_night[1], str(site), "--append", "--tz", "UTC", "--no-frames", "--size", "320x180"]
    )
    assert result.exit_code == 0, result.output  # auto would pick ten minutes for the hour of new lines
    assert json.loads((site / "data" / "slices.json").read_text())["slice_seconds"] == 3600


def _attempts(out: Path) -> dict[str, int]:
    """Return the attempts per country of every day a site's history keeps."""
    index = json.loads((out / "data" / "history" / "index.json").read_text())
    total: Counter[str] = Counter()
    for entry in index["days"]:
        total.update(entry["totals"])
    return dict(total)


def _read(logs: list[str], out: Path, append: bool, reader: str) -> None:
    read = ReadOptions(logs=logs, year=2026, tz=UTC, reader=reader)
    build(BuildOptions(read=read, out=out, slice_seconds=3600, size=(320, 180), frames=False, append=append, fps=12))


BOUNDARY = """\
Dec  6 14:19:16 web sshd[4242]: Invalid user admin from 61.177.172.19 port 50122
Dec  6 14:19:16 web sshd[4242]: input_userauth_request: invalid user admin [preauth]
Dec  6 14:19:16 web sshd[4242]: pam_unix(sshd:auth): check pass; user unknown
Dec  6 14:19:16 web sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=61.177.172.19
Dec  6 14:19:18 web sshd[4242]: Failed password for invalid user admin from 61.177.172.19 port 50122 ssh2
Dec  6 14:19:20 web sshd[4242]: Failed password for invalid user admin from 61.177.172.19 port 50122 ssh2
Dec  6 14:19:21 web sshd[4242]: Connection closed by invalid user admin 61.177.172.19 port 50122 [preauth]
""".splitlines(keepends=True)


@pytest.mark.parametrize("reader", ["native", "python"])
def test_append_counts_a_second_cut_between_two_logs_as_one_build_does(tmp_path: Path, reader: str) -> None:
    # logrotate cut the log within a second: auth.log.1 ends with three lines of 14:19:16, auth.log begins with a
    # fourth. The night after, both are read again: the fourth line was never counted, so it counts now.
    rotated, live = tmp_path / "auth.log.1", tmp_path / "auth.log"
    rotated.write_text("".join(BOUNDARY[:3]))
    live.write_text("".join(BOUNDARY[3:]))
    whole = tmp_path / "whole.log"
    whole.write_text("".join(BOUNDARY))
    _read([str(whole)], tmp_path / "one", append=False, reader=reader)
    nightly = tmp_path / "nightly"
    _read([str(rotated)], nightly, append=False, reader=reader)
    _read([str(rotated), str(live)], nightly, append=True, reader=reader)
    assert _attempts(tmp_path / "one") == {"CN": 2}
    assert _attempts(nightly) == {"CN": 2}


@pytest.mark.parametrize("reader", ["native", "python"])
def test_two_logs_of_one_host_in_one_second_count_each_line_once(tmp_path: Path, reader: str) -> None:
    # m1.log ends with a failure at 08:26:22; m2.log (the same host) has another address's failure in that second.
    m1, m2 = tmp_path / "m1.log", tmp_path / "m2.log"
    m1.write_text(
        "Dec  6 08:26:20 web sshd[10]: Failed password for root from 61.177.172.19 port 1 ssh2\n"
        "Dec  6 08:26:22 web sshd[10]: Failed password for root from 61.177.172.19 port 1 ssh2\n"
    )
    m2.write_text("Dec  6 08:26:22 web sshd[20]: Failed password for root from 45.135.232.18 port 2 ssh2\n")
    _read([str(m1), str(m2)], tmp_path / "one", append=False, reader=reader)
    _read([str(m1)], tmp_path / "nightly", append=False, reader=reader)
    _read([str(m1), str(m2)], tmp_path / "nightly", append=True, reader=reader)
    assert _attempts(tmp_path / "one") == {"CN": 2, "DE": 1}
    assert _attempts(tmp_path / "nightly") == _attempts(tmp_path / "one")


def test_a_version_1_history_knows_the_lines_of_its_last_instant_by_number(
    first_night: tuple[Path, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(first_night[0], site)
    index_path = site / "data" / "history" / "index.json"
    index = json.loads(index_path.read_text())
    index["version"] = 1
    for spans in index["covered"].values():
        for span in spans:
            span[2] = len(span[2])
    index_path.write_text(json.dumps(index))
    with pytest.raises(NothingNew):  # every line of the first night, the last instant's included, was counted
        _build([str(first_night[0].parent / "first.log")], site, append=True)
    _build([first_night[1]], site, append=True)
    index = json.loads(index_path.read_text())
    assert index["version"] == HISTORY_VERSION
    assert all(isinstance(span[2], list) for spans in index["covered"].values() for span in spans)


MIDNIGHT = """\
Dec  6 23:50:01 web sshd[900]: Accepted publickey for admin from 198.51.100.23 port 50000 ssh2: ED25519 SHA256:k
Dec  6 23:58:01 web sshd[901]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=61.177.172.19  user=root
Dec  6 23:59:58 web sshd[902]: Connection closed by 45.135.232.18 port 41000 [preauth]
Dec  7 00:00:03 web sshd[901]: Failed password for root from 61.177.172.19 port 50122 ssh2
Dec  7 00:00:04 web sshd[901]: Received disconnect from 61.177.172.19 port 50122:11: Bye Bye [preauth]
Dec  7 00:05:01 web sshd[900]: Received disconnect from 198.51.100.23 port 50000:11: disconnected by user
Dec  7 00:05:01 web sshd[900]: Disconnected from user admin 198.51.100.23 port 50000
""".splitlines(keepends=True)


def _counts(out: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Return the attempts and the probes per country of every day a site's history keeps."""
    index = json.loads((out / "data" / "history" / "index.json").read_text())
    attempts: Counter[str] = Counter()
    probes: Counter[str] = Counter()
    for entry in index["days"]:
        attempts.update(entry["totals"])
        probes.update(entry["probes"])
    return dict(attempts), dict(probes)


@pytest.mark.parametrize("reader", ["native", "python"])
def test_the_next_night_goes_on_the_connections_the_last_one_left_open(tmp_path: Path, reader: str) -> None:
    # Midnight between two nightly builds: a PAM failure before it and its Failed line after (one attempt), and
    # the owner's session, its login before and its logout after (no probe, no attempt).
    night1, night2, whole = tmp_path / "auth.log.1", tmp_path / "auth.log", tmp_path / "whole.log"
    night1.write_text("".join(MIDNIGHT[:3]))
    night2.write_text("".join(MIDNIGHT[3:]))
    whole.write_text("".join(MIDNIGHT))
    _read([str(whole)], tmp_path / "one", append=False, reader=reader)
    _read([str(night1)], tmp_path / "nightly", append=False, reader=reader)
    left = json.loads((tmp_path / "nightly" / "data" / "history" / "open.json").read_text())
    (connections,) = left.values()
    assert {(one["pid"], one["closed"], one["session"], one["settled"]) for one in connections} == {
        (900, False, True, 0),  # the owner's session
        (901, False, False, 1),  # its PAM failure counted, for the Failed line to echo
        (902, True, False, 0),  # a probe, counted: closed, it takes no attempt any more
    }
    owner = next(one for one in connections if one["pid"] == 900)
    assert owner["source"] is None  # the owner's address is not kept, not even by digest
    _read([str(night2)], tmp_path / "nightly", append=True, reader=reader)
    assert _counts(tmp_path / "one") == ({"CN": 1}, {"DE": 1})
    assert _counts(tmp_path / "nightly") == _counts(tmp_path / "one")
    # A night that reads the last one's log again (the rotated one beside the live one): the lines counted make
    # the connections anew, and none counts twice.
    _read([str(night1)], tmp_path / "again", append=False, reader=reader)
    _read([str(night1), str(night2)], tmp_path / "again", append=True, reader=reader)
    assert _counts(tmp_path / "again") == _counts(tmp_path / "one")


def test_a_history_keeps_at_most_as_many_open_connections_as_it_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Logins whose end was never logged (a reboot) go on night after night: the newest are kept, so --append
    # never refuses a history it wrote itself.
    monkeypatch.setattr(parts, "MAX_OPEN", 2)
    log = tmp_path / "auth.log"
    log.write_text(
        "".join(
            f"Dec  6 23:5{n}:01 web sshd[90{n}]: Accepted publickey for admin from 198.51.100.{n} port 5000{n} ssh2\n"
            for n in range(4)
        )
    )
    _read([str(log)], tmp_path / "site", append=False, reader="native")
    (left,) = json.loads((tmp_path / "site" / "data" / "history" / "open.json").read_text()).values()
    assert [one["pid"] for one in left] == [902, 903]
    later = tmp_path / "later.log"
    later.write_text("Dec  7 00:10:01 web sshd[904]: Failed password for root from 61.177.172.19 port 1 ssh2\n")
    _read([str(later)], tmp_path / "site", append=True, reader="native")  # read back: no refusal


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # any code point but a lone surrogate
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _TEXT
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or 1e-4 <= abs(x)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_dump_json_writes_what_json_dumps_writes(value: object) -> None:
    """The site's and history's JSON (written by orjson) is the text of ``json.dumps`` with its keys sorted and no
    spaces: the same bytes as before for every document, text of any script and control characters included."""
    assert dump_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("value", [{1: "a", 2: "b"}, [2**70], {"user": "\udc80"}, -(2**63) - 1])
def test_dump_json_writes_what_orjson_refuses_as_json_dumps_does(value: object) -> None:
    """A value orjson refuses (a key that is not text, an integer beyond 64 bits, a lone surrogate) is written
    by ``json.dumps``, not refused."""
    with pytest.raises(TypeError):
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    assert dump_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_every_document_of_a_build_and_its_next_night_is_written_by_orjson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No document a build writes (the site's, the history's, bans, oEmbed) falls back to ``json.dumps``, five to
    ten times slower: each holds only what orjson writes (text keys, not enum members)."""

    class Refused:
        @staticmethod
        def dumps(*args: object, **kwargs: object) -> str:
            raise AssertionError("a document orjson refused")

    monkeypatch.setattr(site, "json", Refused)
    later = tmp_path / "later.log"
    later.write_text("Nov 30 00:10:01 bastion sshd[904]: Failed password for root from 61.177.172.19 port 1 ssh2\n")
    out = tmp_path / "site"
    for logs, append in (([DEMO, DEMO_FAIL2BAN], False), ([later], True)):
        read = ReadOptions(logs=[str(log) for log in logs], year=2026, tz=UTC)
        options = BuildOptions(
            read=read, out=out, slice_seconds=3600, size=(320, 180), frames=False, append=append, fps=12,
            base_url="https://example.org/attacks/",
        )  # fmt: skip
        build(options)
    assert (out / "oembed.json").is_file() and (out / "data" / "history" / "defences.json").is_file()


def test_attackers_are_written_as_one_document_of_every_nights_attacks(tmp_path: Path) -> None:
    """attackers.json, written entry by entry, is the document ``dump_json`` would write: every address of the
    night before that this night did not see kept as it was, every address this night saw with its attacks of
    both nights, sorted by digest."""
    first, second = _two_days(tmp_path)
    with open(second, "a") as more:  # an address of the first night tries again
        more.write(
            "2026-10-02T07:00:00+00:00 web-1 sshd[99]: Failed password for admin from 61.177.172.0 port 5 ssh2\n"
        )
    out = tmp_path / "site"
    _build([first], out, append=False)
    before = json.loads((out / "data" / "history" / "attackers.json").read_text())
    _build([second], out, append=True)
    text = (out / "data" / "history" / "attackers.json").read_text()
    after = json.loads(text)
    assert text == dump_json(after) + "\n"
    again, new = digest("61.177.172.0"), digest("61.177.172.20")
    assert after.keys() == before.keys() | {digest(f"61.177.172.{n}") for n in range(20, 25)}
    assert {key: after[key] for key in before.keys() - {again}} == {key: before[key] for key in before.keys() - {again}}
    assert after[again][:3] == [before[again][0], 2, "2026-10-02T07:00:00+00:00"]
    assert len(after[again][3]) == 2 and after[new][:3] == ["2026-10-02T06:00:00+00:00", 1, "2026-10-02T06:00:00+00:00"]


def test_names_as_long_as_a_line_are_read_back_the_next_night(tmp_path: Path) -> None:
    """PAM writes the user name an attacker sends whole, and a reverse zone's owner chooses the host name PAM
    names a client by: a night whose top lists hold names thousands of characters long is read back by the next
    (a name is checked against the longest line read, not a shorter limit that would lock the history)."""
    user, name = "x" * 3000, "a" * 3000 + ".example.com"
    first, second = tmp_path / "1.log", tmp_path / "2.log"
    first.write_text(
        "2026-10-01T06:00:01+00:00 web-1 sshd[100]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
        f"euid=0 tty=ssh ruser= rhost={name}  user={user}\n"
        f"2026-10-01T06:00:05+00:00 web-1 sshd[100]: Connection closed by authenticating user root {name} port 4 "
        "[preauth]\n"
    )
    second.write_text(
        "2026-10-01T07:00:01+00:00 web-1 sshd[101]: Failed password for root from 61.177.172.1 port 4 ssh2\n"
    )
    _build([str(first)], tmp_path / "site", append=False)
    day = json.loads((tmp_path / "site" / "data" / "history" / "2026-10-01.json").read_text())
    assert [user, 1] in _first_slice(day)["top_users"] and [name, 1] in _first_slice(day)["top_sources"]
    _build([str(second)], tmp_path / "site", append=True)
    assert _days(tmp_path / "site")["2026-10-01"]["attempts"] == 2  # the first night's, and the second's


def test_a_connection_left_open_with_any_pid_and_port_a_line_can_give_is_read_back(tmp_path: Path) -> None:
    """A connection is kept with the pid and port its lines gave, as long as the readers read them (18 and nine
    digits; sshd writes less): the next night reads open.json back rather than refusing its own file."""
    first, second = tmp_path / "1.log", tmp_path / "2.log"
    first.write_text(
        "2026-10-01T06:00:01+00:00 web-1 sshd[123456789012345678]: Failed password for root from 61.177.172.1 port "
        "999999999 ssh2\n"
    )
    second.write_text(
        "2026-10-01T06:01:01+00:00 web-1 sshd[123456789012345678]: Connection closed by authenticating user root "
        "61.177.172.1 port 999999999 [preauth]\n"
    )
    _build([str(first)], tmp_path / "site", append=False)
    (left,) = json.loads((tmp_path / "site" / "data" / "history" / "open.json").read_text()).values()
    assert (left[0]["pid"], left[0]["port"]) == (123456789012345678, 999999999)
    _build([str(second)], tmp_path / "site", append=True)  # took it up: its close is the same connection's
    (left,) = json.loads((tmp_path / "site" / "data" / "history" / "open.json").read_text()).values()
    assert (left[0]["pid"], left[0]["port"], left[0]["closed"]) == (123456789012345678, 999999999, True)


SEEDED = [
    line.encode("utf-8")
    for path in (DEMO, DEMO_FAIL2BAN)
    for line in path.read_text(encoding="utf-8").splitlines()[:4000]
]
"""Lines of the shapes real logs hold, sshd's and fail2ban's, for the mutator."""


@pytest.mark.property
@settings(max_examples=examples(0.05), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.floats(0.0, 1.0))
def test_a_night_of_any_lines_leaves_a_history_the_next_night_reads(
    tmp_path_factory: pytest.TempPathFactory, seed: int, share: float
) -> None:
    """Whatever a log holds (real lines, a third of them mutated: bytes put in, taken out, replaced, sshd's
    fragments spliced in, text beyond ASCII), a night leaves a history the next night reads back: what honeycast
    keeps of a line (its names, pid, port, a ban's host) is never refused as damaged when it is read again."""
    rng = random.Random(seed)
    start = rng.randrange(len(SEEDED) - 600)
    lines = [
        mutated(rng, line, rng.randint(1, 4)) if rng.random() < 0.3 else line for line in SEEDED[start : start + 600]
    ]
    cut = int(share * len(lines))
    folder = tmp_path_factory.mktemp("fuzzed")
    for night, part in enumerate((lines[:cut], lines[cut:])):
        log = folder / f"{night}.log"
        log.write_bytes(b"\n".join(part) + b"\n")
        try:
            _build([str(log)], folder / "site", append=night > 0)
        except NothingNew:
            pass
        except InputError as error:  # a night of no sshd line that names a client: nothing to build, nothing read
            assert "history" not in str(error) and str(folder / "site") not in str(error), error

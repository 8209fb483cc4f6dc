"""One log counts the same however it is cut: into consecutive files given together, into ranges read on all cores,
by either reader. Connections run across every cut: a PAM failure in one file and its Failed line in the next, a
login in one and its logout in the next, a pid reused after a quiet longer than sshd waits."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import distributed
import pytest
from files import DEMO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readers import tallied

from examples import examples
from honeycast import ranges
from honeycast.build import BuildOptions, build
from honeycast.errors import NothingNew
from honeycast.scan import ReadOptions
from honeycast.tally import Tally

ATTACKERS = ["61.177.172.19", "45.135.232.18", "218.92.0.31", "185.220.101.4", "2001:db8:4::7", "103.77.2.9"]
OWNER = "198.51.100.23"
USERS = ["root", "admin", "oracle", "test"]


def _script(rng: random.Random, guesses: bool = True, dns: bool = True, account: str = "admin") -> list[list[str]]:
    """Return the messages of one connection as sshd writes them (header aside), in steps: the messages of a step
    come within two seconds of one another (a PAM failure and its Failed line, a disconnect and its logout)."""
    address = rng.choice(ATTACKERS)
    port = rng.randint(1024, 65535)
    user = rng.choice(USERS)
    shape = rng.random()
    if shape < 0.2:  # a probe
        return [
            [
                rng.choice(
                    [
                        f"Did not receive identification string from {address} port {port}",
                        f"Connection closed by {address} port {port} [preauth]",
                        f"ssh_dispatch_run_fatal: Connection from {address} port {port}: incomplete message [preauth]",
                    ]
                )
            ]
        ]
    if shape < 0.3:  # the owner's session: a login, and its end much later (with a logout line, or without)
        logout = [f"Received disconnect from {OWNER} port {port}:11: disconnected by user"]
        if rng.random() < 0.5:
            logout.append(f"Disconnected from user {account} {OWNER} port {port}")
        return [[f"Accepted publickey for {account} from {OWNER} port {port} ssh2: ED25519 SHA256:k"], logout]
    steps = []
    if rng.random() < 0.3:
        steps.append([f"Invalid user {user} from {address} port {port}"])
    rhost = address
    if rng.random() < 0.2 and ":" not in address and dns:  # UseDNS: PAM names the client by a name of its address
        rhost = "host-" + address.replace(".", "-") + ".example.net"
    for _ in range(rng.randint(1, 4)):
        step = []
        if rng.random() < 0.8:
            step.append(
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                f"rhost={rhost}  user={user}"
            )
        if rng.random() < 0.9 or not step:
            failed = f"Failed password for {user} from {address} port {port} ssh2"
            step.append(failed if rng.random() < 0.9 else f"message repeated 2 times: [ {failed}]")
        steps.append(step)
    if rng.random() < 0.1 and guesses:
        steps.append([f"Accepted password for {user} from {address} port {port} ssh2"])  # a guess that worked
        return steps
    end = rng.random()
    if end < 0.4:
        steps.append([f"Connection closed by authenticating user {user} {address} port {port} [preauth]"])
    elif end < 0.7:
        steps.append(
            [
                f"Received disconnect from {address} port {port}:11: Bye Bye [preauth]",
                f"Disconnected from authenticating user {user} {address} port {port} [preauth]",
            ]
        )
    return steps  # or no end line at all: the connection is over when it has been quiet long enough


def sshd_log(seed: int, count: int = 240, guesses: bool = True, dns: bool = True, account: str = "admin") -> list[str]:
    """Return a log of interleaved connections over a few hours: bursts within a second, quiet spells longer than
    sshd waits, pids reused once free, two hosts; with ``guesses``, attackers' guesses that worked, with ``dns``,
    PAM naming some clients by host name; the owner logs in as ``account``."""
    rng = random.Random(seed)
    moment = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
    active: list[tuple[str, int, list[list[str]]]] = []
    free = list(range(700, 712))
    lines: list[str] = []
    while len(lines) < count:
        if not active or (len(active) < 4 and free and rng.random() < 0.35):
            rng.shuffle(free)
            active.append((rng.choice(["web", "web", "db"]), free.pop(), _script(rng, guesses, dns, account)))
        moment += timedelta(seconds=rng.choice([0, 0, 0, 1, 2, 5, 40, 300, 700]))
        index = rng.randrange(len(active))
        host, pid, steps = active[index]
        for message in steps.pop(0):
            lines.append(f"{moment:%b %e %H:%M:%S} {host} sshd[{pid}]: {message}")
            moment += timedelta(seconds=rng.choice([0, 1, 2]))
        if not steps:
            del active[index]
            free.append(pid)
    return lines


def _slow(share: float) -> settings:
    """Hypothesis settings for a property that builds or counts whole logs: ``share`` of the profile's examples."""
    return settings(
        max_examples=examples(share),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _written(lines: list[str], path: Path) -> Path:
    """Write ``lines`` (without their line feeds) to ``path``."""
    path.write_text("".join(line + "\n" for line in lines))
    return path


def counted(tally: Tally) -> tuple[object, ...]:
    """What a tally counts (not which inputs its lines came from)."""
    return tally.slices, dict(tally.kinds), tally.country_of, tally.failures, tally.names, sorted(tally.accepted)


@pytest.mark.property
@_slow(0.3)
@given(
    st.integers(0, 2**32),
    st.lists(st.integers(1, 479), max_size=6),
    st.sampled_from(["native", "python"]),
    st.sampled_from([1, 2, 4]),
    st.booleans(),
    st.booleans(),
)
def test_a_log_counts_the_same_however_it_is_cut(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    cuts: list[int],
    reader: str,
    workers: int,
    twice: bool,
    by_host: bool,
) -> None:
    monkeypatch.setattr(ranges, "PARALLEL_MIN_BYTES", 1)  # every file is cut into as many ranges as cores
    folder = tmp_path_factory.mktemp("cut")
    lines = sshd_log(seed)
    if twice:
        # One file read twice: it goes back in time where the second copy begins. Files are read in the order of
        # their first lines (a rotated set given newest first), so this log is cut into ranges only.
        lines += lines
        cuts = []
    whole = folder / "whole.log"
    whole.write_text("\n".join(lines) + "\n")
    streams = {"": lines}
    if by_host:  # each host's log a file of its own (and cut where the whole log is cut)
        streams = {host: [line for line in lines if f" {host} sshd[" in line] for host in ("web", "db")}
    parts = []
    for host, stream in streams.items():
        edges = [0, *sorted({cut for cut in cuts if cut < len(stream)}), len(stream)]
        for number, (start, end) in enumerate(pairwise(edges)):
            parts.append(str(_written(stream[start:end], folder / f"{host}auth.log.{len(edges) - number}")))
    one, _ = tallied([str(whole)], reader == "native", workers=1)
    cut, _ = tallied(parts, reader == "native", workers=workers)
    assert counted(cut) == counted(one)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real Dask cluster of two worker processes: its scheduler's address."""
    with distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as found:
        yield found.scheduler_address


@pytest.mark.property
@_slow(0.05)
@given(
    st.integers(0, 2**32), st.lists(st.integers(1, 239), min_size=1, max_size=4), st.sampled_from(["native", "python"])
)
def test_a_log_cut_into_files_counts_the_same_on_a_dask_cluster(
    tmp_path_factory: pytest.TempPathFactory, cluster: str, seed: int, cuts: list[int], reader: str
) -> None:
    """Each file counted by a worker of its own, the parts joined here: as one reader of the whole log counts."""
    folder = tmp_path_factory.mktemp("dask")
    lines = sshd_log(seed)
    whole = _written(lines, folder / "whole.log")
    edges = [0, *sorted(set(cuts)), len(lines)]
    parts = []
    for number, (start, end) in enumerate(pairwise(edges)):
        parts.append(str(_written(lines[start:end], folder / f"auth.log.{len(edges) - number}")))
    one, _ = tallied([str(whole)], reader == "native", workers=1)
    on_cluster, _ = tallied(parts, reader == "native", dask=cluster)
    assert counted(on_cluster) == counted(one)


def test_a_rotated_pair_given_newest_first_counts_as_the_whole(tmp_path: Path) -> None:
    rotated, live = tmp_path / "auth.log.1", tmp_path / "auth.log"
    rotated.write_text(
        "Dec  6 06:25:01 web sshd[5151]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=ssh ruser= rhost=61.177.172.19  user=root\n"
    )
    live.write_text(
        "Dec  6 06:25:03 web sshd[5151]: Failed password for root from 61.177.172.19 port 50122 ssh2\n"
        "Dec  6 06:25:04 web sshd[5151]: Received disconnect from 61.177.172.19 port 50122:11: Bye Bye [preauth]\n"
    )
    for reader in (True, False):
        for workers in (1, 2):
            tally, _ = tallied([str(live), str(rotated)], reader, workers=workers)
            attempts = [count for part in tally.slices.values() for count in part.sources.values()]
            assert attempts == [1], (reader, workers)  # one attempt: the Failed line echoes the PAM failure


def _tellable(lines: list[str], cut: int, exact: bool = False) -> bool:
    """Whether a night ending at ``cut`` ends where one build of the whole log would count the same.

    Not where a line after the cut is a copy of one before it at the last instant counted of its host (the history
    keeps those lines by their fields: a copy is a line read again, as a night that reads the rotated log again
    reads them); nor where a PAM failure still waits for its Failed line at the cut, and the Failed line that echoes
    it comes in another hour's slice (the night counts the failure when PAM wrote it, one build when the Failed line
    came). PAM failures wait in a queue per process, oldest echoed first; an end line settles what still waits.
    With ``exact``, not where the Failed line that echoes it comes in another second (an attempt's time, not only
    its slice, is the night's and one build's alike). Nor where the Failed line after the cut that echoes such a
    failure finds right behind it a PAM failure of the same second and user: one build takes that for a copy of
    the one echoed (a log forwarded twice), where the night, which could not tell, counted it.
    """
    width = 15 if exact else 10
    last: dict[str, str] = {}
    for line in lines[:cut]:
        last[line.split()[3]] = line[:15]
    counted = set(lines[:cut])
    # per host and pid, each PAM failure waiting: its hour (or second), its second and user, whether before the cut
    waiting: dict[str, deque[tuple[str, str, bool]]] = {}
    for index, line in enumerate(lines):
        host, process = line.split()[3:5]
        if index >= cut and line in counted and last.get(host) == line[:15]:
            return False
        queue = waiting.setdefault(host + process, deque())
        if "pam_unix(sshd:auth): authentication failure" in line:
            queue.append((line[:width], line[:15] + line.rpartition(" user=")[2], index < cut))
        elif "Failed password" in line:
            repeated = re.search(r"message repeated ([0-9]+) times", line)
            for _ in range(int(repeated.group(1)) if repeated else 1):
                if not queue:
                    break
                hour, which, before = queue.popleft()
                if before and index >= cut and (hour != line[:width] or (queue and queue[0][1] == which)):
                    return False
        elif any(end in line for end in ("Connection closed", "Disconnected from", "Received disconnect")):
            queue.clear()
    return True


def _night(logs: list[Path], out: Path, append: bool, reader: str, host: str | None = None) -> None:
    read = ReadOptions(logs=[str(one) for one in logs], year=2026, tz=UTC, reader=reader, host=host)
    options = BuildOptions(read=read, out=out, slice_seconds=3600, size=(320, 180), frames=False, append=append, fps=12)
    with contextlib.suppress(NothingNew):  # a night whose lines were all read already changes nothing
        build(options)


def _nights(
    lines: list[str], edges: list[int], folder: Path, reader: str, overlap: bool, host: str | None = None
) -> Path:
    """Build the lines between each pair of ``edges`` as a night of its own, each with --append (with ``overlap``,
    beside the night before's, as a rotated log and a live one), into one site; return it."""
    before: list[Path] = []
    for number, (start, end) in enumerate(pairwise(edges)):
        night = _written(lines[start:end], folder / f"night-{number}.log")
        _night([*before, night], folder / "nightly", append=number > 0, reader=reader, host=host)
        before = [night] if overlap else []
    return folder / "nightly"


def _kept(out: Path, users: bool = False) -> dict[str, object]:
    """What a site's history keeps of each day: every slice's attempts, probes and distinct addresses per country,
    per host, its attempts and distinct addresses per network, its top sources (and with ``users`` its top user
    names: a build masks the accounts it knows of, which a night before the owner's login does not), the logins,
    the compromises and the defences (blocks begun, addresses blocked and how long it took, attempts that got
    through a block or came after one)."""
    folder = out / "data" / "history"
    kept: dict[str, object] = {}
    for path in sorted(folder.glob("20*.json")):
        day = json.loads(path.read_text())
        slices = {
            start: (
                one["counts"], one["probes"], one["addresses"], one["hosts"], one["top_sources"],
                one["top_users"] if users else None, one["networks"], one["network_addresses"],
            )
            for start, one in day["slices"].items()
        }  # fmt: skip
        kept[path.name] = (slices, day["logins"], day["compromises"], day.get("defences"))
    return kept


@pytest.mark.property
@_slow(0.05)
@given(
    st.integers(0, 2**32),
    st.lists(st.integers(1, 159), min_size=1, max_size=3),
    st.sampled_from(["native", "python"]),
    st.booleans(),
    st.sampled_from([None, "srv"]),
)
def test_nightly_appends_count_as_one_build(
    tmp_path_factory: pytest.TempPathFactory, seed: int, cuts: list[int], reader: str, overlap: bool, host: str | None
) -> None:
    """A log cut anywhere (mid-second, mid-connection) into nights, each built with --append from its own lines
    (with ``overlap``, beside the night before's, as a rotated log and a live one), keeps the days one build of the
    whole log writes (``_kept``); with ``host``, every line counted under that host (``--host``)."""
    folder = tmp_path_factory.mktemp("nights")
    # What a night cannot know of the nights after it is left out: an attacker's guess that worked (whether an
    # address that logs in is the owner's, whose attempts no slice counts, depends on what it did before), and
    # PAM naming a client by host name (a failure waiting where a night ends counts under that name), and an
    # account of the owner's that attackers try too (a night masks the accounts it knows of).
    lines = sshd_log(seed, count=160, guesses=False, dns=False, account="keeper")
    whole = _written(lines, folder / "whole.log")
    _night([whole], folder / "one", append=False, reader=reader, host=host)
    edges = [0, *sorted({cut for cut in cuts if _tellable(lines, cut)}), len(lines)]
    nightly = _nights(lines, edges, folder, reader, overlap, host)
    assert _kept(nightly, users=True) == _kept(folder / "one", users=True)


@pytest.mark.parametrize("overlap", [False, True], ids=["apart", "beside the night before"])
def test_the_demo_day_cut_into_nights_keeps_the_days_of_one_build(tmp_path: Path, overlap: bool) -> None:
    """The bundled day (lines of the shapes a real server writes) cut into three nights where a night can be told
    from the next (``_tellable``), each built with --append: the days one build of the day keeps."""
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)
    whole = tmp_path / "whole.log"
    whole.write_text("".join(lines))
    _night([whole], tmp_path / "one", append=False, reader="native")
    bare = [line.rstrip("\n") for line in lines]
    cuts = [next(cut for cut in range(share * len(lines) // 3, len(lines)) if _tellable(bare, cut)) for share in (1, 2)]
    before: list[Path] = []
    for number, (start, end) in enumerate(pairwise([0, *cuts, len(lines)])):
        night = tmp_path / f"night-{number}.log"
        night.write_text("".join(lines[start:end]))
        _night([*before, night], tmp_path / "nightly", append=number > 0, reader="native")
        before = [night] if overlap else []
    assert _kept(tmp_path / "nightly") == _kept(tmp_path / "one")


def _sshd_between(lines: list[str], start: int, end: int) -> bool:
    return any(" sshd[" in line for line in lines[start:end])


def with_bans(lines: list[str], seed: int) -> list[str]:
    """Return sshd's lines with the bans fail2ban (through syslog) and sshguard would have written among them: an
    address is blocked in the second of its second to fourth failure, fail2ban's ban lifted minutes to an hour
    later (or never), sshguard's lasting the seconds it said (of the address or its network); some addresses
    keep trying while blocked (another port), and many come back."""
    rng = random.Random(seed)
    written: list[tuple[datetime, float, str]] = []
    failures: Counter[str] = Counter()
    blocked_until: dict[str, datetime] = {}
    limit = {address: rng.randint(2, 4) for address in ATTACKERS}
    for number, line in enumerate(lines):
        moment = datetime.strptime(f"2026 {line[:15]}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
        written.append((moment, number, line))
        found = re.search(r"Failed password for \S+ from (\S+) port", line)
        if found is None:
            continue
        address, host = found[1], line.split()[3]
        if moment < blocked_until.get(address, moment):
            continue
        failures[address] += 1
        if failures[address] < limit[address]:
            continue
        failures[address] = 0
        stamp = f"{moment:%b %e %H:%M:%S} {host}"
        length = rng.choice([30, 120, 600, 2400, None])
        if rng.random() < 0.7:
            written.append((moment, number + 0.5, f"{stamp} fail2ban.actions[812]: NOTICE [sshd] Ban {address}"))
            if length is not None:
                ends = moment + timedelta(seconds=length)
                unban = f"{ends:%b %e %H:%M:%S} {host} fail2ban.actions[812]: NOTICE [sshd] Unban {address}"
                written.append((ends, number + 0.6, unban))
            blocked_until[address] = moment + timedelta(seconds=length or 10**6)
        else:
            prefix = rng.choice([32, 24]) if ":" not in address else 64
            said = "forever" if length is None else f"for {length} secs"
            written.append((moment, number + 0.5, f'{stamp} sshguard[377]: Blocking "{address}/{prefix}" {said} '
                            "(3 attacks in 5 secs, after 1 abuses over 5 secs.)"))  # fmt: skip
            blocked_until[address] = moment + timedelta(seconds=length or 10**6)
        if rng.random() < 0.3:  # this one keeps trying through the block
            blocked_until.pop(address)
    return [line for _, _, line in sorted(written)]


@pytest.mark.property
@_slow(0.1)
@given(
    st.integers(0, 2**32),
    st.lists(st.integers(1, 199), min_size=1, max_size=3),
    st.sampled_from(["native", "python"]),
    st.booleans(),
)
def test_nightly_appends_keep_the_defences_of_one_build(
    tmp_path_factory: pytest.TempPathFactory, seed: int, cuts: list[int], reader: str, overlap: bool
) -> None:
    """A log with fail2ban's and sshguard's bans among sshd's lines, cut anywhere into nights (a ban and the attempt
    that caused it, a ban and its unban, a block and the attempts that got through it in different nights), each
    built with --append (with ``overlap``, the night before's read again): each day keeps the defences one build
    of the whole log gives it, and so does every other count."""
    folder = tmp_path_factory.mktemp("banned")
    lines = with_bans(sshd_log(seed, count=160, guesses=False, dns=False, account="keeper"), seed)
    whole = _written(lines, folder / "whole.log")
    _night([whole], folder / "one", append=False, reader=reader)
    # A night of bans alone, no sshd line, is nothing new to a build: it changes nothing (and keeps no ban).
    edges = [0]
    for cut in sorted({cut for cut in cuts if cut < len(lines) and _tellable(lines, cut, exact=True)}):
        if _sshd_between(lines, edges[-1], cut) and _sshd_between(lines, cut, len(lines)):
            edges.append(cut)
    edges.append(len(lines))
    nightly = _nights(lines, edges, folder, reader, overlap)
    one = _kept(folder / "one", users=True)
    assert any(day[3] for day in one.values() if isinstance(day, tuple))  # the log's bans were found and joined
    assert _kept(nightly, users=True) == one

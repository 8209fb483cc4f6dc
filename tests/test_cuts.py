"""One log counts the same however it is cut: into consecutive files given together, into ranges read on all cores,
by either reader. Connections run across every cut: a PAM failure in one file and its Failed line in the next, a
login in one and its logout in the next, a pid reused after a quiet longer than sshd waits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readers import tallied

from examples import examples
from honeycast import ranges
from honeycast.tally import Tally

ATTACKERS = ["61.177.172.19", "45.135.232.18", "218.92.0.31", "185.220.101.4", "2001:db8:4::7", "103.77.2.9"]
OWNER = "198.51.100.23"
USERS = ["root", "admin", "oracle", "test"]


def _script(rng: random.Random) -> list[list[str]]:
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
            logout.append(f"Disconnected from user admin {OWNER} port {port}")
        return [[f"Accepted publickey for admin from {OWNER} port {port} ssh2: ED25519 SHA256:k"], logout]
    steps = []
    if rng.random() < 0.3:
        steps.append([f"Invalid user {user} from {address} port {port}"])
    rhost = address
    if rng.random() < 0.2 and ":" not in address:  # UseDNS: PAM names the client by a name spelling its address
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
    if rng.random() < 0.1:
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


def sshd_log(seed: int, count: int = 240) -> list[str]:
    """Return a log of interleaved connections over a few hours: bursts within a second, quiet spells longer than
    sshd waits, pids reused once free, two hosts."""
    rng = random.Random(seed)
    moment = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
    active: list[tuple[str, int, list[list[str]]]] = []
    free = list(range(700, 712))
    lines: list[str] = []
    while len(lines) < count:
        if not active or (len(active) < 4 and free and rng.random() < 0.35):
            rng.shuffle(free)
            active.append((rng.choice(["web", "web", "db"]), free.pop(), _script(rng)))
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


def counted(tally: Tally) -> tuple[object, ...]:
    """What a tally counts (not which inputs its lines came from)."""
    return tally.slices, dict(tally.kinds), tally.country_of, tally.failures, tally.names, sorted(tally.accepted)


@pytest.mark.property
@settings(
    max_examples=examples(0.3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
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
            part = folder / f"{host}auth.log.{len(edges) - number}"
            part.write_text("".join(line + "\n" for line in stream[start:end]))
            parts.append(str(part))
    one, _ = tallied([str(whole)], reader == "native", workers=1)
    cut, _ = tallied(parts, reader == "native", workers=workers)
    assert counted(cut) == counted(one)


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

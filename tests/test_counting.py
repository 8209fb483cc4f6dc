"""The counting rules on the shapes real servers write, each case counted by both readers.

The lines are written for these tests in the shapes public logs show (RedHat's PAM-only stacks,
Ubuntu's session logouts, RHEL 7's portless disconnects, key floods, mixed UTC offsets). Every
expected figure is counted by hand from the lines, never taken from a run.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readers import assert_same_tallies, tallied

from examples import examples
from honeycast.events import EventKind
from honeycast.rules import ACTIONS, RULES, Action
from honeycast.tally import Tally, digest
from honeycast.timeline import timeline_of

BERLIN = ZoneInfo("Europe/Berlin")


def both(tmp_path: Path, text: str, name: str = "auth.log", **options: object) -> Tally:
    """Count ``text`` with both readers; check they agree and return the native tally."""
    log = tmp_path / name
    log.write_text(text, encoding="utf-8")
    assert_same_tallies([str(log)], **options)
    tally, _ = tallied([str(log)], True, **options)  # type: ignore[arg-type]
    return tally


def summed(tally: Tally, counts: str) -> dict[str, int]:
    """Return a tally's per-slice counts (``sources``, ``probes`` or ``users``) added over every slice."""
    total: dict[str, int] = {}
    for part in tally.slices.values():
        for name, count in getattr(part, counts).items():
            total[name] = total.get(name, 0) + count
    return total


def attempts(tally: Tally) -> dict[str, int]:
    return summed(tally, "sources")


def probes(tally: Tally) -> dict[str, int]:
    return summed(tally, "probes")


PAM_ONLY = """\
Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.4
Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown
Jun 14 15:16:02 combo sshd(pam_unix)[19937]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.4
Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=host-1.example.net  user=root
Jun 15 02:04:59 combo sshd(pam_unix)[20884]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=host-1.example.net  user=root
Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)
Jun 15 12:12:34 combo sshd(pam_unix)[23397]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=198.51.100.9  user=guest
Jun 15 12:12:35 combo sshd(pam_unix)[23397]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=198.51.100.9  user=guest
Jun 15 12:13:19 combo sshd(pam_unix)[23414]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=198.51.100.9  user=admin"""


def test_pam_only_failures_count_when_their_connection_is_evidently_over(tmp_path: Path) -> None:
    # No closing line, no Failed line, and no newline after the last line: each failure is an attempt.
    tally = both(tmp_path, PAM_ONLY, year=2005)
    assert attempts(tally) == {"203.0.113.4": 2, "host-1.example.net": 2, "198.51.100.9": 3}
    assert summed(tally, "users") == {"root": 2, "guest": 2, "admin": 1}
    assert tally.sshd_lines == 8  # the su line is not sshd's


def test_pam_failures_count_at_their_own_time_when_the_pid_serves_another_client(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        "Jun 15 12:12:34 h sshd[7]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.9  user=root\n"
        "Jun 15 12:40:00 h sshd[7]: Failed password for root from 203.0.113.4 port 5 ssh2\n"
        "Jun 15 12:40:01 h sshd[7]: Connection closed by authenticating user root 203.0.113.4 port 5 [preauth]\n",
        year=2005,
    )
    assert attempts(tally) == {"198.51.100.9": 1, "203.0.113.4": 1}
    first = datetime(2005, 6, 15, 12, 10, tzinfo=UTC)
    assert tally.slices[first].sources == {"198.51.100.9": 1}  # 12:12, not 12:40


def test_a_failed_line_after_a_quiet_longer_than_sshd_waits_is_another_attempt(tmp_path: Path) -> None:
    pam = (
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root"
    )
    failed = "Failed password for root from 203.0.113.4 port 5 ssh2"
    lines = [
        f"Jun 15 12:00:00 h sshd[7]: {pam}",
        f"Jun 15 12:00:02 h sshd[7]: {failed}",
        f"Jun 15 12:00:03 h sshd[7]: {pam}",
        # a long quiet: sshd's LoginGraceTime has ended the connection, so the waiting PAM failure counts (idle)
        # and the next Failed line is a new client of the reused pid, not its echo
        "Jun 15 12:30:00 h sshd[9]: Server listening on 0.0.0.0 port 22.",
        f"Jun 15 12:31:00 h sshd[7]: {failed}",
        f"Jun 15 12:31:01 h sshd[7]: {pam}",
        f"Jun 15 12:31:02 h sshd[7]: message repeated 2 times: [ {failed}]",
    ]
    tally = both(tmp_path, "\n".join(lines) + "\n", year=2005)
    assert attempts(tally) == {"203.0.113.4": 5}


def test_a_flood_of_pam_lines_in_one_connection_counts_once_in_bounded_memory(tmp_path: Path) -> None:
    # 2,000 PAM failures, then their 2,000 Failed lines: the first 1,024 are counted early (a connection keeps
    # at most that many waiting), and the Failed lines that come for them add nothing.
    pam = (
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.4  user=root"
    )
    failed = "Failed password for root from 203.0.113.4 port 5 ssh2"
    lines = [f"Jun 15 12:00:{index // 100:02d} h sshd[7]: {pam}" for index in range(2000)]
    lines += [f"Jun 15 12:01:{index // 100:02d} h sshd[7]: {failed}" for index in range(2000)]
    tally = both(tmp_path, "\n".join(lines) + "\n", year=2005)
    assert attempts(tally) == {"203.0.113.4": 2000}


def test_a_logout_from_the_sessions_own_process_is_no_probe(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        # OpenSSH 8 and later: the session's child names the client's port
        "Nov 29 08:00:01 web sshd[1361]: Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:k\n"
        "Nov 29 08:00:01 web sshd[1361]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)\n"
        "Nov 29 09:12:40 web sshd[1418]: Received disconnect from 192.0.2.10 port 50022:11: disconnected by user\n"
        "Nov 29 09:12:40 web sshd[1418]: Disconnected from user alice 192.0.2.10 port 50022\n"
        "Nov 29 09:12:40 web sshd[1361]: pam_unix(sshd:session): session closed for user alice\n"
        # OpenSSH 7.4 (RHEL 7): no port, and again another pid
        "Nov 29 10:00:01 web sshd[2805]: Accepted publickey for bob from 192.0.2.11 port 34202 ssh2: RSA SHA256:k\n"
        "Nov 29 10:00:04 web sshd[2809]: Received disconnect from 192.0.2.11: 11: disconnected by user\n"
        # a scanner from the same address as a login, in a process of its own: a probe all the same
        "Nov 29 10:05:00 web sshd[2900]: Connection closed by 192.0.2.11 port 40000 [preauth]\n"
        "Nov 29 10:06:00 web sshd[2901]: Did not receive identification string from 203.0.113.50 port 1\n",
        year=2026,
    )
    assert probes(tally) == {"192.0.2.11": 1, "203.0.113.50": 1}
    assert tally.kinds["logout"] == 2  # alice's two lines: the disconnect has her port and no [preauth]


def test_a_login_timeout_logged_by_the_listener_joins_its_connection(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        "Nov 29 08:00:00 web sshd-session[77]: Failed password for root from 203.0.113.8 port 41000 ssh2\n"
        "Nov 29 08:02:00 web sshd[1]: Timeout before authentication for 203.0.113.8 port 41000, pid = 77\n",
        year=2026,
    )
    assert attempts(tally) == {"203.0.113.8": 1}
    assert probes(tally) == {}


def test_openssh_98_listener_lines_name_the_session_process_and_dropped_connections(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        "Nov 29 08:00:00 web sshd-session[35557]: Failed password for root from 203.0.113.9 port 48000 ssh2\n"
        "Nov 29 08:02:00 web sshd[59756]: Timeout before authentication for connection from 203.0.113.9 to 10.0.0.1, pid = 35557\n"
        "Nov 29 08:02:01 web sshd[59756]: drop connection #0 from [203.0.113.10]:48602 on [10.0.0.1]:22 penalty: exceeded LoginGraceTime\n"
        "Nov 29 08:02:02 web sshd[59756]: drop connection #3 from [2001:db8::5]:48603 on [2001:db8::1]:22 past MaxStartups\n"
        # a facility and level between host and program, as some syslog templates write them
        "Nov 29 08:03:00 web auth.info sshd[60000]: Did not receive identification string from 203.0.113.11 port 1\n",
        year=2026,
    )
    assert attempts(tally) == {"203.0.113.9": 1}
    assert probes(tally) == {"203.0.113.10": 1, "2001:db8::5": 1, "203.0.113.11": 1}


def test_key_floods_that_end_without_a_failed_line_are_probes(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        'Nov 29 08:00:00 web sshd[80]: Connection from 203.0.113.20 port 5000 on 10.0.0.1 port 22 rdomain ""\n'
        "Nov 29 08:00:01 web sshd[80]: error: maximum authentication attempts exceeded for root from 203.0.113.20 port 5000 ssh2 [preauth]\n"
        "Nov 29 08:00:01 web sshd[80]: Disconnecting authenticating user root 203.0.113.20 port 5000: Too many authentication failures [preauth]\n"
        "Nov 29 08:00:05 web sshd[81]: Disconnecting: Too many authentication failures [preauth]\n"
        "Nov 29 08:00:09 web sshd[82]: Failed password for root from 203.0.113.21 port 6000 ssh2\n"
        "Nov 29 08:00:09 web sshd[82]: Disconnecting authenticating user root 203.0.113.21 port 6000: Too many authentication failures [preauth]\n",
        year=2026,
    )
    assert probes(tally) == {"203.0.113.20": 1}  # one per connection; sshd[81] names no address
    assert attempts(tally) == {"203.0.113.21": 1}


CRAFTED = [
    # (message, the address sshd wrote)
    ("Failed password for invalid user a from 8.8.8.8 port 22 ssh2: b from 203.0.113.30 port 7 ssh2", "203.0.113.30"),
    ("Failed password for invalid user a from 8.8.8.8 port 22: b from 203.0.113.30 port 7 ssh2", "203.0.113.30"),
    ("Disconnected from invalid user x 8.8.8.8 port 22 on 203.0.113.30 port 7 [preauth]", "203.0.113.30"),
    (
        "message repeated 3 times: [ Failed password for x] from 8.8.8.8 port 22 ssh2 from 203.0.113.30 port 7 ssh2]",
        "203.0.113.30",
    ),
    ("Invalid user x from 8.8.8.8 port 22 from 203.0.113.30 port 7", "203.0.113.30"),
]


@pytest.mark.parametrize(("message", "address"), CRAFTED)
def test_user_names_that_mimic_sshds_tails_do_not_move_the_line(tmp_path: Path, message: str, address: str) -> None:
    tally = both(tmp_path, f"Nov 29 08:00:00 web sshd[90]: {message}\n", year=2026)
    assert set(tally.country_of) == {address}


def test_the_on_token_and_the_year_mean_the_same_to_both_readers(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        "Nov 29 08:00:00 web sshd[91]: Connection from 203.0.113.31 port 7 on  port 22\n"
        "Nov 29 08:00:01 web sshd[91]: Did not receive identification string from 203.0.113.31 port 7\n",
        year=2026,
    )
    assert tally.kinds["connection"] == 0 and tally.kinds["unknown"] == 1  # "on" names no address: no Connection line
    for reader in (True, False):
        with pytest.raises(ValueError, match="year 0 is outside 1 to 9999"):
            tallied([str(tmp_path / "auth.log")], reader, year=0)


def test_the_same_instant_in_two_offsets_is_one_slice(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        "2026-11-29T10:05:00Z web sshd[1]: Failed password for root from 203.0.113.40 port 1 ssh2\n"
        "2026-11-29T15:50:00+05:45 web sshd[2]: Failed password for root from 203.0.113.40 port 1 ssh2\n"
        "2026-11-29T11:05:00+01:00 web sshd[3]: Failed password for root from 203.0.113.40 port 1 ssh2\n",
    )
    timeline = timeline_of(tally)
    assert timeline is not None
    assert [(one.start, one.attempts) for one in timeline.slices] == [(datetime(2026, 11, 29, 10, 0, tzinfo=UTC), 3)]


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2026-03-29", 23), ("2026-10-25", 25)],  # Berlin's clocks go forward, then back
)
def test_a_day_with_a_clock_change_has_its_own_number_of_hours(tmp_path: Path, day: str, hours: int) -> None:
    start = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=BERLIN).astimezone(UTC)
    lines = [
        f"{(start + timedelta(minutes=30 * step)).isoformat()} web sshd[{step}]: Failed password for root from 203.0.113.41 port 1 ssh2"
        for step in range(hours * 2)
    ]
    tally = both(tmp_path, "\n".join(lines) + "\n", tz=BERLIN)
    timeline = timeline_of(tally.coarsened(3600))
    assert timeline is not None
    assert len(timeline.slices) == hours
    assert all(one.attempts == 2 for one in timeline.slices)
    assert [one.start.hour for one in timeline.slices][:4] == ([0, 1, 3, 4] if hours == 23 else [0, 1, 2, 2])
    assert all(one.end == after.start for one, after in pairwise(timeline.slices))
    day_tally = timeline_of(tally.coarsened(86400))
    assert day_tally is not None and [one.attempts for one in day_tally.slices] == [hours * 2]


ZONES: list[tzinfo] = [
    UTC,
    BERLIN,
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("America/St_Johns"),
    ZoneInfo("Australia/Lord_Howe"),
]
OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=45)), timezone(timedelta(hours=-3, minutes=-30)), BERLIN]


@pytest.mark.property
@settings(max_examples=examples(0.4), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    zone=st.sampled_from(ZONES),
    seconds=st.sampled_from([60, 600, 3600, 6 * 3600, 86400]),
)
def test_slices_add_up_to_the_span_in_both_readers(tmp_path: Path, seed: int, zone: tzinfo, seconds: int) -> None:
    """Events around a year's clock changes, written with mixed offsets, local and UTC stamps.

    Slices of an hour and longer take events around both changes in one log; shorter ones around one of them,
    so a log spans hours, not the seven months between them in minutes (every empty slice is made).
    """
    rng = random.Random(seed)
    lines, expected = [], 0
    changes = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]
    if seconds < 3600:
        changes = [rng.choice(changes)]
    for index in range(rng.randint(1, 60)):
        anchor = rng.choice(changes)
        instant = anchor + timedelta(seconds=rng.randint(-6 * 3600, 6 * 3600))
        count = rng.choice([1, 1, 2])
        message = f"Failed password for root from 203.0.113.{index % 7} port {index} ssh2"
        if count > 1:
            message = f"message repeated {count} times: [ {message}]"
        stamp = instant.astimezone(rng.choice(OFFSETS)).isoformat()
        lines.append(f"{stamp} web sshd[{index}]: {message}")
        expected += count
    tally = both(tmp_path, "\n".join(lines) + "\n", tz=zone, slice_seconds=seconds)
    timeline = timeline_of(tally)
    assert timeline is not None
    assert sum(one.attempts for one in timeline.slices) == expected
    starts = [one.start for one in timeline.slices]
    assert all(a.astimezone(UTC) < b.astimezone(UTC) for a, b in pairwise(starts))
    assert all(one.end == after.start for one, after in pairwise(timeline.slices))
    assert all(one.start.tzinfo is zone for one in timeline.slices)


def test_past_100000_open_connections_the_oldest_half_is_settled_and_forgotten(tmp_path: Path) -> None:
    # 120,000 connections that each log one PAM failure and never end: past 100,000 the older half is
    # forgotten (its failures counted then), the rest at the end of the input. Each counts once.
    pam = (
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.{}.{}.{}  user=root"
    )
    lines = [
        f"Jun 15 12:{index // 2000 % 60:02d}:{index // 40 % 50:02d} h sshd[{1000 + index}]: "
        + pam.format(index >> 16, index >> 8 & 255, index & 255)
        for index in range(120_000)
    ]
    tally = both(tmp_path, "\n".join(lines) + "\n", year=2005)
    assert sum(attempts(tally).values()) == 120_000
    assert len(attempts(tally)) == 120_000


@pytest.mark.parametrize("use_native", [True, False], ids=["native", "python"])
def test_the_year_placed_from_the_modification_time_is_noted_also_for_a_file_cut_into_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_native: bool
) -> None:
    import os

    from honeycast import ranges

    log = tmp_path / "auth.log"
    log.write_text("Nov 29 06:04:42 h sshd[1]: Failed password for root from 203.0.113.4 port 1 ssh2\n" * 2000)
    os.utime(log, (1_764_547_200, 1_764_547_200))  # 2025-12-01: the November stamps are 2025's
    monkeypatch.setattr(ranges, "PARALLEL_MIN_BYTES", 1)
    for workers in (1, 2):
        tally, _ = tallied([str(log)], use_native, year=None, workers=workers)
        assert tally.years == {str(log): 2025}
    tally, _ = tallied([str(log)], use_native, year=2026, workers=2)
    assert tally.years == {}  # --year said it


# ---- hosts, and spans an earlier build counted ----

TWO_HOSTS = """\
2026-11-29T10:00:01+00:00 web-1 sshd[10]: Failed password for root from 203.0.113.4 port 40000 ssh2
2026-11-29T10:00:01+00:00 db-1 sshd[10]: Failed password for root from 203.0.113.4 port 40001 ssh2
2026-11-29T10:00:02+00:00 db-1 sshd[10]: Failed password for root from 203.0.113.4 port 40001 ssh2
2026-11-29T10:00:03+00:00 db-1 sshd[11]: Connection closed by 198.51.100.7 port 50000 [preauth]
2026-11-29T10:20:00+00:00 web-1 sshd[12]: Failed password for admin from 198.51.100.7 port 50001 ssh2
"""


def test_hosts_are_counted_apart(tmp_path: Path) -> None:
    tally = both(tmp_path, TWO_HOSTS)
    timeline = timeline_of(tally)
    assert timeline is not None
    assert timeline.hosts == ("db-1", "web-1")
    first = timeline.slices[0]
    assert first.hosts == {"db-1": {"documentation": 2}, "web-1": {"documentation": 1}}
    assert first.host_probes == {"db-1": {"documentation": 1}}
    assert timeline.slices[2].hosts == {"web-1": {"documentation": 1}}
    assert [len(span.at_last) for span in tally.spans["db-1"]] == [1]
    # pid 10 on two hosts is two connections: db-1's closing line ends only its own
    assert attempts(tally) == {"203.0.113.4": 3, "198.51.100.7": 1}


def test_host_option_counts_every_line_under_one_name(tmp_path: Path) -> None:
    tally = both(tmp_path, TWO_HOSTS, host="bastion")
    assert tally.host_names() == ("bastion",)
    (span,) = tally.spans["bastion"]
    assert (span.first.minute, span.last.minute, len(span.at_last)) == (0, 20, 1)


def test_a_log_read_again_counts_only_what_is_new(tmp_path: Path) -> None:
    """Cut a log at every line (bursts put several lines in one second), count the first part as an earlier
    build did, then the whole log with that part's spans covered: the two add up to the whole, in both readers."""
    rng = random.Random(5)
    moment = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    lines = []
    for pid in range(100, 130):
        moment += timedelta(seconds=rng.choice([0, 0, 1, 7]))
        host = rng.choice(["web-1", "db-1"])
        address = f"203.0.113.{rng.randint(1, 9)}"
        for _ in range(rng.randint(1, 3)):
            lines.append(
                f"{moment.isoformat()} {host} sshd[{pid}]: Failed password for root from {address} port {pid} ssh2"
            )
        if rng.random() < 0.3:
            lines.append(
                f"{moment.isoformat()} {host} sshd[{pid}]: Connection closed by {address} port {pid + 1} [preauth]"
            )
    whole_log = tmp_path / "whole.log"
    whole_log.write_text("\n".join(lines) + "\n")
    whole, _ = tallied([str(whole_log)], True)
    for cut in range(1, len(lines)):
        part_log = tmp_path / "part.log"
        part_log.write_text("\n".join(lines[:cut]) + "\n")
        part, _ = tallied([str(part_log)], True)
        covered = {digest(host): tuple(found) for host, found in part.spans.items()}
        assert_same_tallies([str(whole_log)], covered=covered)
        rest, _ = tallied([str(whole_log)], True, covered=covered)
        added = Counter(attempts(part)) + Counter(attempts(rest))
        assert added == Counter(attempts(whole)), cut
        assert Counter(probes(part)) + Counter(probes(rest)) == Counter(probes(whole)), cut
        assert part.kinds + rest.kinds == whole.kinds, cut


def test_both_readers_follow_the_one_rule_book(tmp_path: Path) -> None:
    """What a kind of line does is read from rules.RULES by both readers (the native scanner is handed the book
    when it starts): change the book, and both count the change alike."""
    text = (
        "Nov 29 10:05:00 web sshd[2900]: Connection closed by 192.0.2.11 port 40000 [preauth]\n"
        "Nov 29 10:06:00 web sshd[2901]: Failed password for root from 192.0.2.12 port 40001 ssh2\n"
    )
    assert probes(both(tmp_path, text)) == {"192.0.2.11": 1}
    actions = {**ACTIONS, EventKind.DISCONNECTED: Action(0), EventKind.FAILED: Action(0)}
    changed = RULES._replace(actions=tuple(actions[kind] for kind in EventKind))
    tally = both(tmp_path, text, name="changed.log", rules=changed)
    assert probes(tally) == {}
    assert attempts(tally) == {}


def test_a_pam_failure_read_before_is_not_counted_again_by_its_failed_line(tmp_path: Path) -> None:
    """A log read while sshd wrote it can end between a PAM failure and the Failed line that echoes it: the
    earlier reading counted the PAM failure (its input ended), so the Failed line read later adds nothing."""
    lines = [
        "Dec 10 10:56:07 LabSZ sshd[24977]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=ssh ruser= rhost=203.0.113.5  user=root",
        "Dec 10 10:56:08 LabSZ sshd[24977]: Failed password for root from 203.0.113.5 port 52269 ssh2",
        "Dec 10 10:56:08 LabSZ sshd[24977]: Received disconnect from 203.0.113.5: 11: Bye Bye [preauth]",
    ]
    whole_log, part_log = tmp_path / "whole.log", tmp_path / "part.log"
    whole_log.write_text("\n".join(lines) + "\n")
    part_log.write_text(lines[0] + "\n")
    part, _ = tallied([str(part_log)], True)
    assert attempts(part) == {"203.0.113.5": 1}  # the input ended: the PAM failure counts
    covered = {digest(host): tuple(found) for host, found in part.spans.items()}
    assert_same_tallies([str(whole_log)], covered=covered)
    rest, _ = tallied([str(whole_log)], True, covered=covered)
    assert attempts(rest) == {}
    assert attempts(tallied([str(whole_log)], True)[0]) == {"203.0.113.5": 1}


PAM_ROOT = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={}  user=root"


@pytest.mark.parametrize("later", ["11:00:00", "08:00:03"])
def test_a_reused_pid_does_not_attach_a_new_client_to_an_ended_connection(tmp_path: Path, later: str) -> None:
    # pid 777 served a probe from Hong Kong that ended; hours or seconds later the pid serves a Polish client
    # whose PAM line names it by host name (UseDNS). sshd made one attempt, from Poland.
    tally = both(
        tmp_path,
        "Dec  6 08:00:01 web sshd[777]: Did not receive identification string from 45.43.33.218 port 40000\n"
        f"Dec  6 {later} web sshd[777]: {PAM_ROOT.format('host-37-47-209-65.example.net')}\n"
        f"Dec  6 {later} web sshd[777]: Failed password for root from 37.47.209.65 port 51000 ssh2\n",
        year=2026,
    )
    assert attempts(tally) == {"37.47.209.65": 1}
    assert probes(tally) == {"45.43.33.218": 1}


def test_a_pam_line_naming_another_address_does_not_join_an_open_connection(tmp_path: Path) -> None:
    # The Hong Kong client's connection never logged its end; the PAM line's host name spells another address
    # (reversed, as a PTR name does), so it is a new client of the pid: its failure is its own attempt.
    tally = both(
        tmp_path,
        "Dec  6 08:00:01 web sshd[777]: Failed password for root from 45.43.33.218 port 40000 ssh2\n"
        f"Dec  6 08:00:05 web sshd[777]: {PAM_ROOT.format('65.209.47.37.dyn.example.net')}\n",
        year=2026,
    )
    assert attempts(tally) == {"45.43.33.218": 1, "65.209.47.37.dyn.example.net": 1}


def test_a_pam_line_whose_host_name_spells_the_address_joins_its_connection(tmp_path: Path) -> None:
    tally = both(
        tmp_path,
        f"Dec  6 08:00:01 web sshd[777]: {PAM_ROOT.format('218-33-43-45.static.example.net')}\n"
        "Dec  6 08:00:03 web sshd[777]: Failed password for root from 45.43.33.218 port 40000 ssh2\n",
        year=2026,
    )
    assert attempts(tally) == {"45.43.33.218": 1}


def test_a_pam_line_written_twice_counts_once(tmp_path: Path) -> None:
    # A log forwarded twice by syslog: sshd writes a Failed line between two PAM failures of one connection.
    pam = f"Dec  6 14:19:16 web sshd[4242]: {PAM_ROOT.format('61.177.172.19')}\n"
    tally = both(
        tmp_path,
        pam + pam + "Dec  6 14:19:18 web sshd[4242]: Failed password for root from 61.177.172.19 port 50122 ssh2\n",
        year=2026,
    )
    assert attempts(tally) == {"61.177.172.19": 1}


@pytest.mark.parametrize(
    "message",
    [
        "ssh_dispatch_run_fatal: Connection from 1.2.3.4 port 5555: incomplete message [preauth]",
        "ssh_dispatch_run_fatal: Connection from 1.2.3.4 port 5555: message authentication code incorrect [preauth]",
        "ssh_dispatch_run_fatal: Connection from authenticating user root 1.2.3.4 port 5555: Broken pipe [preauth]",
        "fatal: ssh_dispatch_run_fatal: Connection from invalid user admin 1.2.3.4 port 5555: Connection corrupted",
        "Connection from 1.2.3.4 port 5555: invalid format [preauth]",
    ],
)
def test_a_connection_that_ends_in_a_fatal_packet_error_is_a_probe(tmp_path: Path, message: str) -> None:
    tally = both(tmp_path, f"Dec  6 08:00:01 web sshd[5]: {message}\n", year=2026)
    assert probes(tally) == {"1.2.3.4": 1}
    assert attempts(tally) == {}


@pytest.mark.parametrize(
    ("name", "joins"),
    [
        (
            "ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn",
            True,
        ),  # 2-52-80-34 is no address of it; 52-80-34-196 is
        ("196.34.80.52.in-addr.example.net", True),
        ("host-052-080-034-196.example.net", True),
        ("mail.example.net", True),  # spells no address: nothing tells them apart
        ("host-52-80-34-197.example.net", False),
        ("a1-2-3-4-5.example.net", False),
        ("x-300-80-34-196.example.net", True),  # 300 is no part of an address
    ],
)
def test_a_pam_host_name_joins_the_connection_unless_it_spells_another_address(
    tmp_path: Path, name: str, joins: bool
) -> None:
    tally = both(
        tmp_path,
        f"Dec  6 08:00:01 web sshd[9]: {PAM_ROOT.format(name)}\n"
        "Dec  6 08:00:03 web sshd[9]: Failed password for root from 52.80.34.196 port 40000 ssh2\n",
        year=2026,
    )
    assert attempts(tally) == ({"52.80.34.196": 1} if joins else {name: 1, "52.80.34.196": 1})


def test_two_pam_lines_no_failed_line_echoes_are_two_attempts(tmp_path: Path) -> None:
    # fail2ban's sshd test log: two tries in one second, then a login as another user; no Failed line echoes them.
    pam = "Mar  7 18:53:32 bar sshd[1559]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=root rhost=192.0.2.116\n"
    tally = both(
        tmp_path,
        pam + pam + "Mar  7 18:53:34 bar sshd[1559]: Accepted password for known from 192.0.2.116 port 52100 ssh2\n",
        year=2005,
    )
    assert attempts(tally) == {"192.0.2.116": 2}

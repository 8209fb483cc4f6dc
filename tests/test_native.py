"""The native scanner against the Python reader it stands in for: the same counts, always."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from ipaddress import IPv6Address
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from files import DATA, DEMO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import mutated
from readers import assert_same_counts, assert_same_tallies, counted, tallied

from examples import examples
from honeycast import native, ranges, readers
from honeycast.events import EventKind
from honeycast.names import Named
from honeycast.rules import RULES, Action, RuleBook
from honeycast.scan import ReadOptions, SilentReporter, tally_logs
from honeycast.sources import MAX_LINE, LogSource

BERLIN = ZoneInfo("Europe/Berlin")
KATHMANDU = ZoneInfo("Asia/Kathmandu")

# Every family and header shape the scanner reads itself, and lines next to them it must leave to Python.
TRICKY = """\
Nov 29 06:04:42 web-1 sshd[100]: Failed password for invalid user admin from 203.0.113.7 port 2222 ssh2
Nov 29 06:04:42 web-1 sshd[100]: Failed password for root from 2001:db8::7 port 2222 ssh2
Nov 29 06:04:43 web-1 sshd[100]: message repeated 3 times: [ Failed password for root from 198.51.100.4 port 2222 ssh2]
Nov 29 06:04:43 web-1 sshd[100]: message repeated 0 times: [ Failed password for root from 198.51.100.4 port 2222 ssh2]
Nov 29 06:04:43 web-1 sshd[100]: message repeated 99999999999999999999 times: [ Failed password for root from 198.51.100.4 port 2222 ssh2]
Nov 29 06:04:43 web-1 sshd[123456789012345678901]: Failed password for root from 198.51.100.5 port 2222 ssh2
Nov 29 06:04:44 web-1 sshd[100]: Failed publickey for git from 192.0.2.1 port 5 ssh2: RSA SHA256:abc
Nov 29 06:04:44 web-1 sshd[100]: Failed none for invalid user  from 192.0.2.1 port 5 ssh2
Nov 29 06:04:44 web-1 sshd[100]: Accepted publickey for deploy from 192.0.2.1 port 5 ssh2: ED25519 SHA256:abc
Nov 29 06:04:45 web-1 sshd[101]: Invalid user a b from 185.220.101.4 port 4 [preauth]
Nov 29 06:04:45 web-1 sshd[101]: Invalid user  from 185.220.101.4 port 4
Nov 29 06:04:45 web-1 sshd[101]: Illegal user test from 185.220.101.4
Nov 29 06:04:45 web-1 sshd[101]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=185.220.101.4  user=root
Nov 29 06:04:45 web-1 sshd[101]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=185.220.101.4
Nov 29 06:04:45 web-1 sshd[101]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=bob rhost=185.220.101.4 [preauth]
Nov 29 06:04:45 web-1 sshd[101]: pam_unix(sshd:auth): authentication failure; logname=ruser= uid=0 euid=0 tty=ssh ruser= rhost=scanner.example.org
Nov 29 06:04:45 web-1 sshd[101]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=185.220.101.4  user=root
Nov 29 06:04:46 web-1 sshd[101]: Received disconnect from 185.220.101.4 port 4:11: Bye Bye [preauth]
Nov 29 06:04:46 web-1 sshd[101]: Received disconnect from 185.220.101.4: 11: Bye Bye
Nov 29 06:04:46 web-1 sshd[101]: Received disconnect from 2a01:4f8::1 port 4:11: Bye Bye [preauth]
Nov 29 06:04:46 web-1 sshd[101]: Disconnected from invalid user oracle 185.220.101.4 port 4 [preauth]
Nov 29 06:04:46 web-1 sshd[101]: Disconnected from authenticating user root 185.220.101.4 port 4 [preauth]
Nov 29 06:04:46 web-1 sshd[101]: Disconnected from user deploy 192.0.2.1 port 5
Nov 29 06:04:46 web-1 sshd[102]: Connection closed by 185.220.101.4 port 4 [preauth]
Nov 29 06:04:46 web-1 sshd[102]: Connection reset by invalid user x 185.220.101.4 port 4 [preauth]
Nov 29 06:04:47 web-1 sshd[103]: error: maximum authentication attempts exceeded for invalid user root from 45.1.2.3 port 9 ssh2 [preauth]
Nov 29 06:04:47 web-1 sshd[103]: Disconnecting invalid user root 45.1.2.3 port 9: Too many authentication failures [preauth]
Nov 29 06:04:47 web-1 sshd[103]: Disconnecting invalid user admin 87.226.183.198 port 23879: T 23879: Too many authentication failures [preauth]
Nov 29 06:04:47 web-1 sshd[103]: Disconnecting: Too many authentication failures for root [preauth]
Nov 29 06:04:47 web-1 sshd[103]: Disconnecting: Too many authentication failures
Nov 29 06:04:47 web-1 sshd[103]: Disconnecting authenticating user root 45.1.2.3 port 9: Change of username or service not allowed: (root,ssh-connection) -> (admin,ssh-connection) [preauth]
Nov 29 06:04:48 web-1 sshd[104]: Did not receive identification string from 45.1.2.3 port 9
Nov 29 06:04:48 web-1 sshd[104]: Connection from 45.1.2.3 port 9 on 10.0.0.1 port 22 rdomain ""
Nov 29 06:04:48 web-1 sshd[104]: Connection from 45.1.2.3 port 9 on 10.0.0.1 port 22
Nov 29 06:04:48 web-1 sshd-session[105]: Failed password for root from ::ffff:45.1.2.3 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for root from 2001:DB8::7 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for root from 2001:db8:0:0:0:0:0:7 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for root from 010.1.2.3 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for root from fe80::1%eth0 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for admin from 6.6.6.6 port 22 ssh2 from 45.1.2.3 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for invalid user from 45.1.2.3 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for röot from 45.1.2.3 port 9 ssh2
Nov 29 06:04:48 web-1 sshd[105]: Failed password for <b>x</b> from 45.1.2.3 port 9 ssh2
Nov 29 06:04:49 web-1 sshd[105]: Accepted password for deploy from 45.1.2.3 port 9 ssh2
Nov 29 06:04:49 web-1 sshd(pam_unix)[106]: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=45.1.2.3
2026-11-29T06:04:50.123456+01:00 web-1 sshd[106]: Failed password for root from 45.1.2.4 port 9 ssh2
2026-11-29T06:04:50Z web-1 sshd[106]: Invalid user x from 45.1.2.4 port 9
2026-11-29T06:04:50.1+0100 web-1 sshd[106]: Invalid user x from 45.1.2.4 port 9
2026-11-29T06:04:51 web-1 sshd[106]: Invalid user x from 45.1.2.4 port 9
2026-11-29 06:04:51,5 web-1 sshd[106]: Invalid user x from 45.1.2.4 port 9
<38>1 2026-11-29T06:04:51.000Z web-1 sshd 106 - - Invalid user x from 45.1.2.4 port 9
Feb 29 06:04:51 web-1 sshd[107]: Invalid user x from 45.1.2.5 port 9
Nov 31 06:04:51 web-1 sshd[107]: Invalid user x from 45.1.2.5 port 9
Nov 29 24:04:51 web-1 sshd[107]: Invalid user x from 45.1.2.5 port 9
Foo 29 06:04:51 web-1 sshd[107]: Invalid user x from 45.1.2.5 port 9
Nov  9 06:04:51 web-1 sshd[107]: Invalid user x from 45.1.2.5 port 9
Nov 29 06:04:51 sshd[107]: Invalid user x from 45.1.2.5 port 9
Dec 31 23:59:59 web-1 sshd[108]: Invalid user x from 45.1.2.6 port 9
Jan  1 00:00:01 web-1 sshd[108]: Invalid user x from 45.1.2.6 port 9
Nov 29 06:04:52 web-1 CRON[5]: pam_unix(cron:session): session opened for user root
Nov 29 06:04:52 web-1 sshd[109]: Server listening on 0.0.0.0 port 22.
Nov 29 06:04:52 web-1 sshd[109]: reverse mapping checking getaddrinfo for x.example [45.1.2.7] failed - POSSIBLE BREAK-IN ATTEMPT!
{"__REALTIME_TIMESTAMP":"1764396292000000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"110","MESSAGE":"Failed password for root from 45.1.2.8 port 9 ssh2"}
Nov 29 06:04:53 web-1 sshd[111]: Accepted password for alice from 192.0.2.9 port 50022 ssh2
Nov 29 06:04:54 web-1 sshd[112]: Received disconnect from 192.0.2.9 port 50022:11: disconnected by user
Nov 29 06:04:54 web-1 sshd[112]: Disconnected from user alice 192.0.2.9 port 50022
Nov 29 06:04:55 web-1 sshd[113]: Received disconnect from 192.0.2.9: 11: disconnected by user
Nov 29 06:04:56 web-1 sshd[1]: Timeout before authentication for 45.1.2.9 port 9, pid = 114
Nov 29 06:04:56 web-1 sshd[1]: Timeout before authentication for connection from 45.1.2.9 to 10.0.0.1, pid = 114
Nov 29 06:04:56 web-1 sshd[1]: drop connection #0 from [45.1.2.9]:48602 on [10.0.0.1]:22 penalty: exceeded LoginGraceTime
Nov 29 06:04:56 web-1 auth.info sshd[114]: Invalid user x from 45.1.2.9 port 9
Nov 29 06:04:56 web-1 sshd[115]: Connection from 45.1.2.10 port 9 on  port 22
Nov 29 06:04:57 web-1 sshd(pam_unix)[116]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=host.example.net  user=root
Nov 29 06:04:57 web-1 sshd[116]: Failed password for root from 45.1.2.11 port 9 ssh2
Nov 29 06:04:58 web-1 sshd[117]: Failed password for invalid user a from 8.8.8.8 port 22 ssh2: b from 45.1.2.12 port 9 ssh2
Nov 29 06:04:58 web-1 sshd[117]: Failed publickey for a from 8.8.8.8 port 22 ssh2: RSA SHA256:x, from 45.1.2.12 port 9 ssh2: RSA SHA256:y
2026-11-29T06:04:59+05:45 web-1 sshd[118]: Failed password for root from 45.1.2.13 port 9 ssh2
2026-11-29T00:19:59Z web-1 sshd[118]: Failed password for root from 45.1.2.13 port 9 ssh2
""".splitlines()
SEEDS = [
    line.encode()
    for line in [
        *TRICKY,
        *(DATA / "small-auth.log").read_text(encoding="utf-8").splitlines(),
        *(DATA / "xss-auth.log").read_text(encoding="utf-8").splitlines(),
        *(DATA / "formats" / "classic.log").read_text(encoding="utf-8").splitlines(),
        *(DATA / "formats" / "rfc3339.log").read_text(encoding="utf-8").splitlines(),
    ]
    if line
]


def scanned(counter: native.NativeCount) -> tuple[object, ...]:
    """Return everything a finished scanner counted: its result and every source's failures and first names."""
    result = counter.result()
    failures: dict[str, tuple[datetime, int, datetime]] = {}
    names: dict[str, tuple[Named, ...]] = {}
    counter._scanner.tally_failures(0, result.sources, result.users, counter.tz, Named, failures, names)
    return result, failures, names


def test_the_native_scanner_is_built() -> None:
    assert native.AVAILABLE, "honeycast/_scan/ was not compiled at install (is a C compiler installed?)"
    from honeycast import _scan

    assert not hasattr(_scan, "MAX_LINE")  # handed over when a scanner is made (sources.MAX_LINE), not kept


@pytest.mark.parametrize(
    "path",
    [DEMO, *sorted(DATA.glob("*.log")), *sorted((DATA / "formats").iterdir())],
    ids=lambda path: path.name,
)
@pytest.mark.parametrize("tz", [UTC, BERLIN], ids=["UTC", "Berlin"])
def test_every_fixture_counts_the_same(path: Path, tz: tzinfo) -> None:
    timeline = assert_same_counts([str(path)], tz=tz)
    assert timeline is not None


def test_the_tricky_lines_count_the_same_and_mean_what_they_say(tmp_path: Path) -> None:
    log = tmp_path / "tricky.log"
    log.write_text("\n".join(TRICKY) + "\n", encoding="utf-8")
    assert_same_tallies([str(log)])
    timeline, _ = counted([str(log)], True)
    assert timeline is not None
    assert timeline.sources["198.51.100.4"] == 3  # message repeated 3 (and 0) times
    # ::ffff:45.1.2.3 and the forged "from 6.6.6.6" user name among them, and a PAM failure whose pid then served
    # another client
    assert timeline.sources["45.1.2.3"] == 6
    assert "6.6.6.6" not in timeline.sources
    assert {"2001:db8::7", "010.1.2.3"} <= set(timeline.country_of)


@st.composite
def mutated_logs(draw: st.DrawFn) -> bytes:
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = []
    for _ in range(draw(st.integers(1, 40))):
        lines.append(mutated(rng, rng.choice(SEEDS), rng.choice((0, 0, 1, 2, 3))))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    return ending.join(lines) + draw(st.sampled_from([ending, b""]))


@pytest.mark.property
@settings(max_examples=examples(3), suppress_health_check=[HealthCheck.too_slow])
@given(mutated_logs(), st.sampled_from([2026, None, 1, 9999]), st.sampled_from([UTC, BERLIN, KATHMANDU]))
def test_mutated_logs_count_the_same(data: bytes, year: int | None, tz: tzinfo) -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "auth.log"
        log.write_bytes(data)
        stamp = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
        os.utime(log, (stamp, stamp))
        assert_same_tallies([str(log)], year=year, tz=tz)


@st.composite
def rule_books(draw: st.DrawFn) -> RuleBook:
    """The rule book with some kinds doing any actions at all, and its limits anywhere from tight to loose."""
    actions = list(RULES.actions)
    for index in draw(st.lists(st.integers(0, len(actions) - 1), max_size=len(actions))):
        actions[index] = Action(draw(st.integers(0, (1 << len(Action)) - 1)))
    seconds = st.sampled_from([0, 1, 30, 600]).map(lambda value: timedelta(seconds=value))
    return RuleBook(
        actions=tuple(actions),
        idle=draw(seconds),
        sweep=draw(seconds),
        max_pending=draw(st.sampled_from([1, 2, RULES.max_pending])),
        max_connections=draw(st.sampled_from([2, 3, 8, RULES.max_connections])),
        attack_failures=draw(st.integers(0, 6)),
        attack_names=draw(st.integers(1, 8)),
        attack_invalid_names=draw(st.integers(0, 3)),
        backwards=draw(seconds),
    )


@pytest.mark.property
@settings(max_examples=examples(3), suppress_health_check=[HealthCheck.too_slow])
@given(mutated_logs(), rule_books())
def test_both_readers_count_alike_by_any_rule_book(data: bytes, rules: RuleBook) -> None:
    """The scanner keeps no rule of its own: whatever the book says each kind does, and whatever its limits,
    both readers count every log alike."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "auth.log"
        log.write_bytes(data)
        assert_same_tallies([str(log)], rules=rules)


def test_a_changed_limit_changes_both_readers_counts(tmp_path: Path) -> None:
    # A PAM failure waits for the Failed line that echoes it; a connection quiet for the book's idle time is over
    # (sshd's LoginGraceTime ended it). With a book of 30 seconds the PAM failure counts at 06:00 and the Failed
    # line two minutes later is a new client of the reused pid: two attempts, where the default book counts one.
    log = tmp_path / "idle.log"
    log.write_text(
        "Nov 29 06:00:00 web sshd[7]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
        "ruser= rhost=203.0.113.7  user=root\n"
        "Nov 29 06:00:40 web sshd[8]: Connection closed by 198.51.100.1 port 9 [preauth]\n"
        "Nov 29 06:01:50 web sshd[8]: Connection closed by 198.51.100.1 port 9 [preauth]\n"
        "Nov 29 06:02:00 web sshd[7]: Failed password for root from 203.0.113.7 port 5 ssh2\n",
        encoding="utf-8",
    )
    quick = RULES._replace(idle=timedelta(seconds=30), sweep=timedelta(seconds=1))
    for rules, counted_at, attempts in ((RULES, "06:02", 1), (quick, "06:00", 2)):
        assert_same_tallies([str(log)], rules=rules)
        tally, _ = tallied([str(log)], True, rules=rules)
        first, failures, _ = tally.failures["203.0.113.7"]
        assert (f"{first:%H:%M}", failures) == (counted_at, attempts)


def test_the_scanner_refuses_a_rule_book_it_cannot_hold() -> None:
    for wrong in (
        RULES._replace(attack_names=0),
        RULES._replace(attack_names=256),
        RULES._replace(max_pending=0),
        RULES._replace(actions=RULES.actions[:-1]),
        RULES._replace(actions=(Action(1 << len(Action)), *RULES.actions[1:])),
    ):
        with pytest.raises(ValueError, match="rules"):
            native.NativeCount(600, UTC, 2026, datetime(2026, 11, 29, tzinfo=UTC), rules=wrong)
    assert len(RULES.actions) == len(EventKind)


@pytest.mark.property
@settings(max_examples=examples(2))
@given(st.ip_addresses(v=6), st.sampled_from(["compressed", "exploded", "upper"]))
def test_ipv6_addresses_in_any_spelling_count_the_same(address: IPv6Address, spelling: str) -> None:
    text = {"compressed": str(address), "exploded": address.exploded, "upper": str(address).upper()}[spelling]
    lines = [
        f"Nov 29 06:04:42 h sshd[1]: Failed password for root from {text} port 22 ssh2",
        f"Nov 29 06:04:43 h sshd[1]: Received disconnect from {text} port 22:11: Bye",
        f"Nov 29 06:04:43 h sshd[2]: pam_unix(sshd:auth): authentication failure; ruser= rhost={text}  user=x",
        "Nov 29 06:04:44 h sshd[2]: Connection closed by authenticating user x 192.0.2.1 port 1 [preauth]",
    ]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "auth.log"
        log.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert_same_counts([str(log)])


def test_counts_of_a_slice_seen_again_after_a_later_one_are_its_own(tmp_path: Path) -> None:
    # Two hosts a few seconds apart in one file: slice 06:00 is seen again after 06:10 was begun.
    lines = [
        "Dec  6 06:10:05 web-a sshd[1]: Failed password for root from 203.0.113.7 port 1 ssh2",
        "Dec  6 06:09:58 web-b sshd[2]: Failed password for admin from 198.51.100.9 port 2 ssh2",
        "Dec  6 06:10:07 web-a sshd[3]: Failed password for root from 203.0.113.8 port 3 ssh2",
        "Dec  6 06:09:59 web-b sshd[4]: Failed password for guest from 198.51.100.9 port 4 ssh2",
    ]
    log = tmp_path / "two-hosts.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_same_tallies([str(log)], workers=1)
    tally, _ = tallied([str(log)], True, workers=1)
    by_start = {start.strftime("%H:%M"): part for start, part in tally.slices.items()}
    assert by_start["06:00"].sources == {"198.51.100.9": 2}
    assert by_start["06:00"].users == {"admin": 1, "guest": 1}
    assert by_start["06:10"].sources == {"203.0.113.7": 1, "203.0.113.8": 1}
    assert by_start["06:10"].users == {"root": 2}


def test_every_month_name_and_no_other_is_read_as_one(tmp_path: Path) -> None:
    # One failure on the 6th of each month, and lines whose month is almost a name: not sshd lines of a date.
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    wrong = ["JAN", "jan", "Jam", "Fe ", "Sept", "Dez", "Mai", "Okt", "Nox", "Dec\t"]
    lines = [
        f"{month:3.4} {' 6' if index % 2 else '06'} 08:00:00 web sshd[{index}]: Failed password for root "
        f"from 203.0.113.{index + 1} port {1000 + index} ssh2"
        for index, month in enumerate(names + wrong)
    ]
    log = tmp_path / "months.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_same_tallies([str(log)], workers=1)
    tally, _ = tallied([str(log)], True, workers=1)
    assert sorted(start.month for start in tally.slices) == list(range(1, 13))


def test_a_slice_counted_in_again_long_after_its_last_line_adds_up(tmp_path: Path) -> None:
    # 40 ten-minute slices of 120 addresses each (more cells than the scanner keeps findable), then a second
    # failure from the same address and user in slices long gone: each address's two failures are one count.
    lines = []
    for pass_ in range(2):
        for slice_ in range(40):
            minute = slice_ * 10
            stamp = f"Dec  6 {minute // 60:02d}:{minute % 60:02d}:{pass_:02d}"
            for n in range(120):
                lines.append(
                    f"{stamp} web sshd[{pass_}{slice_:02d}{n:03d}]: Failed password for user{slice_}x{n} "
                    f"from 10.{slice_}.{n}.1 port {1000 + n} ssh2"
                )
        if pass_ == 0:
            lines.append("Dec  6 07:00:00 web sshd[9]: Failed password for root from 10.99.0.1 port 9 ssh2")
    log = tmp_path / "revisited.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_same_tallies([str(log)], workers=1)
    tally, _ = tallied([str(log)], True, workers=1)
    assert len(tally.slices) == 41
    for part in tally.slices.values():
        if "10.99.0.1" not in part.sources:
            assert set(part.sources.values()) == {2}
            assert set(part.users.values()) == {2}


def test_block_boundaries_do_not_matter() -> None:
    whole = native.NativeCount(600, UTC, 2026, datetime(2026, 12, 1, tzinfo=UTC))
    pieces = native.NativeCount(600, UTC, 2026, datetime(2026, 12, 1, tzinfo=UTC))
    data = DEMO.read_bytes()
    whole.feed(data)
    rng = random.Random(7)
    at = 0
    while at < len(data):
        step = rng.choice((1, 7, 113, 4096, 65536))
        pieces.feed(data[at : at + step])
        at += step
    whole.finish()
    pieces.finish()
    assert scanned(whole) == scanned(pieces)
    assert whole.lines == len(data.splitlines())


def test_a_log_mixing_local_and_utc_offset_stamps_compares_them_as_python_does(tmp_path: Path) -> None:
    # Berlin moves from +01:00 to +02:00 at 01:00 UTC on 2026-03-29; local and UTC-offset stamps
    # are compared by instant, local ones among themselves by wall clock.
    log = tmp_path / "mixed.log"
    log.write_text(
        "Mar 29 01:59:00 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n"
        "2026-03-29T01:30:00+00:00 h sshd[2]: Failed password for root from 192.0.2.1 port 1 ssh2\n"
        "Mar 29 03:01:00 h sshd[3]: Failed password for root from 192.0.2.1 port 1 ssh2\n"
        "2026-03-29T00:00:00Z h sshd[4]: Failed password for admin from 192.0.2.2 port 1 ssh2\n"
        "Mar 29 02:30:00 h sshd[5]: Failed password for admin from 192.0.2.2 port 1 ssh2\n",
        encoding="utf-8",
    )
    timeline = assert_same_counts([str(log)], tz=BERLIN)
    assert timeline is not None and timeline.distinct_addresses == 2
    warnings = counted([str(log)], True, tz=BERLIN)[1]
    assert len(warnings) == 1 and "time goes back 2 times" in warnings[0]


def test_standard_input_counts_as_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DEMO.read_bytes())))
    from_stdin = counted(["-"], True)
    assert from_stdin == counted([str(DEMO)], True)


def test_ranges_on_all_cores_count_as_the_python_reader_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranges, "PARALLEL_MIN_BYTES", 1)
    log = tmp_path / "auth.log"
    log.write_bytes(DEMO.read_bytes() * 2)
    assert_same_counts([str(log)], workers=2)
    one, _ = counted([str(log)], True, workers=1)
    two, _ = counted([str(log)], True, workers=2)
    assert one is not None and two is not None
    assert one == two  # a connection cut in two by the ranges is read on from one to the other (scan.join)


def test_ranges_cover_every_line_once(tmp_path: Path) -> None:
    log = tmp_path / "lines.log"
    lines = [f"line {index:03d}".encode() for index in range(100)]
    log.write_bytes(b"\n".join(lines) + b"\n")
    # 8: the line feed ending line 0; 18: the first byte of line 2; 19: inside it
    starts = [0, 8, 18, 19, 20, 450, len(log.read_bytes())]
    seen: list[bytes] = []
    for start, end in pairwise(starts):
        job = ranges.Job(str(log), start, end, 2026, datetime(2026, 12, 1, tzinfo=UTC))
        seen += b"".join(ranges.range_blocks(job)).splitlines()
    assert seen == lines
    first_range = ranges.Job(str(log), 0, 50, None, datetime.now(UTC))
    assert [line.encode() for line in ranges.range_lines(first_range)] == lines[:6]  # lines start at 0, 9, ..., 45


def test_a_truncated_compressed_file_warns_the_same(tmp_path: Path) -> None:
    import gzip

    packed = gzip.compress(DEMO.read_bytes())
    log = tmp_path / "auth.log.2.gz"
    log.write_bytes(packed[: len(packed) // 2])
    timeline = assert_same_counts([str(log)])
    assert timeline is not None
    warnings = counted([str(log)], True)[1]
    assert len(warnings) == 1 and "compressed data ends early" in warnings[0]
    assert LogSource(str(log)).compressed


def test_pam_failures_waiting_where_a_compressed_file_ends_early_count_alike(tmp_path: Path) -> None:
    import gzip

    lines = "".join(
        f"Nov 29 06:{minute:02}:00 web-1 sshd[{900 + minute}]: pam_unix(sshd:auth): authentication failure; "
        f"logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.{minute}  user=root\n"
        for minute in range(40)
    )
    packed = gzip.compress(lines.encode() * 50, compresslevel=1)
    log = tmp_path / "auth.log.3.gz"
    log.write_bytes(packed[: len(packed) * 3 // 4])
    timeline = assert_same_counts([str(log)])
    assert timeline is not None and sum(timeline.totals.values()) > 0  # the lines read before the damage count


def test_a_failing_part_stops_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    from honeycast.errors import InputError

    class Strict(SilentReporter):
        def warn(self, message: str) -> None:
            raise InputError(message)

    bad = tmp_path / "auth.log.2.gz"
    bad.write_bytes(gzip.compress(DEMO.read_bytes())[:5000])
    good = tmp_path / "auth.log"
    good.write_bytes(DEMO.read_bytes() * 4)
    outcomes: dict[str, str] = {}
    count = readers.NativeReader.count
    file_blocks = ranges.file_blocks

    def slowly(source: LogSource) -> Iterator[bytes]:  # the good file takes far longer than the broken one
        for block in file_blocks(source):
            for start in range(0, len(block), 1 << 16):
                if source.name == str(good):
                    time.sleep(0.01)
                yield block[start : start + (1 << 16)]

    monkeypatch.setattr(readers, "file_blocks", slowly)

    def recorded(self: readers.NativeReader, job: ranges.Job, *args: Any) -> readers.Segment:
        try:
            counted = count(self, job, *args)
        except BaseException as error:
            outcomes[Path(job.path).name] = type(error).__name__
            raise
        outcomes[Path(job.path).name] = "finished"
        return counted

    monkeypatch.setattr(readers.NativeReader, "count", recorded)
    with pytest.raises(InputError, match="compressed data ends early"):
        tally_logs(ReadOptions(logs=[str(bad), str(good)], year=2026, tz=UTC), 600, Strict(), workers=2)
    # The good file stops at its next block, or never starts if the broken one failed first.
    assert outcomes in ({"auth.log.2.gz": "InputError", "auth.log": "Stopped"}, {"auth.log.2.gz": "InputError"})


def test_lines_too_long_to_read_are_skipped_alike_and_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sshd = "Nov 29 06:04:42 web-1 sshd[100]: Failed password for root from 203.0.113.7 port 2222 ssh2"
    pieces = [
        sshd,
        "x" * MAX_LINE,  # as long as a line may be: read
        "y" * (MAX_LINE + 1),
        "é" * 100_000,  # 200 kB: too many characters, few enough bytes to be looked at
        "z" * 1_000_000,  # dropped while it is read
        sshd,
        "w" * 1_000_000,  # the last line, without its line feed
    ]
    log = tmp_path / "long.log"
    log.write_text("\n".join(pieces), encoding="utf-8")
    assert_same_tallies([str(log)])
    _, warnings = tallied([str(log)], True)
    assert warnings == [f"{log}: skipped 4 lines longer than 64 KiB"]
    data = log.read_bytes()
    whole = native.NativeCount(600, UTC, 2026, datetime(2026, 12, 1, tzinfo=UTC))
    whole.feed(data)
    whole.finish()
    whole_counts = scanned(whole)
    for step in (1000, 65_536, 300_001):  # overlong lines begun in one block and ended in a later one
        stepwise = native.NativeCount(600, UTC, 2026, datetime(2026, 12, 1, tzinfo=UTC))
        for at in range(0, len(data), step):
            stepwise.feed(data[at : at + step])
        stepwise.finish()
        assert scanned(stepwise) == whole_counts
    monkeypatch.setattr(ranges, "PARALLEL_MIN_BYTES", 1)  # ranges of the file, as a large one is cut
    for use_native in (True, False):
        tally, warnings = tallied([str(log)], use_native, workers=2)
        assert sum(tally.kinds.values()) == 2 and len(warnings) == 2  # each range warns of its own


def test_a_gigabyte_without_a_line_feed_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    import gzip
    import subprocess
    import sys

    log = tmp_path / "bomb.log.gz"
    with gzip.open(log, "wb", compresslevel=1) as stream:
        stream.write(b"Nov 29 06:04:42 web-1 sshd[100]: Failed password for root from 203.0.113.7 port 2222 ssh2\n")
        chunk = b"a" * (1 << 20)
        for _ in range(1024):
            stream.write(chunk)
        stream.write(b"\nNov 29 06:04:43 web-1 sshd[101]: Failed password for root from 203.0.113.7 port 2 ssh2\n")
    # The high-water mark of this process's own memory (/proc: ru_maxrss would carry the test runner's over exec).
    program = (
        "import re, sys\n"
        "from honeycast.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    print(int(re.search(r'VmHWM:\\s+(\\d+)', status)[1]) // 1024, file=sys.stderr)\n"
    )
    for command in (
        ["parse", str(log), "--year", "2026"],
        ["build", str(log), str(tmp_path / "s"), "--year", "2026", "--no-frames"],
    ):
        done = subprocess.run(
            [sys.executable, "-c", program, *command], capture_output=True, text=True, timeout=300,
            env={**os.environ, "COLUMNS": "300"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"{log}: skipped 1 line longer than 64 KiB" in done.stderr
        peak_mb = int(done.stderr.strip().splitlines()[-1])
        assert peak_mb < 400, f"{command[0]}: {peak_mb} MB"


def test_messages_that_end_where_the_line_ends_count_the_same(tmp_path: Path) -> None:
    """An empty message or a prefix alone, at a block's end and as the last line without a line feed."""
    lines = [
        "Nov 29 06:04:42 h sshd[1]: error: ",
        "Nov 29 06:04:42 h sshd[1]: ",
        "Nov 29 06:04:43 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2",
        "Nov 29 06:04:44 h sshd[1]: message repeated 2 times: [ ]",
        "Nov 29 06:04:44 h sshd[1]: error: ",
    ]
    log = tmp_path / "empty.log"
    log.write_text("\n".join(lines), encoding="utf-8")
    assert_same_tallies([str(log)])
    data = log.read_bytes()
    whole = native.NativeCount(600, UTC, 2026, datetime(2026, 12, 1, tzinfo=UTC))
    whole.feed(data)
    whole.finish()
    whole_counts = scanned(whole)
    for cut in (data.index(b"error: ") + 7, data.index(b"\n") + 1, len(data) - 1):
        pieces = native.NativeCount(600, UTC, 2026, datetime(2026, 12, 1, tzinfo=UTC))
        pieces.feed(data[:cut])
        pieces.feed(data[cut:])
        pieces.finish()
        assert scanned(pieces) == whole_counts


LIFECYCLE = r"""
import gc, sys, threading, weakref
from datetime import UTC, datetime
from honeycast import native
from honeycast._scan import Scanner
from honeycast.names import Named
from honeycast.rules import RULES

def refused(call, *args):
    try:
        call(*args)
    except RuntimeError as error:
        return str(error)
    raise AssertionError(f"{call.__name__} was allowed")

bare = Scanner.__new__(Scanner)
print(refused(bare.feed, b"x\n"))
print(refused(bare.finish))
print(refused(bare.result))
print(refused(bare.slices, [], []))

counter = native.NativeCount(600, UTC, 2026, datetime(2026, 11, 29))
scanner = counter._scanner
print(refused(scanner.__init__, 600, 0, (2026, 1, 1), None, None, None, None, None))
print(refused(scanner.result))
print(refused(scanner.slices, [], []))
scanner.feed(b"Nov 29 06:00:00 web-1 sshd[1]: Failed password for root from 203.0.113.9 port 2 ssh2\n")
scanner.finish()
print(refused(scanner.feed, b"x\n"))
scanner.finish()  # a second finish is harmless
result = counter.result()
scanner.slices(result.sources, result.users, result.host_names, dict)
print(refused(scanner.slices, result.sources, result.users, result.host_names, dict))
assert counter.result() == result
failures, names = {}, {}
scanner.tally_failures(0, result.sources, result.users, UTC, Named, failures, names)
assert failures["203.0.113.9"][1] == 1  # one failure of the one source
assert [one.user for one in names["203.0.113.9"]] == ["root"]  # the one name it tried
print(refused(scanner.result))
failures.clear()
names.clear()
scanner.tally_failures(0, result.sources, result.users, UTC, Named, failures, names)
assert failures == names == {}  # let go of

# A callback that re-enters its own scanner (as another thread could while the GIL is let go) is refused.
holder = {}
def header(raw):
    holder["scanner"].feed(b"\n")
scanner = Scanner(600, 2026, (2026, 11, 29), header, None, None, None, 0, None, native.book(RULES), 65536)
holder["scanner"] = scanner
try:
    scanner.feed(b"Nov 29 06:00:00 web-1 sshd[1]: " + b"y" * 70000 + b"\n")
except RuntimeError as error:
    print(error)
print(refused(scanner.feed, b"x\n"))  # an error leaves it broken, not half-counted

# Scanners hold bound methods of their owner: the cycle is collected.
gc.collect()
assert gc.is_tracked(native.NativeCount(600, UTC, 2026, datetime(2026, 11, 29))._scanner)
owners = [weakref.ref(native.NativeCount(600, UTC, 2026, datetime(2026, 11, 29))) for _ in range(200)]
gc.collect()
print(sum(owner() is not None for owner in owners), "alive")
"""


def test_the_scanner_refuses_calls_out_of_order_and_is_collected() -> None:
    # In a process of its own: a scanner used wrongly must raise, never take the interpreter down.
    done = subprocess.run([sys.executable, "-c", LIFECYCLE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Scanner.feed cannot be called before __init__",
        "Scanner.finish cannot be called before __init__",
        "Scanner.result cannot be called before __init__",
        "Scanner.slices cannot be called before __init__",
        "Scanner.__init__ cannot be called before finish()",
        "Scanner.result cannot be called before finish()",
        "Scanner.slices cannot be called before finish()",
        "Scanner.feed cannot be called after finish()",
        "Scanner.slices cannot be called after slices()",
        "Scanner.result cannot be called after tally_failures() took sources",
        "Scanner.feed: the scanner is busy in another call",
        "Scanner.feed cannot be called after an error",
        "0 alive",
    ]


def test_the_reader_is_an_option_that_travels_with_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    read = ReadOptions(logs=[], year=None, tz=UTC)
    assert read.counter().name == "native" and read.counter().threads
    python = ReadOptions(logs=[], year=None, tz=UTC, reader="python").counter()
    assert python.name == "python" and not python.threads
    with pytest.raises(ValueError, match="'fortran': expected auto or one of native, python"):
        ReadOptions(logs=[], year=None, tz=UTC, reader="fortran").counter()
    monkeypatch.setattr(native, "AVAILABLE", False)  # as where no compiler built the scanner
    assert read.counter().name == "python"
    with pytest.raises(ValueError, match="cannot run here"):
        ReadOptions(logs=[], year=None, tz=UTC, reader="native").counter()

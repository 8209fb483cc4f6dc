from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honeycast.events import EventKind
from honeycast.sshd import SshdParser, normalize_ip


def parse(line: str, year: int = 2026):
    return SshdParser(year, UTC).parse(line)


def test_failed_password_for_root() -> None:
    event = parse("Nov 29 06:04:42 web-1 sshd[2010]: Failed password for root from 8.8.8.8 port 41822 ssh2")
    assert event is not None
    assert event.kind is EventKind.FAILED
    assert (event.source_ip, event.source_port, event.user, event.method) == ("8.8.8.8", 41822, "root", "password")
    assert (event.host, event.program, event.pid, event.count, event.attempts) == ("web-1", "sshd", 2010, 1, 1)
    assert event.time == datetime(2026, 11, 29, 6, 4, 42, tzinfo=UTC)


def test_failed_for_invalid_user_strips_the_marker() -> None:
    event = parse(
        "Nov 29 06:01:12 h sshd[1]: Failed password for invalid user oracle from 61.177.172.19 port 50122 ssh2"
    )
    assert event is not None and event.user == "oracle" and event.kind is EventKind.FAILED


def test_user_name_holding_a_fake_address_does_not_move_the_attempt() -> None:
    line = (
        "Nov 29 06:12:03 h sshd[2044]: Failed password for invalid user admin from 6.6.6.6 port 22 ssh2"
        " from 185.220.101.4 port 39144 ssh2"
    )
    event = parse(line)
    assert event is not None
    assert event.source_ip == "185.220.101.4"
    assert event.source_port == 39144
    assert event.user == "admin from 6.6.6.6 port 22 ssh2"


def test_invalid_user_with_fake_address_in_name() -> None:
    event = parse("Nov 29 06:13:00 h sshd[7]: Invalid user x from 1.2.3.4 from 45.148.10.240 port 60001")
    assert event is not None
    assert (event.kind, event.user, event.source_ip) == (EventKind.INVALID_USER, "x from 1.2.3.4", "45.148.10.240")
    assert event.attempts == 0


def test_invalid_user_without_port() -> None:
    event = parse("Nov 29 06:13:00 h sshd[7]: Invalid user pi from 203.0.113.77")
    assert event is not None and event.source_port is None and event.user == "pi"


def test_message_repeated_counts_n() -> None:
    line = (
        "Nov 29 06:01:15 h sshd[2001]: message repeated 3 times: [ Failed password for invalid user oracle"
        " from 61.177.172.19 port 50122 ssh2]"
    )
    event = parse(line)
    assert event is not None
    assert (event.count, event.attempts, event.source_ip, event.user) == (3, 3, "61.177.172.19", "oracle")


def test_publickey_failure_with_fingerprint_tail() -> None:
    line = (
        "Nov 29 06:12:09 h sshd[1]: Failed publickey for git from 2a01:4f8:c17:1a2b::1 port 33570 ssh2: RSA SHA256:Jq3Z"
    )
    event = parse(line)
    assert event is not None
    assert (event.method, event.source_ip, event.source_port) == ("publickey", "2a01:4f8:c17:1a2b::1", 33570)


def test_accepted_login() -> None:
    line = (
        "Nov 29 06:41:07 h sshd[2101]: Accepted publickey for deploy from 198.51.100.23 port 52814 ssh2: ED25519 SHA256"
    )
    event = parse(line)
    assert event is not None
    assert (event.kind, event.user, event.attempts) == (EventKind.ACCEPTED, "deploy", 0)


def test_ipv4_mapped_ipv6_becomes_ipv4() -> None:
    event = parse("Nov 29 06:35:21 h sshd[1]: Failed password for root from ::ffff:45.148.10.240 port 51000 ssh2")
    assert event is not None and event.source_ip == "45.148.10.240"


def test_ipv6_is_canonicalised() -> None:
    assert normalize_ip("2A01:04F8:0C17:1A2B:0000:0000:0000:0001") == "2a01:4f8:c17:1a2b::1"
    assert normalize_ip("not-an-ip") is None


def test_sshd_session_program_name() -> None:
    event = parse("Nov 29 06:04:42 h sshd-session[9]: Failed password for root from 8.8.8.8 port 1 ssh2")
    assert event is not None and event.program == "sshd-session"


def test_single_digit_day_padding() -> None:
    event = parse("Nov  9 06:04:42 h sshd[9]: Failed password for root from 8.8.8.8 port 1 ssh2")
    assert event is not None and event.time.day == 9


def test_rfc3339_timestamp_keeps_its_offset() -> None:
    line = "2026-11-29T06:04:42.123456+01:00 h sshd[9]: Failed password for root from 8.8.8.8 port 1 ssh2"
    event = parse(line)
    assert event is not None
    assert event.time == datetime(2026, 11, 29, 6, 4, 42, 123456, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    "line",
    [
        "Nov 29 06:00:02 h CRON[1101]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        "Nov 29 06:01:16 h sshd[1]: Received disconnect from 61.177.172.19 port 50122:11: Bye Bye [preauth]",
        "Nov 29 06:04:40 h sshd[1]: pam_unix(sshd:auth): authentication failure; rhost=8.8.8.8  user=root",
        "Nov 29 06:04:42 h sshd[1]: Failed password for root from not.an.ip port 41822 ssh2",
        "Nov 29 06:04:42 h notsshd[1]: Failed password for root from 8.8.8.8 port 41822 ssh2",
        "Feb 30 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 41822 ssh2",
        "",
    ],
)
def test_lines_that_are_not_events(line: str) -> None:
    assert parse(line) is None


def test_yearless_log_crossing_new_year_moves_on() -> None:
    parser = SshdParser(2026, UTC)
    first = parser.parse("Dec 31 23:59:58 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2")
    second = parser.parse("Jan  1 00:00:03 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2")
    assert first is not None and second is not None
    assert (first.time.year, second.time.year) == (2026, 2027)
    assert second.time - first.time == timedelta(seconds=5)


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text: str) -> None:
    parse(text)
    parse("Nov 29 06:04:42 h sshd[1]: " + text)


@given(st.text(min_size=0, max_size=40))
def test_any_user_name_keeps_the_true_address(user: str) -> None:
    event = parse(f"Nov 29 06:04:42 h sshd[1]: Failed password for invalid user {user} from 8.8.4.4 port 2222 ssh2")
    if "\n" in user:
        return  # a line break in the name ends the line itself
    assert event is not None
    assert (event.source_ip, event.source_port, event.user) == ("8.8.4.4", 2222, user)

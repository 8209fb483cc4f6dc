from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from readers import tallied

from honeycast.events import AuthEvent, EventKind
from honeycast.geo import HOSTNAME
from honeycast.slicing import slice_key
from honeycast.sshd import SshdParser, normalize_ip
from honeycast.tally import Tally

K = EventKind
REFERENCE = datetime(2026, 12, 1, tzinfo=UTC)


def parser(year: int | None = None) -> SshdParser:
    return SshdParser(UTC, year=year, reference=REFERENCE)


def parse(line: str) -> AuthEvent | None:
    return parser().parse(line)


def parse_all(*lines: str) -> list[AuthEvent]:
    """Return the event of each line, then the records of what settles when the input ends (``SshdParser.settled``)."""
    one = parser()
    events = [one.parse(line) for line in lines]
    assert all(event is not None for event in events)
    one.finish()
    return [*events, *one.settled]  # type: ignore[list-item]


BOTH = pytest.mark.parametrize("reader", ["native", "python"])
"""A grammar case run on each reader: the native scanner reads the common shapes itself, the rest through sshd.py."""


def counted_by(reader: str, folder: Path, *lines: str) -> Tally:
    """Return the tally one reader counts of ``lines``."""
    log = folder / "auth.log"
    log.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    tally, _ = tallied([str(log)], reader == "native")
    return tally


def attempts_by_user(tally: Tally) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in tally.slices.values():
        for user, count in part.users.items():
            total[user] = total.get(user, 0) + count
    return total


def parse_stream(*lines: str) -> list[AuthEvent]:
    """Return the events of lines read as one input, with the settlements (count 0) each line and the end make."""
    one = parser()
    events: list[AuthEvent] = []
    for line in lines:
        event = one.parse(line)
        assert event is not None
        events.append(event)
        events.extend(one.settled)
        one.settled.clear()
    one.finish()
    return events + one.settled


def test_failed_password_for_root() -> None:
    event = parse("Nov 29 06:04:42 web-1 sshd[2010]: Failed password for root from 8.8.8.8 port 41822 ssh2")
    assert event is not None
    assert event.kind is K.FAILED
    assert (event.source_ip, event.source_port, event.user, event.method) == ("8.8.8.8", 41822, "root", "password")
    assert (event.host, event.program, event.pid, event.count, event.attempts) == ("web-1", "sshd", 2010, 1, 1)
    assert event.time == datetime(2026, 11, 29, 6, 4, 42, tzinfo=UTC)


# line (after "Nov 29 06:04:42 h sshd[7]: "), kind, source_ip, port, user
FAMILIES = [
    (
        "Failed password for invalid user oracle from 61.177.172.19 port 50122 ssh2",
        K.FAILED,
        "61.177.172.19",
        50122,
        "oracle",
    ),
    ("Failed none for invalid user x from 192.0.2.1 port 1 ssh2", K.FAILED, "192.0.2.1", 1, "x"),
    ("Failed keyboard-interactive/pam for root from 192.0.2.1 port 2 ssh2", K.FAILED, "192.0.2.1", 2, "root"),
    (
        'Failed hostbased for dan from 127.0.0.1 port 45785 ssh2: RSA 8c:e3, client user "dan", client host "h"',
        K.FAILED,
        "127.0.0.1",
        45785,
        "dan",
    ),
    (
        "Failed publickey for git from 2a01:4f8:c17:1a2b::1 port 33570 ssh2: RSA SHA256:Jq3Z",
        K.FAILED,
        "2a01:4f8:c17:1a2b::1",
        33570,
        "git",
    ),
    ("Invalid user pi from 203.0.113.77", K.INVALID_USER, "203.0.113.77", None, "pi"),
    ("Illegal user pi from 203.0.113.77 port 9", K.INVALID_USER, "203.0.113.77", 9, "pi"),
    (
        "Accepted publickey for deploy from 198.51.100.23 port 52814 ssh2: ED25519 SHA256:o",
        K.ACCEPTED,
        "198.51.100.23",
        52814,
        "deploy",
    ),
    ("User root from 192.0.2.9 not allowed because not listed in AllowUsers", K.NOT_ALLOWED, "192.0.2.9", None, "root"),
    ("User bob from 192.0.2.9 not allowed because listed in DenyUsers", K.NOT_ALLOWED, "192.0.2.9", None, "bob"),
    (
        "User bob from 192.0.2.9 not allowed because none of user's groups are listed in AllowGroups",
        K.NOT_ALLOWED,
        "192.0.2.9",
        None,
        "bob",
    ),
    ("ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4", K.ROOT_REFUSED, "1.2.3.4", None, "ROOT"),
    (
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.3  user=root",
        K.PAM_FAILURE,
        "192.0.2.3",
        None,
        "root",
    ),
    (
        "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.3  user=root",
        K.PAM_MORE,
        "192.0.2.3",
        None,
        "root",
    ),
    ("error: PAM: Authentication failure for stefanor from 192.0.2.4", K.PAM_FAILURE, "192.0.2.4", None, "stefanor"),
    (
        "error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]",
        K.MAX_ATTEMPTS,
        "61.0.0.1",
        49940,
        "root",
    ),
    (
        "Disconnecting authenticating user root 192.0.2.5 port 22: Too many authentication failures [preauth]",
        K.TOO_MANY_FAILURES,
        "192.0.2.5",
        22,
        "root",
    ),
    (
        "Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]",
        K.DISCONNECTED,
        "192.0.2.11",
        46039,
        "test 127.0.0.1 port 12345",
    ),
    ("Connection reset by 192.0.2.39 port 14282 [preauth]", K.DISCONNECTED, "192.0.2.39", 14282, None),
    ("Disconnected from invalid user  192.0.2.68 port 34916 [preauth]", K.DISCONNECTED, "192.0.2.68", 34916, ""),
    (
        "Received disconnect from 198.51.100.76 port 58846:11: Bye Bye [preauth]",
        K.RECEIVED_DISCONNECT,
        "198.51.100.76",
        58846,
        None,
    ),
    (  # no "[preauth]" from sshd, a port: the session's own process wrote it after a login
        "Received disconnect from 198.51.100.2 port 50000:11: disconnected by user",
        K.LOGOUT,
        "198.51.100.2",
        50000,
        None,
    ),
    (
        "Received disconnect from 94.249.236.6: 3: com.jcraft.jsch.JSchException: Auth fail",
        K.RECEIVED_DISCONNECT,
        "94.249.236.6",
        None,
        None,
    ),
    ("Did not receive identification string from 192.0.2.5 port 35836", K.NO_IDENTIFICATION, "192.0.2.5", 35836, None),
    (
        "Bad protocol version identification 'x' from 192.0.2.1' from 69.61.56.115 port 31778",
        K.BAD_PROTOCOL,
        "69.61.56.115",
        31778,
        None,
    ),
    (
        "banner exchange: Connection from 192.0.2.12 port 44105: invalid format",
        K.BAD_PROTOCOL,
        "192.0.2.12",
        44105,
        None,
    ),
    (
        "Unable to negotiate with 192.0.2.2 port 50404: no matching MAC found. Their offer: hmac-sha1",
        K.NEGOTIATION_FAILED,
        "192.0.2.2",
        50404,
        None,
    ),
    ("fatal: Timeout before authentication for 192.0.2.7 port 4242", K.TIMEOUT, "192.0.2.7", 4242, None),
    (
        "Address 1.2.3.4 maps to x.example.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
        K.REVERSE_MAPPING,
        "1.2.3.4",
        None,
        None,
    ),
    (
        "refused connect from x@::ffff:218.249.210.161 (::ffff:218.249.210.161)",
        K.REFUSED_CONNECT,
        "218.249.210.161",
        None,
        None,
    ),
    ('Connection from 192.0.2.10 port 62004 on 192.0.2.10 port 22 rdomain ""', K.CONNECTION, "192.0.2.10", 62004, None),
    ("Server listening on 0.0.0.0 port 22.", K.UNKNOWN, None, None, None),
]


@BOTH
@pytest.mark.parametrize(("message", "kind", "ip", "port", "user"), FAMILIES, ids=[f[1].value for f in FAMILIES])
def test_families(
    message: str, kind: EventKind, ip: str | None, port: int | None, user: str | None, reader: str, tmp_path: Path
) -> None:
    line = f"Nov 29 06:04:42 h sshd[7]: {message}"
    if reader == "python":
        event = parse(line)
        assert event is not None
        assert (event.kind, event.source_ip, event.source_port, event.user) == (kind, ip, port, user)
    tally = counted_by(reader, tmp_path, line)
    assert tally.kinds == {kind: 1}
    assert set(tally.country_of) == ({ip} if ip else set())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # a fake address in the user name
        (
            "Failed password for invalid user admin from 6.6.6.6 port 22 ssh2 from 185.220.101.4 port 39144 ssh2",
            "185.220.101.4",
        ),
        ("Invalid user x from 1.2.3.4 from 45.148.10.240 port 60001", "45.148.10.240"),
        ("Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2", "127.0.0.1"),
        # sshd writes nothing after "ssh2" for a password: the last "from … port … ssh2" is its own
        (
            "Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2",
            "10.10.1.2",
        ),
        ("Failed password for invalid user a from 8.8.8.8 port 22 ssh2: b from 45.1.2.3 port 9 ssh2", "45.1.2.3"),
        ("Failed password for invalid user a from 8.8.8.8 port 22: b from 45.1.2.3 port 9 ssh2", "45.1.2.3"),
        ("Failed keyboard-interactive/pam for a from 8.8.8.8 port 22 ssh2 from 45.1.2.3 port 9 ssh2", "45.1.2.3"),
        # a key method's information cannot hold a user name: its type is upper case
        ("Failed publickey for a from 8.8.8.8 port 22 ssh2: b from 45.1.2.3 port 9 ssh2: RSA SHA256:x", "45.1.2.3"),
        # closing lines carry no local address: " on A port N" belongs to the user name
        ("Disconnected from invalid user x 8.8.8.8 port 22 on 45.1.2.3 port 9 [preauth]", "45.1.2.3"),
        ("Disconnected from invalid user x 8.8.8.8 port 22 45.1.2.3 port 9 [preauth]", "45.1.2.3"),
        ("Connection closed by authenticating user root 8.8.8.8 port 22 45.1.2.3 port 9 [preauth]", "45.1.2.3"),
        ("maximum authentication attempts exceeded for x from 8.8.8.8 port 22 from 45.1.2.3 port 9 ssh2", "45.1.2.3"),
        (
            "message repeated 2 times: [ Failed password for x ] from 8.8.8.8 port 22 ssh2 from 45.1.2.3 port 9 ssh2]",
            "45.1.2.3",
        ),
        ("Failed password for user from 127.0.0.1 port 20000 ssh1: ruser XXXXXXXX from 1.2.3.4", "127.0.0.1"),
        # a fake address after the PAM rhost
        (
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.3  user=a rhost=6.6.6.6",
            "192.0.2.3",
        ),
    ],
)
@BOTH
def test_address_comes_from_sshds_tail_not_the_user_name(
    line: str, expected: str | None, reader: str, tmp_path: Path
) -> None:
    if reader == "python":
        event = parse(f"Nov 29 06:12:03 h sshd[2044]: {line}")
        assert event is not None and event.source_ip == expected
    tally = counted_by(reader, tmp_path, f"Nov 29 06:12:03 h sshd[2044]: {line}")
    assert set(tally.country_of) == {expected}


@pytest.mark.parametrize(
    "line",
    [
        # a certificate's ID or a hostbased client's names are the client's text: two readings remain
        "Failed publickey for a from 8.8.8.8 port 22 ssh2: RSA SHA256:x, from 45.1.2.3 port 9 ssh2: RSA SHA256:y",
        "Disconnecting authenticating user a 8.8.8.8 port 22: Change of username or service not allowed: (a 45.1.2.3 port 9: x,ssh-connection)",
    ],
)
@BOTH
def test_a_line_with_two_readings_is_counted_for_its_connection_or_no_address(
    line: str, reader: str, tmp_path: Path
) -> None:
    opened = "Nov 29 06:12:02 h sshd[2044]: Connection from 203.0.113.9 port 40000 on 10.0.0.1 port 22"
    alone = counted_by(reader, tmp_path, f"Nov 29 06:12:03 h sshd[2044]: {line}")
    assert (alone.country_of, alone.sshd_lines) == ({}, 1)
    after = counted_by(reader, tmp_path, opened, f"Nov 29 06:12:03 h sshd[2044]: {line}")
    assert set(after.country_of) == {"203.0.113.9"}
    if reader == "native":
        return
    one = parser()
    event = one.parse(f"Nov 29 06:12:03 h sshd[2044]: {line}")
    assert event is not None and (event.source_ip, event.source_host) == (None, None)
    assert one.two_ways == 1
    events = parse_stream(
        "Nov 29 06:12:02 h sshd[2044]: Connection from 203.0.113.9 port 40000 on 10.0.0.1 port 22",
        f"Nov 29 06:12:03 h sshd[2044]: {line}",
    )
    assert events[1].source_ip == "203.0.113.9"


@pytest.mark.parametrize(
    "user",
    [
        "with space",
        'quote"d',
        "it's",
        "[bracket]",
        "a]b[",
        "пользователь",
        "管理员",
        "<img src=x onerror=alert(1)>",
        "x:y",
    ],
)
@BOTH
def test_awkward_user_names_are_kept_whole(user: str, reader: str, tmp_path: Path) -> None:
    line = f"Nov 29 06:04:42 h sshd[1]: Failed password for invalid user {user} from 8.8.4.4 port 2222 ssh2"
    if reader == "python":
        event = parse(line)
        assert event is not None
        assert (event.user, event.source_ip, event.source_port) == (user, "8.8.4.4", 2222)
    tally = counted_by(reader, tmp_path, line)
    assert (attempts_by_user(tally), set(tally.country_of)) == ({user: 1}, {"8.8.4.4"})


@BOTH
def test_host_name_instead_of_address_is_kept_unresolved(reader: str, tmp_path: Path) -> None:
    line = "May 29 20:56:52 imago sshd[28732]: error: PAM: Authentication failure for stefanor from example.com"
    event = parse(line)
    assert event is not None
    assert (event.source_ip, event.source_host) == (None, "example.com")
    assert counted_by(reader, tmp_path, line).country_of == {"example.com": HOSTNAME}


def test_absurd_repeat_counts_and_pids_are_not_read_as_such() -> None:
    repeated = parse(
        "Nov 29 06:04:43 h sshd[1]: message repeated 1234567890 times: [ Failed password for root from 8.8.8.8 port 1 ssh2]"
    )
    assert repeated is not None and (repeated.kind, repeated.count) == (EventKind.UNKNOWN, 1)
    long_pid = parse("Nov 29 06:04:43 h sshd[1234567890123456789]: Failed password for root from 8.8.8.8 port 1 ssh2")
    assert long_pid is not None and long_pid.pid is None and long_pid.attempts == 1


def test_message_repeated_counts_n() -> None:
    line = (
        "Nov 29 06:01:15 h sshd[2001]: message repeated 3 times: [ Failed password for invalid user oracle"
        " from 61.177.172.19 port 50122 ssh2]"
    )
    event = parse(line)
    assert event is not None
    assert (event.count, event.attempts, event.source_ip, event.user) == (3, 3, "61.177.172.19", "oracle")


def test_pam_echo_and_summaries_add_nothing() -> None:
    prefix = "Nov 29 06:01:1{} h sshd[77]: "
    events = parse_all(
        prefix.format(0)
        + "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.3  user=root",
        prefix.format(1) + "Failed password for root from 192.0.2.3 port 5000 ssh2",
        prefix.format(2) + "message repeated 4 times: [ Failed password for root from 192.0.2.3 port 5000 ssh2]",
        prefix.format(3)
        + "error: maximum authentication attempts exceeded for root from 192.0.2.3 port 5000 ssh2 [preauth]",
        prefix.format(3)
        + "Disconnecting authenticating user root 192.0.2.3 port 5000: Too many authentication failures [preauth]",
        prefix.format(4)
        + "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.3  user=root",
    )
    assert [event.attempts for event in events] == [0, 1, 4, 0, 0, 0]
    assert not any(event.probe for event in events)


def test_pam_failures_without_failed_lines_count_when_the_connection_ends() -> None:
    prefix = "Mar  7 18:53:2{} bar sshd[1558]: "
    events = parse_stream(
        prefix.format(2)
        + "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=root rhost=192.0.2.114",
        prefix.format(3)
        + "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=known rhost=192.0.2.114",
        prefix.format(4) + "Accepted password for known from 192.0.2.114 port 52100 ssh2",
    )
    assert [event.attempts for event in events[:3]] == [0, 0, 0]
    settled = events[3:]
    # the failure for "known" belongs to its login; the one for "root" counts, at its own time
    assert [(event.attempts, event.count, event.user, event.time.second) for event in settled] == [(1, 0, "root", 22)]


def test_probe_is_a_connection_that_never_authenticated() -> None:
    events = parse_all(
        "Nov 29 06:13:00 h sshd[50]: Invalid user pi from 203.0.113.77 port 60001",
        "Nov 29 06:13:01 h sshd[50]: Received disconnect from 203.0.113.77 port 60001:11: Bye Bye [preauth]",
        "Nov 29 06:13:01 h sshd[50]: Disconnected from invalid user pi 203.0.113.77 port 60001 [preauth]",
        "Nov 29 06:13:02 h sshd[51]: Invalid user pi from 203.0.113.77 port 60002",
        "Nov 29 06:13:03 h sshd[51]: Failed password for invalid user pi from 203.0.113.77 port 60002 ssh2",
        "Nov 29 06:13:04 h sshd[51]: Connection closed by invalid user pi 203.0.113.77 port 60002 [preauth]",
        "Nov 29 06:13:05 h sshd[52]: Did not receive identification string from 203.0.113.78 port 1",
    )
    # A probe is decided when its connection is over (here: at the end of the input), as a record of no line of
    # its own (count 0) at the time and of the kind of the line that ended it.
    assert [event.probe for event in events if event.count] == [False] * 7
    probes = [(event.time.second, event.pid, event.kind, event.count) for event in events if event.probe]
    assert probes == [(1, 50, K.RECEIVED_DISCONNECT, 0), (5, 52, K.NO_IDENTIFICATION, 0)]
    assert sum(event.attempts for event in events) == 1


def test_a_connection_that_tries_after_its_end_line_is_no_probe() -> None:
    # A session's end, its login in a log read before: the logout after the lost connection says it had logged in.
    events = parse_all(
        "Nov 29 08:00:00 h sshd[60]: Connection closed by 198.51.100.2 port 50000",
        "Nov 29 08:00:00 h sshd[60]: Disconnected from user admin 198.51.100.2 port 50000",
    )
    assert not any(event.probe for event in events)


def test_lines_without_an_address_take_their_connections() -> None:
    events = parse_all(
        "Feb 12 04:09:18 localhost sshd[26713]: Connection from 115.249.163.77 port 51353 on 127.0.0.1 port 22",
        "Feb 12 04:09:21 localhost sshd[26713]: Disconnecting: Too many authentication failures [preauth]",
    )
    assert (events[1].kind, events[1].source_ip, events[1].source_port) == (
        K.TOO_MANY_FAILURES,
        "115.249.163.77",
        51353,
    )


def test_ipv6_is_canonicalised() -> None:
    assert normalize_ip("2A01:04F8:0C17:1A2B:0000:0000:0000:0001") == "2a01:4f8:c17:1a2b::1"
    assert normalize_ip("::ffff:45.148.10.240") == "45.148.10.240"
    assert normalize_ip("192.030.0.6") is None
    assert normalize_ip("not-an-ip") is None
    assert normalize_ip("fe80::1%eth0") == "fe80::1"  # the zone names the logging host's interface
    assert normalize_ip("::ff%B\ufffdH783") == "::ff"


@pytest.mark.parametrize(
    ("line", "program", "host", "pid"),
    [
        (
            "Nov 29 06:04:42 h sshd-session[9]: Failed password for root from 8.8.8.8 port 1 ssh2",
            "sshd-session",
            "h",
            9,
        ),
        (
            "Nov 29 06:04:42 h sshd(pam_unix)[9]: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=8.8.8.8",
            "sshd(pam_unix)",
            "h",
            9,
        ),
        ("Nov 29 06:04:42 sshd[8148]: Failed password for root from 8.8.8.8 port 1 ssh2", "sshd", "", 8148),
        (
            "Nov 29 06:04:42 [sshd]: User root from 8.8.8.8 not allowed because not listed in AllowUsers",
            "sshd",
            "",
            None,
        ),
        (
            "Nov 29 06:04:42 h sshd[9]: [ID 800047 auth.info] Failed keyboard-interactive for james from 8.8.8.8 port 5 ssh2",
            "sshd",
            "h",
            9,
        ),
    ],
)
@BOTH
def test_program_and_header_variants(
    line: str, program: str, host: str, pid: int | None, reader: str, tmp_path: Path
) -> None:
    if reader == "python":
        event = parse(line)
        assert event is not None and event.source_ip == "8.8.8.8"
        assert (event.program, event.host, event.pid) == (program, host, pid)
    tally = counted_by(reader, tmp_path, line)
    assert (set(tally.country_of), set(tally.spans), tally.sshd_lines) == ({"8.8.8.8"}, {host}, 1)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("Nov  9 06:04:42", datetime(2026, 11, 9, 6, 4, 42, tzinfo=UTC)),
        ("Nov 9 06:04:42", datetime(2026, 11, 9, 6, 4, 42, tzinfo=UTC)),
        ("Nov 09 06:04:42.250000", datetime(2026, 11, 9, 6, 4, 42, 250000, tzinfo=UTC)),
        (
            "2026-11-29T06:04:42.123456+01:00",
            datetime(2026, 11, 29, 6, 4, 42, 123456, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2026-11-29T06:04:42+0000", datetime(2026, 11, 29, 6, 4, 42, tzinfo=UTC)),
        ("2026-11-29T06:04:42Z", datetime(2026, 11, 29, 6, 4, 42, tzinfo=UTC)),
    ],
)
@BOTH
def test_timestamp_formats(stamp: str, expected: datetime, reader: str, tmp_path: Path) -> None:
    line = f"{stamp} h sshd[9]: Failed password for root from 8.8.8.8 port 1 ssh2"
    if reader == "python":
        event = parse(line)
        assert event is not None and event.time == expected
    tally = counted_by(reader, tmp_path, line)
    assert list(tally.slices) == [slice_key(expected, 600, UTC)]
    assert tally.spans["h"][0].first == expected


def test_rfc5424_with_structured_data() -> None:
    line = (
        '<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality tzKnown="1"]'
        '[xxx@123 test="[brackets]"] Failed unknown for invalid user redmond from 192.0.2.2 port 55555 ssh2'
    )
    event = parse(line)
    assert event is not None
    assert (event.host, event.pid, event.source_ip, event.user) == (
        "hostname.example.com",
        55555,
        "192.0.2.2",
        "redmond",
    )
    assert event.time.utcoffset() == timedelta(hours=-4)


def test_journald_json_record() -> None:
    line = (
        '{"__REALTIME_TIMESTAMP":"1796019882000000","_HOSTNAME":"bastion","SYSLOG_IDENTIFIER":"sshd-session",'
        '"_PID":"4242","MESSAGE":"Failed password for root from 8.8.8.8 port 22 ssh2"}'
    )
    event = parse(line)
    assert event is not None
    assert (event.host, event.program, event.pid, event.kind, event.source_ip) == (
        "bastion",
        "sshd-session",
        4242,
        K.FAILED,
        "8.8.8.8",
    )
    assert event.time == datetime.fromtimestamp(1796019882, UTC)


def test_journald_text_as_byte_values_is_read() -> None:
    """journalctl -o json writes a field that is not printable UTF-8 as an array of byte values: such a record is read,
    its bad bytes as U+FFFD (as in a syslog file), not dropped."""
    message = list(b"Failed password for invalid user r\xffot from 8.8.8.8 port 22 ssh2")
    line = json.dumps(
        {"__REALTIME_TIMESTAMP": "1796019882000000", "_HOSTNAME": list(b"bastion"), "SYSLOG_IDENTIFIER": "sshd",
         "_PID": "4242", "MESSAGE": message}
    )  # fmt: skip
    event = parse(line)
    assert event is not None
    assert (event.host, event.kind, event.user, event.source_ip) == ("bastion", K.FAILED, "r\ufffdot", "8.8.8.8")
    for bad in ([256], [-1], ["a"], [True]):  # not bytes: not a field honeycast reads
        assert parse(json.dumps({**json.loads(line), "MESSAGE": bad})) is None


@pytest.mark.parametrize(
    "line",
    [
        "Nov 29 06:00:02 h CRON[1101]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        "Nov 29 06:04:42 h notsshd[1]: Failed password for root from 8.8.8.8 port 41822 ssh2",
        "Feb 30 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 41822 ssh2",
        '{"MESSAGE": "Failed password for root from 8.8.8.8 port 1 ssh2", "SYSLOG_IDENTIFIER": "cron", "x": "sshd"}',
        "",
    ],
)
@BOTH
def test_lines_that_are_not_sshd_events(line: str, reader: str, tmp_path: Path) -> None:
    if reader == "python":
        assert parse(line) is None
    tally = counted_by(reader, tmp_path, line)
    assert (tally.sshd_lines, dict(tally.kinds), tally.slices) == (0, {}, {})


def test_yearless_year_comes_from_the_reference_time() -> None:
    assert (event := parse("Nov 29 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2"))
    assert event.time.year == 2026
    # December is after the reference (1 Dec 2026) in 2026, so a December line belongs to 2025.
    assert (event := parse("Dec 29 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2"))
    assert event.time.year == 2025


def test_yearless_log_crossing_new_year_moves_on() -> None:
    one = parser(year=2026)
    first = one.parse("Dec 31 23:59:58 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2")
    second = one.parse("Jan  1 00:00:03 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2")
    assert first is not None and second is not None
    assert (first.time.year, second.time.year) == (2026, 2027)
    assert second.time - first.time == timedelta(seconds=5)


@pytest.mark.property
@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text: str) -> None:
    parse(text)
    parse("Nov 29 06:04:42 h sshd[1]: " + text)
    parse('{"SYSLOG_IDENTIFIER":"sshd","MESSAGE":' + repr(text) + "}")


@pytest.mark.property
@given(st.text(max_size=40).filter(lambda user: "\n" not in user and "ssh" not in user))
def test_any_user_name_keeps_the_true_address(user: str) -> None:
    event = parse(f"Nov 29 06:04:42 h sshd[1]: Failed password for invalid user {user} from 8.8.4.4 port 2222 ssh2")
    assert event is not None
    assert (event.source_ip, event.source_port, event.user) == ("8.8.4.4", 2222, user)


REAL_LINES = [
    line
    for path in (
        "data/small-auth.log",
        "data/formats/classic.log",
        "data/formats/rfc3339.log",
        "data/formats/rfc5424.log",
    )
    for line in (Path(__file__).parent / path).read_text(encoding="utf-8").splitlines()
] + [f"Nov 29 06:04:42 h sshd[7]: {family[0]}" for family in FAMILIES]
_ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f:.]+")


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    line = draw(st.sampled_from(REAL_LINES))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        text = draw(
            st.sampled_from([" from 6.6.6.6 port 22 ssh2", " from ::1", "]", "[", ": ", " ", "\ufffd", "port ", ""])
            | st.text(max_size=8)
        )
        end = draw(st.integers(at, min(len(line), at + 10)))
        if action == "insert":
            line = line[:at] + text + line[at:]
        elif action == "delete":
            line = line[:at] + line[end:]
        else:
            line = line[:at] + text + line[end:]
    return line


@pytest.mark.property
@given(st.binary(max_size=400))
def test_any_bytes_parse_without_raising(data: bytes) -> None:
    parse(data.decode("utf-8", "replace"))


@pytest.mark.property
@given(mutated_lines())
def test_mutated_real_lines_never_raise_and_name_only_addresses_they_hold(line: str) -> None:
    event = parse(line)
    if event is None or event.source_ip is None:
        return
    assert normalize_ip(event.source_ip) == event.source_ip
    tokens = _ADDRESS_LIKE.findall(line)
    assert any(event.source_ip in (normalize_ip(token), normalize_ip(token.rstrip(":."))) for token in tokens), line

"""fail2ban's and sshguard's lines as bans and their ends, and what became of the attacks of the addresses banned."""

from __future__ import annotations

import ipaddress
import json
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from files import DEMO, DEMO_FAIL2BAN
from test_fail2ban import annotated, corpus  # noqa: F401  (the corpus fixture: fail2ban's own test logs)
from typer.testing import CliRunner

from honeycast.build import BuildResult
from honeycast.cli import app
from honeycast.defences import Action, Block, DefenceEvent, Defended, blocks_of, defence_event, defended

T0 = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def test_every_ban_and_unban_in_fail2bans_own_test_log(corpus: Path) -> None:  # noqa: F811
    """fail2ban's recidive filter reads fail2ban's own log: every line it annotates as a ban is one here, of the
    address and at the time it names, in every layout (own log, [pid], padding, syslog, journal with and
    without the daemon's name); each Unban line ends one."""
    checked = 0
    for annotation, line in annotated(corpus / "recidive"):
        event = defence_event(line, 2004 if line.startswith("Sep") else 2005, UTC)
        if "Unban" in line:
            assert event is not None and event.action is Action.unban, line
            continue
        if not annotation.get("match"):
            continue
        assert event is not None and event.action is Action.ban, line
        assert event.network == ipaddress.ip_network(str(annotation["host"])), line
        assert event.time.replace(tzinfo=None) == datetime.fromisoformat(str(annotation["time"])), line
        assert event.tool == "fail2ban" and event.until is None
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize(
    ("line", "network", "until"),
    [
        ('Nov 29 06:01:02 web-1 sshguard[377]: Blocking "203.0.113.7/32" for 120 secs (3 attacks in 5 secs, '
         "after 1 abuses over 5 secs.)", "203.0.113.7/32", 120),
        ('Nov 29 06:01:02 web-1 sshguard[377]: Blocking "203.0.113.9/24" forever (3 attacks in 5 secs, after 4 '
         "abuses over 900 secs.)", "203.0.113.0/24", None),
        ('Nov 29 06:01:02 web-1 sshguard[377]: Blocking "2001:db8::5/64" for 240 secs (3 attacks in 2 secs, after '
         "2 abuses over 60 secs.)", "2001:db8::/64", 240),
    ],
)  # fmt: skip
def test_sshguards_blocks_with_their_length(line: str, network: str, until: int | None) -> None:
    event = defence_event(line, 2026, UTC)
    assert event is not None and event.tool == "sshguard" and event.action is Action.ban
    assert event.network == ipaddress.ip_network(network)
    assert event.time == T0 + timedelta(minutes=1, seconds=2)
    assert event.until == (None if until is None else event.time + timedelta(seconds=until))


@pytest.mark.parametrize(
    "line",
    [
        # An attacker's user name may say anything: only fail2ban's or sshguard's own lines count.
        "Nov 29 06:01:02 web-1 sshd[1]: Invalid user fail2ban.actions: NOTICE [sshd] Ban 6.6.6.6 from 1.2.3.4 port 9",
        'Nov 29 06:01:02 web-1 sshd[1]: Invalid user sshguard[1]: Blocking "6.6.6.6/32" forever ( from 1.2.3.4 port 9',
        "2026-11-29 06:01:02,123 fail2ban.actions [1]: NOTICE [sshd] Ban 6.6.6.6 port 22",
        "2026-11-29 06:01:02,123 fail2ban.filter [1]: INFO [sshd] Found 6.6.6.6 - 2026-11-29 06:01:01",
        "2026-11-29 06:01:02,123 fail2ban.actions [1]: NOTICE [sshd] Ban 999.1.1.1",
        "Feb 30 06:01:02 web-1 fail2ban.actions[1]: NOTICE [sshd] Ban 6.6.6.6",
        'Nov 29 06:01:02 web-1 sshguard[377]: Attack from "6.6.6.6" on service 100 with danger 10.',
    ],
)
def test_other_lines_are_no_bans(line: str) -> None:
    assert defence_event(line, 2026, UTC) is None


def ban(minutes: float, network: str, action: Action = Action.ban, **more: object) -> DefenceEvent:
    return DefenceEvent(
        T0 + timedelta(minutes=minutes), action, ipaddress.ip_network(network), str(more.pop("tool", "fail2ban")),
        str(more.pop("jail", "sshd")), **more,  # type: ignore[arg-type]
    )  # fmt: skip


def test_bans_pair_with_their_unbans() -> None:
    events = [
        ban(10, "198.51.100.7/32"),
        ban(11, "198.51.100.7/32"),  # logged twice: one block
        ban(20, "198.51.100.7/32", Action.unban),
        ban(30, "198.51.100.7/32"),  # banned again: a second block, never lifted in these logs
        ban(5, "203.0.113.0/24", tool="sshguard", jail="sshguard", until=T0 + timedelta(minutes=7)),
        ban(40, "192.0.2.1/32", Action.unban),  # an unban of a ban before the logs began: no block
    ]
    assert blocks_of(events) == [
        Block(ipaddress.ip_network("203.0.113.0/24"), "sshguard", "sshguard", T0 + timedelta(minutes=5),
              T0 + timedelta(minutes=7)),
        Block(ipaddress.ip_network("198.51.100.7/32"), "fail2ban", "sshd", T0 + timedelta(minutes=10),
              T0 + timedelta(minutes=20)),
        Block(ipaddress.ip_network("198.51.100.7/32"), "fail2ban", "sshd", T0 + timedelta(minutes=30), None),
    ]  # fmt: skip


def test_attempts_before_during_and_after_the_blocks() -> None:
    """Counted by hand: 198.51.100.7 tries 3 times, is banned at 10 min (8 min after its first try), leaks 2
    attempts through the ban, comes back with 4 after the unban at 20 min, and is banned again at 30 min (1 more
    attempt leaks); 203.0.113.9 is caught by sshguard's /24 block; 192.0.2.50 was never banned."""
    blocks = blocks_of([
        ban(10, "198.51.100.7/32"), ban(20, "198.51.100.7/32", Action.unban), ban(30, "198.51.100.7/32"),
        ban(5, "203.0.113.0/24", tool="sshguard", jail="sshguard", until=T0 + timedelta(minutes=7)),
    ])  # fmt: skip

    def at(minutes: float, count: int = 1) -> tuple[datetime, int]:
        return T0 + timedelta(minutes=minutes), count

    attempts = {
        "198.51.100.7": [at(2), at(4, 2), at(12), at(15), at(21, 3), at(25), at(31)],
        "203.0.113.9": [at(1), at(6), at(8)],
        "192.0.2.50": [at(3)],
    }
    assert defended(blocks, attempts) == [
        Defended("198.51.100.7", T0 + timedelta(minutes=10), before=3, seconds_to_block=480.0, leaked=3,
                 came_back=4, first_attempt=at(2)[0]),
        Defended("203.0.113.9", T0 + timedelta(minutes=5), before=1, seconds_to_block=240.0, leaked=1, came_back=1,
                 first_attempt=at(1)[0]),
    ]  # fmt: skip


MIXED = """\
Nov 29 06:00:01 web-1 sshd[100]: Failed password for root from 198.51.100.7 port 40000 ssh2
Nov 29 06:00:02 web-1 CRON[5]: pam_unix(cron:session): session opened for user root
Nov 29 06:00:03 web-1 fail2ban.actions[812]: NOTICE [sshd] Ban 198.51.100.7
Nov 29 06:00:04 web-1 sshd[101]: Invalid user fail2ban.actions[1]: NOTICE [sshd] Ban 6.6.6.6 from 192.0.2.9 port 4
2026-11-29T06:00:05+00:00 web-1 fail2ban-server[812]: fail2ban.actions        [812]: NOTICE  [sshd] Unban 198.51.100.7
Nov 29 06:00:06 web-1 sshguard[377]: Blocking "203.0.113.9/24" for 120 secs (3 attacks in 5 secs, after 1 abuses over 5 secs.)
Nov 29 06:00:07 web-1 sshguard[377]: Attack from "203.0.113.9" on service 100 with danger 10.
2026-11-29 06:00:08,123 fail2ban.actions        [812]: NOTICE  [sshd] Restore Ban 198.51.100.7
Nov 29 06:00:09 web-1 sshd[102]: Failed password for invalid user sshguard[1]: Blocking "6.6.6.6/32" forever ( from 192.0.2.10 port 5 ssh2
{"__REALTIME_TIMESTAMP":"1795932010000000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"fail2ban-server","_PID":"812","MESSAGE":"fail2ban.actions        [812]: NOTICE  [sshd] Ban 192.0.2.77"}
{"__REALTIME_TIMESTAMP":"1795932011000000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"sshguard","_PID":"377","MESSAGE":"Blocking \\"2001:db8::5/64\\" for 240 secs (3 attacks in 2 secs, after 2 abuses over 60 secs.)"}
{"__REALTIME_TIMESTAMP":"1795932011000000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"sshd","_PID":"103","MESSAGE":"Invalid user sshguard[1]: Blocking \\"6.6.6.6/32\\" forever ( from 192.0.2.11 port 6"}
<37>1 2026-11-29T06:00:12.250000+00:00 web-1 fail2ban.actions 812 - - NOTICE [sshd] Unban 192.0.2.77
<37>1 2026-11-29T06:00:13Z web-1 sshguard 377 - - Blocking "198.51.100.0/24" forever (3 attacks in 2 secs, after 2 abuses over 60 secs.)
<37>1 2026-11-29T06:00:14Z web-1 sshd 104 - - Invalid user fail2ban.actions: NOTICE [sshd] Ban 6.6.6.6 from 192.0.2.12 port 7
Nov 29 06:00:15 wéb-1 fail2ban.actions[812]: NOTICE [sshd] Ban 192.0.2.88
Nov 9 06:00:16 web-1 fail2ban.actions[812]: NOTICE [sshd] Ban 192.0.2.89
2026-11-29 06:00:17 fail2ban.actions        [812]: NOTICE  [sshd] Ban 192.0.2.90
"""


@pytest.mark.parametrize("use_native", [True, False])
def test_both_readers_find_the_bans_among_the_lines(use_native: bool, tmp_path: Path) -> None:
    """fail2ban's and sshguard's lines among sshd's, in every header (syslog, fail2ban's own, journal records,
    RFC 5424, and headers the native scanner does not read itself): found by either reader, the same; an attacker's
    user name that reads like one is no ban."""
    from readers import assert_same_tallies, tallied

    log = tmp_path / "auth.log"
    log.write_text(MIXED, encoding="utf-8")
    assert_same_tallies([str(log)])
    tally, _ = tallied([str(log)], use_native)
    found = sorted((one.time.isoformat(), one.action.value, str(one.network), one.restored) for one in tally.defences)
    assert found == [
        ("2026-11-09T06:00:16+00:00", "ban", "192.0.2.89/32", False),  # a day of one digit after one space
        ("2026-11-29T06:00:03+00:00", "ban", "198.51.100.7/32", False),
        ("2026-11-29T06:00:05+00:00", "unban", "198.51.100.7/32", False),
        ("2026-11-29T06:00:06+00:00", "ban", "203.0.113.0/24", False),
        ("2026-11-29T06:00:08+00:00", "ban", "198.51.100.7/32", True),
        ("2026-11-29T06:00:10+00:00", "ban", "192.0.2.77/32", False),  # journalctl -o json
        ("2026-11-29T06:00:11+00:00", "ban", "2001:db8::/64", False),
        ("2026-11-29T06:00:12.250000+00:00", "unban", "192.0.2.77/32", False),  # RFC 5424
        ("2026-11-29T06:00:13+00:00", "ban", "198.51.100.0/24", False),
        ("2026-11-29T06:00:15+00:00", "ban", "192.0.2.88/32", False),  # a host of other than ASCII
        ("2026-11-29T06:00:17+00:00", "ban", "192.0.2.90/32", False),  # fail2ban's own log without milliseconds
    ]
    assert tally.kinds["failed"] == 2 and tally.kinds["invalid_user"] == 3  # the sshd lines count as before


FAILED = re.compile(
    r"^(?P<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) \S+ sshd\[\d+\]: (?:message repeated (?P<times>\d+) times: \[ )?"
    r"Failed \S+ for .*? from (?P<address>\S+) port \d+"
)
BAN = re.compile(
    r"^(?P<time>\S+ \S+),\d+ fail2ban\.actions\s+\[\d+\]: NOTICE\s+\[sshd\] (?P<what>Ban|Unban) (?P<address>\S+)$"
)


@pytest.fixture(scope="module")
def demo_defended(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("defended") / "site"
    result = CliRunner().invoke(app, ["build", str(DEMO), str(DEMO_FAIL2BAN), str(out), "--year", "2026", "--tz", "UTC",
                                      "--no-frames", "--size", "640x360"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "data" / "slices.json").read_text(encoding="utf-8")), result.stdout


def test_the_demo_days_defences_agree_with_a_count_by_hand(demo_defended: tuple[dict[str, Any], str]) -> None:
    """The demo day and its fail2ban log, counted here from their text alone: each address's failed attempts
    (a "message repeated N times" line is N), each ban to the next unban; then per address banned its attempts
    before its first ban, while banned, and after a ban ended (one in the very second of a ban or unban counts as
    before it), and the time from its first attempt to its ban."""
    document, output = demo_defended
    attempts: dict[str, list[tuple[datetime, int]]] = {}
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        found = FAILED.match(line)
        if found:
            at = datetime.strptime(f"2026 {found['time']}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
            attempts.setdefault(found["address"], []).append((at, int(found["times"] or 1)))
    blocks: dict[str, list[list[datetime | None]]] = {}
    for line in DEMO_FAIL2BAN.read_text(encoding="utf-8").splitlines():
        found = BAN.match(line)
        assert found, line
        at = datetime.strptime(found["time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        if found["what"] == "Ban":
            blocks.setdefault(found["address"], []).append([at, None])
        else:
            blocks[found["address"]][-1][1] = at
    before = leaked = came_back = 0
    leaking, returning, waits = Counter[str](), Counter[str](), []
    for address, spans in blocks.items():
        times = attempts.get(address, [])
        if not times:
            continue
        first_ban = spans[0][0]
        assert first_ban is not None
        if times[0][0] <= first_ban:
            waits.append((first_ban - times[0][0]).total_seconds())
        for at, count in times:  # an attempt in the second of a ban or an unban: before it
            if at <= first_ban:
                before += count
            elif any(start < at and (end is None or at <= end) for start, end in spans):  # type: ignore[operator]
                leaked += count
                leaking[address] += count
            else:
                came_back += count
                returning[address] += count
    found = document["defences"]
    banned = [address for address in blocks if address in attempts]
    assert found["tools"] == ["fail2ban"]
    assert found["banned_addresses"] == len(banned)
    assert found["attacking_addresses"] == len(attempts)
    assert found["attempts"] == sum(count for times in attempts.values() for _, count in times) == document["attempts"]
    assert found["banned_attempts"] == before + leaked + came_back
    assert found["median_seconds_to_ban"] == statistics.median(waits)
    assert (found["leaked_attempts"], found["leaked_addresses"]) == (leaked, len(leaking))
    assert (found["came_back_attempts"], found["came_back_addresses"]) == (came_back, len(returning))
    assert [[address, n] for address, _, n in found["leaked"]] == [
        [address, n] for address, n in sorted(leaking.items(), key=lambda item: (-item[1], item[0]))[:20]
    ]
    assert sum(found["banned_by_country"].values()) == len(banned)
    assert f"{len(banned):,} of {len(attempts):,} attacking addresses banned" in output


def test_without_bans_among_the_logs_nothing_of_defences_appears(small_site: BuildResult) -> None:
    document = json.loads((small_site.out / "data" / "slices.json").read_text(encoding="utf-8"))
    assert document["defences"] is None and small_site.defences is None


def test_a_ban_logged_by_a_host_of_any_name_is_read_again_the_next_night(tmp_path: Path) -> None:
    """A syslog host field is the log's text, as long as the line: the history keeps who wrote a ban under a name
    it reads back, and the next night reads on from there (the ban not counted twice)."""
    host = "h" * 400
    first, second, out = tmp_path / "1.log", tmp_path / "2.log", tmp_path / "site"
    first.write_text(
        f"Nov 29 06:00:01 {host} sshd[100]: Failed password for root from 198.51.100.7 port 40000 ssh2\n"
        f"Nov 29 06:00:02 {host} fail2ban.actions[812]: NOTICE [sshd] Ban 198.51.100.7\n"
    )
    second.write_text(f"Nov 29 06:00:09 {host} sshd[101]: Failed password for root from 198.51.100.7 port 40001 ssh2\n")
    common = ["--year", "2026", "--tz", "UTC", "--no-frames", "--size", "320x180"]
    for logs, more in (([first], []), ([first, second], ["--append"])):
        result = CliRunner().invoke(app, ["build", *map(str, logs), str(out), *common, *more])
        assert result.exit_code == 0, result.output
    document = json.loads((out / "data" / "slices.json").read_text())["defences"]
    assert (document["blocks"], document["leaked_attempts"]) == (0, 1)  # last night's ban, not begun again

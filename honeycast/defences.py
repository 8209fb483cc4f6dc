"""What fail2ban and sshguard wrote about the addresses they blocked: bans and their ends, as events. No I/O.

fail2ban writes its own log (``/var/log/fail2ban.log``), or to syslog or the journal with ``logtarget``::

    2026-11-29 06:01:02,123 fail2ban.actions        [812]: NOTICE  [sshd] Ban 203.0.113.7
    2026-11-29 06:11:02,456 fail2ban.actions        [812]: NOTICE  [sshd] Unban 203.0.113.7
    2026-11-29 07:00:00,001 fail2ban.actions        [812]: NOTICE  [sshd] Restore Ban 203.0.113.7
    Nov 29 06:01:02 web-1 fail2ban.actions[812]: NOTICE [sshd] Ban 203.0.113.7
    Nov 29 06:01:02 web-1 fail2ban-server[812]: fail2ban.actions        [812]: NOTICE  [sshd] Ban 203.0.113.7

(older releases: ``fail2ban.actions: WARNING [ssh] Ban …``). sshguard logs to syslog (``blocker.c``)::

    Nov 29 06:01:02 web-1 sshguard[377]: Blocking "203.0.113.7/32" for 120 secs (3 attacks in 5 secs, …)
    Nov 29 06:01:02 web-1 sshguard[377]: Blocking "203.0.113.0/24" forever (3 attacks in 5 secs, …)

and logs the end of a block only at debug level, so a block of N seconds is taken to end N seconds after it
began (sshguard lifts it at its next check, a few seconds to half the block later).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from .sshd import normalize_ip


class Action(StrEnum):
    ban = "ban"
    unban = "unban"


@dataclass(frozen=True, slots=True)
class DefenceEvent:
    """A block that began or ended: of one address (fail2ban) or a network of them (sshguard's subnet blocks)."""

    time: datetime
    action: Action
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    tool: str
    """``fail2ban`` or ``sshguard``."""
    jail: str
    """fail2ban's jail (``sshd``), or ``sshguard``."""
    until: datetime | None = None
    """When a block said to last N seconds ends (sshguard); None when its end is logged, or it lasts forever."""
    restored: bool = False
    """fail2ban's ``Restore Ban``: a ban of an earlier run, put back when fail2ban started."""


_OWN_STAMP = r"(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)?"
_SYSLOG_STAMP = (
    r"(?:(?P<month>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d)"
    r"|(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:?\d\d)?)) \S+"
)
_FAIL2BAN = re.compile(
    rf"^(?:{_OWN_STAMP}|{_SYSLOG_STAMP}(?: fail2ban-server\[\d+\]:)?) fail2ban\.actions\s*(?:\[\d+\])?:\s+"
    r"[A-Z]+\s+\[(?P<jail>[^\]\s]{1,64})\]\s+(?P<action>Restore Ban|Ban|Unban) (?P<address>[0-9A-Fa-f:.]{2,45})\s*$"
)
_SSHGUARD = re.compile(
    rf"^{_SYSLOG_STAMP} sshguard\[\d+\]: Blocking \"(?P<address>[0-9A-Fa-f:.]{{2,45}})/(?P<prefix>\d{{1,3}})\" "
    r"(?:for (?P<seconds>\d{1,10}) secs|forever) \("
)
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
)}  # fmt: skip

MARKERS = (b"fail2ban.actions", b"sshguard[")
"""Bytes every line this module reads holds: inputs without them hold none (a fast test of a whole block)."""


def defence_event(line: str, year: int, tz: tzinfo) -> DefenceEvent | None:
    """Return the ban or unban a fail2ban or sshguard line records, or None for any other line. A syslog
    timestamp (no year) is of ``year``; any timestamp without a zone is in ``tz``."""
    found = _FAIL2BAN.match(line)
    tool = "fail2ban"
    if found is None:
        found = _SSHGUARD.match(line)
        tool = "sshguard"
        if found is None:
            return None
    time = _time(found, year, tz)
    if time is None:
        return None
    address = normalize_ip(found["address"])
    if address is None:
        return None
    if tool == "fail2ban":
        action = Action.unban if found["action"] == "Unban" else Action.ban
        network = ipaddress.ip_network(address)
        return DefenceEvent(time, action, network, tool, found["jail"], restored=found["action"] == "Restore Ban")
    try:
        network = ipaddress.ip_network(f"{address}/{found['prefix']}", strict=False)
    except ValueError:
        return None
    seconds = found["seconds"]
    until = None if seconds is None else time + timedelta(seconds=int(seconds))
    return DefenceEvent(time, Action.ban, network, tool, "sshguard", until=until)


def _time(found: re.Match[str], year: int, tz: tzinfo) -> datetime | None:
    try:
        if found.re.groupindex.get("stamp") and found["stamp"] is not None:
            return datetime.strptime(found["stamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
        if found["iso"] is not None:  # RFC 3339: its own offset, or the build's zone
            moment = datetime.fromisoformat(found["iso"].replace("Z", "+00:00"))
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
        hour, minute, second = (int(part) for part in found["clock"].split(":"))
        return datetime(year, _MONTHS[found["month"]], int(found["day"]), hour, minute, second, tzinfo=tz)
    except (KeyError, ValueError):  # a month that is none, 31 Feb
        return None


@dataclass(frozen=True, slots=True)
class Block:
    """One block of an address or network, from its ban to its end (None: lasting past the logs, or forever)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    tool: str
    jail: str
    start: datetime
    end: datetime | None
    restored: bool = False


def blocks_of(events: list[DefenceEvent]) -> list[Block]:
    """Return the blocks the events make, in the order they began: each ban ends at the next unban of the same
    network in the same jail (or at the end sshguard said it would have); a ban of a network already banned
    there (fail2ban restarted, or logged twice) begins no second block."""
    open_blocks: dict[tuple[str, str, object], DefenceEvent] = {}
    made: list[Block] = []
    for event in sorted(events, key=lambda one: (one.time, one.action != Action.unban)):
        key = (event.tool, event.jail, event.network)
        if event.action is Action.ban:
            if key not in open_blocks:
                if event.until is not None:
                    made.append(Block(event.network, event.tool, event.jail, event.time, event.until, event.restored))
                else:
                    open_blocks[key] = event
            continue
        began = open_blocks.pop(key, None)
        if began is not None:
            made.append(Block(began.network, began.tool, began.jail, began.time, event.time, began.restored))
    made.extend(Block(one.network, one.tool, one.jail, one.time, None, one.restored) for one in open_blocks.values())
    return sorted(made, key=lambda one: (one.start, str(one.network), one.jail))


@dataclass(frozen=True, slots=True)
class Defended:
    """What became of one address's attacks once a block covered it."""

    address: str
    first_block: datetime
    before: int
    """Attempts before its first block began."""
    seconds_to_block: float | None
    """From its first attempt to its first block (None: blocked before it tried, as a restored ban may be)."""
    leaked: int
    """Attempts while a block covered it: the block did not hold (another port, another jail, IPv6, a rule late)."""
    came_back: int
    """Attempts after a block of it ended, while none covered it."""


def defended(blocks: list[Block], attempts: dict[str, list[tuple[datetime, int]]]) -> list[Defended]:
    """Return, per address some block covered, its attempts before, during and after its blocks
    (``attempts``: per address, (time, attempts) of each line that added some, in time order)."""
    found = []
    for address, times in sorted(attempts.items()):
        parsed = ipaddress.ip_address(address)
        covering = [one for one in blocks if parsed.version == one.network.version and parsed in one.network]
        if not covering:
            continue
        first_block = min(one.start for one in covering)
        before = leaked = came_back = 0
        for at, count in times:
            if at < first_block:
                before += count
            elif any(one.start <= at and (one.end is None or at < one.end) for one in covering):
                leaked += count
            else:
                came_back += count
        first_attempt = times[0][0] if times else None
        to_block = None if first_attempt is None or first_attempt > first_block else (first_block - first_attempt)
        found.append(
            Defended(address, first_block, before, None if to_block is None else to_block.total_seconds(), leaked,
                     came_back)
        )  # fmt: skip
    return found

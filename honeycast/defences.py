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

and logs the end of a block (``…: unblocking after N secs``, of the attacker's address, not the block) at debug
level in some releases, at notice level in others; it is not read: a block of N seconds is taken to end N seconds
after it began (sshguard lifts it at its next check, a little later; an address still blocked reaches no sshd).
"""

from __future__ import annotations

import ipaddress
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from .geo import UNKNOWN
from .headers import MONTHS, RFC5424_ANY, iso_time, journal_record
from .sshd import normalize_ip
from .tally import digest


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
    host: str = ""
    """The host that logged it (syslog, the journal); empty in fail2ban's own log."""


def event_key(event: DefenceEvent) -> str:
    """Return what tells an event apart from the others of its instant and writer (a line read again is the same),
    by digest: the history keeps it, and keeps no address it may not."""
    until = "" if event.until is None else event.until.isoformat()
    return digest(f"{event.action} {event.jail} {event.network} {int(event.restored)} {until}")


WRITER_HOST = 255
"""The most of a host's name a writer's key keeps (a host field is a log's text: it may run to the line's end)."""


def writer(event: DefenceEvent) -> str:
    """Return who wrote an event: the tool, and the host that logged it."""
    return f"{event.tool} {event.host[:WRITER_HOST]}"


_OWN_STAMP = r"(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)?"
_SYSLOG_STAMP = (
    r"(?:(?P<month>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d)"
    r"|(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:?\d\d)?)) (?P<host>\S+)"
)
_FAIL2BAN = re.compile(
    rf"^(?:{_OWN_STAMP}|{_SYSLOG_STAMP}(?: fail2ban-server\[\d+\]:)?) fail2ban\.actions\s*(?:\[\d+\])?:\s+"
    r"[A-Z]+\s+\[(?P<jail>[^\]\s]{1,64})\]\s+(?P<action>Restore Ban|Ban|Unban) (?P<address>[0-9A-Fa-f:.]{2,45})\s*$"
)
_SSHGUARD = re.compile(
    rf"^{_SYSLOG_STAMP} sshguard\[\d+\]: Blocking \"(?P<address>[0-9A-Fa-f:.]{{2,45}})/(?P<prefix>\d{{1,3}})\" "
    r"(?:for (?P<seconds>\d{1,10}) secs|forever) \("
)


def defence_event(line: str, year: int, tz: tzinfo) -> DefenceEvent | None:
    """Return the ban or unban a fail2ban or sshguard line records, or None for any other line. A syslog
    timestamp (no year) is of ``year``; any timestamp without a zone is in ``tz``."""
    if line[:1] in ("{", "<"):
        line = _as_syslog(line, tz) or ""
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
        restored = found["action"] == "Restore Ban"
        return DefenceEvent(time, action, network, tool, found["jail"], restored=restored, host=found["host"] or "")
    try:
        network = ipaddress.ip_network(f"{address}/{found['prefix']}", strict=False)
    except ValueError:
        return None
    seconds = found["seconds"]
    until = None if seconds is None else time + timedelta(seconds=int(seconds))
    return DefenceEvent(time, Action.ban, network, tool, "sshguard", until=until, host=found["host"])


def _as_syslog(line: str, tz: tzinfo) -> str | None:
    """Return a journal record (``journalctl -o json``) or an RFC 5424 line as the syslog line of the same fields,
    its stamp RFC 3339; None for anything else."""
    if line[:1] == "{":
        record = journal_record(line, tz)
        if record is None:
            return None
        time, host, program, pid, message = record
        assert isinstance(time, datetime)
        stamp = time.isoformat()
    else:
        found = RFC5424_ANY.match(line)
        if found is None:
            return None
        stamp, host, program, message = found["iso"], found["host"], found["program"], found["message"]
        pid = None if found["pid"] == "-" else int(found["pid"])
    return f"{stamp} {host or '-'} {program}{'' if pid is None else f'[{pid}]'}: {message}"


def _time(found: re.Match[str], year: int, tz: tzinfo) -> datetime | None:
    """Return a line's time: fail2ban's own stamp (to the second) or an RFC 3339 one as headers.py reads them (an
    offset of their own, or ``tz``), a classic one in ``year``."""
    stamp = found.groupdict().get("stamp") or found["iso"]
    if stamp is not None:
        return iso_time(stamp, tz)
    try:
        hour, minute, second = (int(part) for part in found["clock"].split(":"))
        return datetime(year, MONTHS[found["month"]], int(found["day"]), hour, minute, second, tzinfo=tz)
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
    carried: bool = False
    """It began in an earlier build's logs (``Standing``)."""


def blocks_of(events: list[DefenceEvent], carried: Iterable[Block] = ()) -> list[Block]:
    """Return the blocks the events make, with the blocks an earlier build left (``carried``), in the order they
    began: each ban ends at the next unban of the same network in the same jail (or at the end sshguard said it
    would have); a ban of a network already banned there (fail2ban restarted, or logged twice; sshguard's line
    read twice) begins no second block."""
    open_blocks: dict[tuple[str, str, object], Block] = {}
    lasting: dict[tuple[str, str, object], datetime] = {}  # the end of each block whose end was said at its start
    made: list[Block] = []
    for one in carried:
        key = (one.tool, one.jail, one.network)
        if one.end is None:
            open_blocks[key] = one
            continue
        made.append(one)
        lasting[key] = max(one.end, lasting.get(key, one.end))
    for event in sorted(events, key=lambda one: (one.time, one.action != Action.unban)):
        key = (event.tool, event.jail, event.network)
        if event.action is Action.ban:
            if key in open_blocks or event.time < lasting.get(key, event.time):
                continue
            block = Block(event.network, event.tool, event.jail, event.time, event.until, event.restored)
            if event.until is None:
                open_blocks[key] = block
            else:
                made.append(block)
                lasting[key] = event.until
            continue
        began = open_blocks.pop(key, None)
        if began is not None:
            made.append(replace(began, end=event.time))
    made.extend(open_blocks.values())
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
    days: tuple[tuple[str, int, int], ...] = ()
    """Per day of its attempts (where ``day_of`` was given): (day, leaked, came back)."""
    new: bool = True
    """It became a blocked attacker here, not in an earlier build's logs: its time to block is this build's."""
    first_attempt: datetime | None = None


@dataclass(frozen=True, slots=True)
class Earlier:
    """What earlier builds of a site knew of an address."""

    first_blocked: datetime | None = None
    """When a block first covered it, in their logs."""
    first_attempt: datetime | None = None
    """Its first attempt, in their logs."""


NOTHING_EARLIER = Earlier()


def covering(blocks: list[Block]) -> Callable[[str], list[Block]]:
    """Return the blocks that cover an address: those of the address itself (looked up), and those of a network
    it lies in (sshguard's wider blocks, tested one by one)."""
    single: dict[str, list[Block]] = {}
    for one in blocks:
        if one.network.num_addresses == 1:
            single.setdefault(str(one.network.network_address), []).append(one)
    wide = [one for one in blocks if one.network.num_addresses > 1]

    def of(address: str) -> list[Block]:
        found = list(single.get(address, ()))
        if wide:
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError:  # a host name
                return found
            found += [one for one in wide if parsed.version == one.network.version and parsed in one.network]
        return found

    return of


def defended(
    blocks: list[Block],
    attempts: dict[str, list[tuple[datetime, int]]],
    earlier: Callable[[str], Earlier] | None = None,
    day_of: Callable[[datetime], str] | None = None,
) -> list[Defended]:
    """Return, per address some block covered (here or, by ``earlier``, in an earlier build's logs), its attempts
    before, during and after its blocks (``attempts``: per address, (time, attempts) of each line that added some,
    in time order; an address that made none here has its first attempt in ``earlier``)."""
    found = []
    blocks_of_address = covering(blocks)
    for address, times in sorted(attempts.items()):
        covered = blocks_of_address(address)
        known = earlier(address) if earlier is not None else NOTHING_EARLIER
        starts = [one.start for one in covered]
        if known.first_blocked is not None:
            starts.append(known.first_blocked)
        if not starts:
            continue
        first_block = min(starts)
        # Attempts are known to the second: one in the second a block began or ended counts as before that
        # change (the attempt that made fail2ban ban, the last one it kept out), whichever logs each was in.
        began = _second(first_block)
        spans = [(_second(one.start), None if one.end is None else _second(one.end)) for one in covered]
        before = leaked = came_back = 0
        days: dict[str, list[int]] = {}
        for at, count in times:
            if at <= began:
                before += count
                continue
            day = days.setdefault(day_of(at), [0, 0]) if day_of is not None else [0, 0]
            if any(start < at and (end is None or at <= end) for start, end in spans):
                leaked += count
                day[0] += count
            else:
                came_back += count
                day[1] += count
        firsts = [moment for moment in (known.first_attempt, times[0][0] if times else None) if moment is not None]
        first_attempt = min(firsts, default=None)
        to_block = None if first_attempt is None or first_attempt > first_block else (first_block - first_attempt)
        blocked_before = known.first_blocked is not None or any(one.carried for one in covered)
        by_days = tuple((day, leaks, back) for day, (leaks, back) in sorted(days.items()) if leaks or back)
        found.append(
            Defended(address, first_block, before, None if to_block is None else to_block.total_seconds(), leaked,
                     came_back, by_days, not (blocked_before and known.first_attempt is not None), first_attempt)
        )  # fmt: skip
    return found


def _second(moment: datetime) -> datetime:
    """Return the start of the second a time lies in (as ``attempt_times`` gives attempts)."""
    return moment.replace(microsecond=0)


@dataclass(slots=True)
class Standing:
    """What a site's history keeps of the defences for the next build: the blocks that may still cover its
    attempts, when each address was first blocked, and how far each writer's bans were read."""

    blocks: list[Block] = field(default_factory=list)
    """Bans not yet lifted, blocks said to last past the logs read, and every block of a wider network (which may
    cover an address not seen yet)."""
    first_blocked: dict[str, datetime] = field(default_factory=dict)
    """Per address (by ``tally.digest``): when a block of it alone first began."""
    read_to: dict[str, tuple[datetime, Counter[str]]] = field(default_factory=dict)
    """Per writer (``writer``): the time of the newest event read, and the events read at that instant
    (``event_key``): a later build reads on after them, as the readers read sshd's lines on after ``covered``."""


def unread(events: list[DefenceEvent], standing: Standing) -> list[DefenceEvent]:
    """Return the events an earlier build did not read: a writer's events after its newest one read, and those
    of that instant beyond the ones read there (a log read again the next night, as logrotate leaves it)."""
    left = {name: Counter(keys) for name, (_, keys) in standing.read_to.items()}
    new = []
    for event in events:
        name = writer(event)
        mark = standing.read_to.get(name)
        if mark is not None and event.time <= mark[0]:
            if event.time < mark[0]:
                continue
            key = event_key(event)
            if left[name][key] > 0:
                left[name][key] -= 1
                continue
        new.append(event)
    return new


def standing_after(
    standing: Standing,
    blocks: list[Block],
    new: list[DefenceEvent],
    end: datetime | None,
    kept_address: Callable[[str], bool],
) -> Standing:
    """Return what the history keeps after a build read ``new`` events, that made ``blocks`` with those the
    standing carried, from logs whose newest line is at ``end``; of a block of one address only where the history
    may keep that address (``kept_address``: not the owner's, none with ``--anonymize-ips``)."""
    first = dict(standing.first_blocked)
    kept = []
    for one in blocks:
        single = one.network.num_addresses == 1
        if single and not kept_address(str(one.network.network_address)):
            continue
        if not single or one.end is None or (end is not None and one.end >= end):
            kept.append(replace(one, carried=True))
        if single:
            address = digest(str(one.network.network_address))
            if address not in first or one.start < first[address]:
                first[address] = one.start
    marks = {name: (time, Counter(keys)) for name, (time, keys) in standing.read_to.items()}
    for event in new:
        name = writer(event)
        mark = marks.get(name)
        if mark is None or event.time > mark[0]:
            marks[name] = (event.time, Counter({event_key(event): 1}))
        elif event.time == mark[0]:
            mark[1][event_key(event)] += 1
    return Standing(kept, first, marks)


LISTED = 20
"""How many leaking and returning addresses a summary lists."""


@dataclass(frozen=True, slots=True)
class Defences:
    """What the bans did to the attacks of one build's logs (``summarize``)."""

    tools: tuple[str, ...]
    blocks: int
    """Blocks that began (a ban and, where logged, its end)."""
    addresses: int
    """Attacking addresses some block covered (that made an attempt)."""
    attacking: int
    """Attacking addresses in all."""
    attempts: int
    """Attempts of the addresses some block covered, before, during and after their blocks."""
    attempts_all: int
    median_seconds_to_block: float | None
    """From an address's first attempt to its first block, the median over the addresses banned after trying."""
    leaked: tuple[tuple[str, int], ...]
    """(address, attempts while a block covered it), most first: the blocks that did not hold."""
    came_back: tuple[tuple[str, int], ...]
    """(address, attempts after its block ended), most first."""
    leaked_attempts: int
    leaked_addresses: int
    came_back_attempts: int
    came_back_addresses: int
    banned: tuple[str, ...]
    """Every attacking address some block covered, sorted."""


def summarize(
    tools: Iterable[str], blocks: list[Block], found: list[Defended], attacking: Mapping[str, int]
) -> Defences:
    """Return what the blocks (those an earlier build left among them) did to the attacking addresses
    (``attacking``: each address's attempts here), ``found`` by ``defended``."""
    found = [one for one in found if one.address in attacking]
    waits = [one.seconds_to_block for one in found if one.new and one.seconds_to_block is not None]
    median = statistics.median(waits) if waits else None

    def most(pairs: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted((pair for pair in pairs if pair[1]), key=lambda pair: (-pair[1], pair[0]))[:LISTED])

    return Defences(
        tools=tuple(sorted(set(tools))),
        blocks=sum(1 for one in blocks if not one.carried),
        addresses=len(found),
        attacking=len(attacking),
        attempts=sum(attacking[one.address] for one in found),
        attempts_all=sum(attacking.values()),
        median_seconds_to_block=median,
        leaked=most([(one.address, one.leaked) for one in found]),
        came_back=most([(one.address, one.came_back) for one in found]),
        leaked_attempts=sum(one.leaked for one in found),
        leaked_addresses=sum(1 for one in found if one.leaked),
        came_back_attempts=sum(one.came_back for one in found),
        came_back_addresses=sum(1 for one in found if one.came_back),
        banned=tuple(sorted(one.address for one in found)),
    )


@dataclass(slots=True)
class DayDefences:
    """What a day of the history keeps of the defences: what its own hours added, so that the days of nightly
    builds add up to the days of one build of all their logs."""

    blocks: int = 0
    """Blocks that began that day."""
    banned: list[tuple[str, float | None]] = field(default_factory=list)
    """(address, seconds from its first attempt to its first block) of each address that became a blocked
    attacker that day: the later of its first attempt and its first block."""
    leaked: Counter[str] = field(default_factory=Counter)
    """Attempts per address that day while a block covered it."""
    came_back: Counter[str] = field(default_factory=Counter)
    """Attempts per address that day after its blocks, while none covered it."""


def by_day(blocks: list[Block], found: list[Defended], day_of: Callable[[datetime], str]) -> dict[str, DayDefences]:
    """Return what each day adds to the history (``found`` by ``defended`` with the same ``day_of``)."""
    days: dict[str, DayDefences] = {}
    for one in blocks:
        if not one.carried:
            days.setdefault(day_of(one.start), DayDefences()).blocks += 1
    for defence in found:
        for day, leaked, came_back in defence.days:
            kept = days.setdefault(day, DayDefences())
            kept.leaked[defence.address] += leaked
            kept.came_back[defence.address] += came_back
        if defence.new and defence.first_attempt is not None:
            became = max(defence.first_attempt, defence.first_block)
            days.setdefault(day_of(became), DayDefences()).banned.append((defence.address, defence.seconds_to_block))
    return days


def defences_document(found: Defences, country_of: Mapping[str, str], shown: Callable[[str], str]) -> dict[str, object]:
    """Return the defences as ``slices.json`` gives them (see README), addresses as the site shows them."""
    banned_by_country: dict[str, int] = {}
    for address in found.banned:
        country = country_of.get(address, UNKNOWN)
        banned_by_country[country] = banned_by_country.get(country, 0) + 1

    def listed(pairs: tuple[tuple[str, int], ...]) -> list[list[object]]:
        return [[shown(address), country_of.get(address, UNKNOWN), count] for address, count in pairs]

    return {
        "tools": list(found.tools),
        "blocks": found.blocks,
        "banned_addresses": found.addresses,
        "attacking_addresses": found.attacking,
        "banned_attempts": found.attempts,
        "attempts": found.attempts_all,
        "median_seconds_to_ban": found.median_seconds_to_block,
        "leaked_attempts": found.leaked_attempts,
        "leaked_addresses": found.leaked_addresses,
        "leaked": listed(found.leaked),
        "came_back_attempts": found.came_back_attempts,
        "came_back_addresses": found.came_back_addresses,
        "came_back": listed(found.came_back),
        "banned_by_country": dict(sorted(banned_by_country.items())),
    }

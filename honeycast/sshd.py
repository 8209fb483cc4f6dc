"""Turn sshd log lines into ``AuthEvent`` records. Pure functions and small state; no I/O.

The source address of an event is read only from the fixed tail sshd writes after
the user name (``... from <ip> port <n> ssh2``). User names are attacker-chosen and may
contain ``from 1.2.3.4``; the patterns below match the user greedily, so the address
that wins is always the last one on the line, which is the one sshd wrote.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, tzinfo
from functools import lru_cache

from .events import AuthEvent, EventKind

_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}

_HEADER = re.compile(
    r"(?:(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d)"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?))"
    r" (?P<host>\S+) (?P<program>sshd(?:-session)?)\[(?P<pid>\d+)\]: (?P<message>.*)"
)
_REPEATED = re.compile(r"message repeated (?P<n>\d+) times: \[ ?(?P<inner>.*?) ?\]$")
_TAIL = r" from (?P<ip>\S+) port (?P<port>\d+)(?: ssh[12]?(?:: .*)?)?$"
_FAILED = re.compile(r"Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*)" + _TAIL)
_INVALID = re.compile(r"Invalid user (?P<user>.*) from (?P<ip>\S+)(?: port (?P<port>\d+))?$")
_ACCEPTED = re.compile(r"Accepted (?P<method>\S+) for (?P<user>.*)" + _TAIL)

_FAMILIES = ((_FAILED, EventKind.FAILED), (_INVALID, EventKind.INVALID_USER), (_ACCEPTED, EventKind.ACCEPTED))


@lru_cache(maxsize=65536)
def normalize_ip(text: str) -> str | None:
    """Return the canonical form of an address, or None if ``text`` is not one.

    IPv4-mapped IPv6 addresses (``::ffff:1.2.3.4``) become the IPv4 address they carry.
    """
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _family(message: str) -> tuple[EventKind, re.Match[str]] | None:
    for pattern, kind in _FAMILIES:
        found = pattern.match(message)
        if found is not None:
            return kind, found
    return None


class SshdParser:
    """Parse one input's lines in order, tracking the year of yearless syslog timestamps.

    Classic syslog stamps carry no year and no zone: they are read in ``tz``, starting
    in ``year``, and a step back of more than half a year (December to January) moves
    on to the next year.
    """

    def __init__(self, year: int, tz: tzinfo) -> None:
        self.year = year
        self.tz = tz
        self._last_month = 0
        self._stamp = ""
        self._time = datetime(year, 1, 1, tzinfo=tz)

    def parse(self, line: str) -> AuthEvent | None:
        """Return the event a line records, or None for any other line."""
        if "sshd" not in line:
            return None
        header = _HEADER.match(line)
        if header is None:
            return None
        message = header["message"]
        count = 1
        repeated = _REPEATED.match(message)
        if repeated is not None:
            count, message = int(repeated["n"]), repeated["inner"]
        family = _family(message)
        if family is None:
            return None
        kind, found = family
        ip = normalize_ip(found["ip"])
        time = self._timestamp(header)
        if ip is None or time is None:
            return None
        port = found["port"]
        return AuthEvent(
            time=time,
            host=header["host"],
            program=header["program"],
            pid=int(header["pid"]),
            kind=kind,
            source_ip=ip,
            source_port=int(port) if port else None,
            user=found["user"],
            method=found.groupdict().get("method"),
            count=count,
        )

    def _timestamp(self, header: re.Match[str]) -> datetime | None:
        iso = header["iso"]
        if iso is not None:
            stamp = datetime.fromisoformat(iso)
            return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=self.tz)
        key = header.string[: header.end("hms")]
        if key == self._stamp:
            return self._time
        month = _MONTHS[header["mon"]]
        if month < self._last_month - 6:
            self.year += 1
        self._last_month = month
        hour, minute, second = (int(part) for part in header["hms"].split(":"))
        try:
            self._time = datetime(self.year, month, int(header["day"]), hour, minute, second, tzinfo=self.tz)
        except ValueError:  # Feb 29 in a year without one, or a 61st second
            return None
        self._stamp = key
        return self._time

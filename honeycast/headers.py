"""Read the header of a log line: its time, host, program and process, and where sshd's message begins.

Classic syslog (``Nov 29 06:25:01 host sshd[123]:``, with or without fractions), RFC 3339 stamps as rsyslog and
syslog-ng write them, RFC 5424, and ``journalctl -o json``. A classic stamp carries no year and no zone: it is
returned as it is (``Classic``), for the reader to place. No I/O.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple

from .sources import MAX_LINE

MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_PROGRAM = r"(?P<program>sshd(?:-session)?(?:\(pam_unix\))?|\[sshd\])"
_SYSLOG = re.compile(
    r"(?P<stamp>(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d\d?) (?P<hms>\d\d:\d\d:\d\d)"
    r"(?P<frac>\.\d+)?"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?))"
    r"(?: (?P<host>\S+))?(?: [a-z0-9]+\.[a-z]+)? " + _PROGRAM + r"(?:\[(?P<pid>\d+)\])?:? (?P<message>.*)"
)
# The shape nearly every line of a classic auth.log has, matched first because it is twice as
# cheap as _SYSLOG, which covers every variant (and gives the same fields for these lines).
_CLASSIC = re.compile(
    r"(?P<stamp>(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d)) (?P<host>\S+) "
    r"(?P<program>sshd(?:-session)?)\[(?P<pid>\d+)\]: "
)


def _rfc5424(program: str) -> re.Pattern[str]:
    return re.compile(
        r"<\d{1,3}>1 (?P<iso>\S+) (?P<host>\S+) " + program + r" (?P<pid>\d+|-) \S+"
        r' (?:-|(?:\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])+) (?P<message>.*)'
    )


_RFC5424 = _rfc5424(_PROGRAM)
RFC5424_ANY = _rfc5424(r"(?P<program>\S{1,48})")
"""An RFC 5424 line of any program."""
_MAX_PID_DIGITS = 18  # schema.MAX_PID: a connection kept for the next night is read back with its pid
"""Longer process ids are no process ids: such a line is read without a connection."""


class Classic(NamedTuple):
    """A yearless syslog stamp, read but not yet placed in a year."""

    text: str
    month: int
    day: int
    hour: int
    minute: int
    second: int
    micro: int


Header = tuple[Classic | datetime, str, str, int | None, str]
"""(stamp, host, program, pid, message) of an sshd line."""


def read_header(line: str, tz: tzinfo) -> Header | None:
    """Return the header fields of an sshd line, or None for any other line.

    Dated stamps (RFC 3339, journald) become datetimes, naive ones in ``tz``; a yearless stamp
    stays a ``Classic`` until the reader, which knows the year so far, places it.
    """
    if "sshd" not in line:
        return None
    first = line[:1]
    if first == "{":
        return _journal(line, tz)
    classic = _CLASSIC.match(line)
    if classic is not None:
        stamp = _classic(classic["stamp"], classic["mon"], classic["day"], classic["hms"], None)
        if stamp is None:
            return None
        pid = classic["pid"]
        return (
            stamp,
            classic["host"],
            classic["program"],
            int(pid) if len(pid) <= _MAX_PID_DIGITS else None,
            line[classic.end() :],
        )
    header = (_RFC5424 if first == "<" else _SYSLOG).match(line)
    if header is None:
        return None
    iso = header["iso"]
    time: Classic | datetime | None
    if iso is not None:
        time = iso_time(iso, tz)
    else:
        time = _classic(header["stamp"], header["mon"], header["day"], header["hms"], header["frac"])
    if time is None:
        return None
    pid = header["pid"]
    program = header["program"]
    return (
        time,
        header["host"] or "",
        "sshd" if program == "[sshd]" else program,
        int(pid) if pid and pid != "-" and len(pid) <= _MAX_PID_DIGITS else None,
        header["message"],
    )


@lru_cache(maxsize=1 << 16)
def _classic(stamp: str, mon: str, day: str, hms: str, frac: str | None) -> Classic | None:
    month = MONTHS.get(mon)
    if month is None:
        return None
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    return Classic(
        stamp if frac is None else stamp + frac, month, int(day), int(hms[:2]), int(hms[3:5]), int(hms[6:8]), micro
    )


def iso_time(iso: str, tz: tzinfo) -> datetime | None:
    """Return an RFC 3339 / ISO 8601 stamp (``,`` or ``.`` before its fraction) as a time, one without an offset
    in ``tz``; None if it is none."""
    try:
        stamp = datetime.fromisoformat(iso.replace(",", "."))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=tz)


def _journal(line: str, tz: tzinfo) -> Header | None:
    """Read one record of ``journalctl -o json`` of sshd."""
    return journal_record(line, tz, ("sshd", "sshd-session"))


def journal_record(line: str, tz: tzinfo, programs: tuple[str, ...] | None = None) -> Header | None:
    """Read one record of ``journalctl -o json`` (of one of ``programs``, or of any)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    program = _field(record.get("SYSLOG_IDENTIFIER")) or _field(record.get("_COMM"))
    message = _field(record.get("MESSAGE"))
    if program is None or (programs is not None and program not in programs) or message is None:
        return None
    try:
        time = datetime.fromtimestamp(int(record["__REALTIME_TIMESTAMP"]) / 1e6, UTC).astimezone(tz)
        pid_text = record.get("SYSLOG_PID") or record.get("_PID")
        pid = int(pid_text) if pid_text and len(str(pid_text)) <= _MAX_PID_DIGITS else None
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return None
    return time, _field(record.get("_HOSTNAME")) or "", program, pid, message


def _field(value: object) -> str | None:
    """Return a journal field's text: a string, or the array of byte values journalctl writes for text that is not
    printable UTF-8 (its invalid bytes as U+FFFD, as in a syslog file); None for anything else."""
    if isinstance(value, str):
        return _text(value)
    if (
        isinstance(value, list)
        and len(value) <= MAX_LINE
        and all(type(one) is int and 0 <= one <= 255 for one in value)
    ):
        return bytes(value).decode("utf-8", "replace")
    return None


def _text(value: str) -> str:
    """Return JSON text with lone surrogates (``\\udc80``, no character) as U+FFFD, as bad bytes in a log become."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")

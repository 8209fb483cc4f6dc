"""Turn sshd log lines into ``AuthEvent`` records. Pure functions and per-stream state; no I/O.

Where an address comes from
    Only from the fixed text sshd writes around it. User names (and, for some methods,
    the text after ``ssh2:``) are chosen by the client and may contain ``from 1.2.3.4 port 22``.
    For ``... for USER from IP port N ssh2[: INFO]`` the address is the first ``from IP``
    that is followed by a complete sshd tail; where the address ends the line, the last one.

Counting each attempt once
    One failed password can be logged up to three times (pam_unix, ``Failed password``, and a
    ``message repeated`` wrapper). Lines are grouped by connection (host and sshd pid,
    ``connections.py``): a ``Failed`` line always adds its count; a PAM failure adds nothing at
    first and is only added when its connection ends without a ``Failed`` line having echoed
    it (``rules.py`` has every such rule).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple

from .connections import Connections
from .events import AuthEvent, EventKind
from .headers import Classic, read_header
from .parts import Carried
from .rules import RULES, RuleBook, kind_index
from .spans import line_key

K = EventKind

_FIRST, _LAST = datetime(1, 1, 4), datetime(9999, 12, 28, 23, 59, 59, 999999)
"""Stamps outside these are not read: a day's slice and the next must fit in a datetime in any zone."""
_MAX_DIGITS = 9
"""A repeat count longer than this is not one rsyslog wrote: the line is left as it is."""
_PREFIXES = ("error: ", "fatal: ", "PAM: ", "[ID ", "kernel:")
_SOLARIS_ID = re.compile(r"\[ID \d+ [\w.]+\] ")
_KERNEL_STAMP = re.compile(r"kernel: ?\[ *\d+\.\d+\]:? ")
_REPEATED = re.compile(r"message repeated (?P<n>\d+) times: \[ ?(?P<inner>.*?) ?\]$")

# Pieces of the fixed tails sshd writes. User names are read greedily (``.*``): sshd writes its own
# fields after the name, so the reading that leaves the longest name takes them from the end of the line.
_IP = r"(?P<ip>\S+)"
_ADDRESS = r"(?P<ip>[^\s]*[.:][^\s]*)"
"""An address where a port may or may not follow: with a dot or colon, so that a longer user name cannot
make the port number the address."""
_PORT = r"(?: port (?P<port>\d+))?"
_ON = r"(?: on \S+(?: port \d+)?)?(?: rdomain \S*)?"  # only "Connection from" carries the local address
_PREAUTH = r"(?: \[preauth\])?\s*$"
_USER = r"(?P<user>.*)"
_CLIENT = r"(?: (?:invalid|authenticating) user " + _USER + ")?"
# auth.c writes ": INFO" after ssh2 only for key methods: the key's type and fingerprint, then for a
# certificate its ID and CA, then ", " and method details (hostbased: the client's user and host).
_KEY_METHOD = r"(?P<method>publickey|hostbased|gssapi-with-mic|gssapi-keyex|gssapi)"
_KEY_INFO = r"(?:: [A-Z0-9][A-Z0-9-]* \S+(?:(?:, | ID ).*)?)?"
_AUTH_TAIL = r" port (?P<port>\d+) ssh2"
# sshd before 7.4 (protocol 1, or no port): read from the front, as it was written then.
_LEGACY_TAIL = r"(?: port (?P<port>\d+))?(?: ssh\d*)?(?:: .*)?(?: \[preauth\])?\s*$"

_PAM_RHOST = (
    r"authentication failure;.*?\bruser=(?P<ruser>\S*)\s+rhost=" + _IP + r"(?:\s+user=(?P<user>.*?))?" + _PREAUTH
)

# fmt: off
# (first words of the message, kind, pattern). Tried in order for the message's first word.
_TABLE: tuple[tuple[str, EventKind, str], ...] = (
    ("Failed", K.FAILED, r"Failed " + _KEY_METHOD + r" for (?:invalid user )?" + _USER + " from " + _IP + _AUTH_TAIL + _KEY_INFO + "$"),
    ("Failed", K.FAILED, r"Failed (?P<method>\S+) for (?:invalid user )?" + _USER + " from " + _IP + _AUTH_TAIL + "$"),
    ("Failed", K.FAILED, r"Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from " + _IP + _LEGACY_TAIL),
    ("Accepted", K.ACCEPTED, r"Accepted " + _KEY_METHOD + r" for " + _USER + " from " + _IP + _AUTH_TAIL + _KEY_INFO + "$"),
    ("Accepted", K.ACCEPTED, r"Accepted (?P<method>\S+) for " + _USER + " from " + _IP + _AUTH_TAIL + "$"),
    ("Accepted", K.ACCEPTED, r"Accepted (?P<method>\S+) for (?P<user>.*?) from " + _IP + _LEGACY_TAIL),
    ("Invalid Illegal invalid illegal", K.INVALID_USER, r"[iI](?:nvalid|llegal) user " + _USER + " from " + _ADDRESS + _PORT + _PREAUTH),
    ("User", K.NOT_ALLOWED, r"User " + _USER + " from " + _IP + r" not allowed because (?!account is locked).*$"),
    ("User", K.ACCOUNT_LOCKED, r"User (?P<user>.*?) not allowed because account is locked"),
    ("User", K.PAM_FAILURE, r"User not known to the underlying authentication module for (?:(?:illegal|invalid) user )?" + _USER + " from " + _ADDRESS + _PORT + _PREAUTH),
    ("ROOT", K.ROOT_REFUSED, r"(?P<user>ROOT) LOGIN REFUSED FROM " + _IP + _PORT + _PREAUTH),
    ("Authentication authentication", K.PAM_FAILURE, r"[aA]uthentication (?:failure|error|failed) for (?:(?:illegal|invalid) user )?" + _USER + " from " + _ADDRESS + r"(?: via \S+)?" + _PORT + _PREAUTH),
    ("authentication", K.PAM_FAILURE, _PAM_RHOST),  # sshd(pam_unix)[pid]: authentication failure; ...
    ("pam_unix(sshd:auth):", K.PAM_FAILURE, r"pam_\w+\(sshd:auth\):\s+" + _PAM_RHOST),
    ("PAM", K.PAM_MORE, r"PAM (?P<n>\d+) more authentication failures?;.*?\bruser=(?P<ruser>\S*)\s+rhost=" + _IP + r"(?:\s+user=(?P<user>.*?))?" + _PREAUTH),
    ("maximum", K.MAX_ATTEMPTS, r"maximum authentication attempts exceeded for (?:invalid user )?" + _USER + " from " + _ADDRESS + _PORT + r"(?: ssh\d*)?" + _PREAUTH),
    ("Disconnecting:", K.TOO_MANY_FAILURES, r"Disconnecting: Too many authentication failures(?: for (?:invalid user )?(?P<user>.*?))?" + _PREAUTH),
    ("Disconnecting", K.TOO_MANY_FAILURES, r"Disconnecting(?: from)?" + _CLIENT + " " + _ADDRESS + r" port (?P<port>\d+): Too many authentication failures" + _PREAUTH),
    ("Disconnecting", K.DISCONNECTED, r"Disconnecting(?: from)?" + _CLIENT + " " + _ADDRESS + r" port (?P<port>\d+): .*$"),
    ("Connection", K.CONNECTION, r"Connection from " + _IP + r" port (?P<port>\d+)" + _ON + r"\s*$"),
    # packet.c's sshpkt_fatal for an error with no line of its own (a corrupt or cut packet): the connection ends
    ("Connection ssh_dispatch_run_fatal:", K.DISCONNECTED, r"(?:ssh_dispatch_run_fatal: )?Connection from" + _CLIENT + " " + _ADDRESS + r" port (?P<port>\d+): .*$"),
    ("Connection Disconnected", K.LOGOUT, r"(?:Connection (?:closed|reset) by|Disconnected from) user " + _USER + " " + _ADDRESS + _PORT + r"\s*$"),
    ("Connection Disconnected", K.DISCONNECTED, r"(?:Connection (?:closed|reset)|Disconnected) (?:by|from)" + _CLIENT + " " + _ADDRESS + _PORT + _PREAUTH),
    # With a port (OpenSSH 7.4 and later) and without sshd's "[preauth]", the session's own process wrote it: the
    # client had logged in (a disconnect message cannot come before the banner exchange, where lines go untagged).
    ("Received", K.LOGOUT, r"Received disconnect from (?P<ip>[^\s]+?) port (?P<port>\d+):\s*\d+: (?!.*\[preauth\]\s*$).*$"),
    ("Received", K.RECEIVED_DISCONNECT, r"Received disconnect from (?P<ip>[^\s]+?)" + _PORT + r":\s*\d+: .*$"),
    ("Did", K.NO_IDENTIFICATION, r"Did not receive identification string from " + _IP + _PORT + r"\s*$"),
    ("Bad", K.BAD_PROTOCOL, r"Bad protocol version identification '.*' from " + _IP + _PORT + r"\s*$"),
    ("kex_exchange_identification:", K.BAD_PROTOCOL, r"kex_exchange_identification: "),
    ("banner", K.BAD_PROTOCOL, r"banner exchange: Connection from " + _IP + _PORT + r": "),
    ("Unable", K.NEGOTIATION_FAILED, r"Unable to negotiate with " + _IP + _PORT + r": no matching "),
    ("Unable", K.NEGOTIATION_FAILED, r"Unable to negotiate a "),
    ("no", K.NEGOTIATION_FAILED, r"no matching (?:\w+ ){0,3}found"),
    # OpenSSH 9.8 and later: the listener names the session's process, which the line is about
    ("Timeout", K.TIMEOUT, r"Timeout before authentication for (?:connection from )?(?P<ip>[^\s,]+)" + _PORT + r"(?: to [^\s,]+)?(?:, pid = (?P<process>\d{1,18})\b)?"),
    ("drop", K.DROPPED, r"drop connection #\d+ from \[(?P<ip>[^\]\s]+)\]:(?P<port>\d+) on \[[^\]\s]*\]:\d+ "),
    ("Read", K.DISCONNECTED, r"Read from socket failed: Connection reset by peer"),
    ("Address", K.REVERSE_MAPPING, r"Address " + _IP + r" maps to \S+, but this does not map back to the address"),
    ("reverse", K.REVERSE_MAPPING, r"reverse mapping checking getaddrinfo for \S+ \[(?P<ip>[^\]]+)\] failed"),
    ("refused", K.REFUSED_CONNECT, r"refused connect from \S+ \((?P<ip>[^)\s]+)\)"),
    ("SSH:", K.CONNECTION, r"SSH: Server;Ltype: \w+;Remote: (?P<ip>[^;]+)-(?P<port>\d+);"),
)
# fmt: on


class _Rule(NamedTuple):
    kind: EventKind
    pattern: re.Pattern[str]
    shortest: re.Pattern[str] | None
    """The same pattern reading the shortest user name: where it finds another address, the line has two readings."""


_RULES: dict[str, tuple[_Rule, ...]] = {}
for _words, _kind, _pattern in _TABLE:
    _shortest = re.compile(_pattern.replace(_USER, "(?P<user>.*?)")) if _USER in _pattern else None
    for _word in _words.split():
        _RULES[_word] = (*_RULES.get(_word, ()), _Rule(_kind, re.compile(_pattern), _shortest))


@lru_cache(maxsize=1 << 16)
def normalize_ip(text: str) -> str | None:
    """Return the canonical form of an address, or None if ``text`` is not one.

    IPv4-mapped IPv6 addresses (``::ffff:1.2.3.4``) become the IPv4 address they carry; a zone
    (``fe80::1%eth0``) names an interface of the logging host and is dropped.
    """
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        if address.scope_id is not None:
            return str(ipaddress.IPv6Address(int(address)))
    return str(address)


def classify(message: str) -> tuple[EventKind, re.Match[str] | None, bool]:
    """Return the family of an sshd message (its syslog header removed), the match that found it, and
    whether the line reads two ways (a user name that copies sshd's own text puts a second address in it)."""
    if message.startswith(_PREFIXES):
        message = _strip_prefixes(message)
    space = message.find(" ")
    word = message[:space] if space > 0 else message
    rules = _RULES.get(word)
    if rules is None and word.startswith("pam_") and word.endswith("(sshd:auth):"):
        rules = _RULES["pam_unix(sshd:auth):"]
    for rule in rules or ():
        found = rule.pattern.match(message)
        if found is not None:
            two = False
            if rule.shortest is not None and " " in (found["user"] or ""):
                other = rule.shortest.match(message)
                two = other is not None and _endpoint(other) != _endpoint(found)
            return rule.kind, found, two
    return K.UNKNOWN, None, False


def _endpoint(found: re.Match[str]) -> tuple[str | None, str | None]:
    fields = found.groupdict()
    return fields.get("ip"), fields.get("port")


Fields = tuple[EventKind, str | None, str | None, int | None, str | None, str | None, bool, int | None]
"""(kind, ip, host name, port, user, method, read two ways, the sshd process the line is about) of a message."""


@lru_cache(maxsize=4096)
def _fields(message: str) -> Fields:
    """Return the fields of a message; a line that reads two ways names no address.

    Cached: within one connection sshd writes the same message again and again (each failed
    password of a session reads the same), so a small cache skips most regex work.
    """
    kind, found, two = classify(message)
    if found is None:
        return kind, None, None, None, None, None, False, None
    fields = found.groupdict()
    user = fields.get("user")
    if user is None and fields.get("ruser"):
        user = fields["ruser"]
    process = int(fields["process"]) if fields.get("process") else None
    if two:
        return kind, None, None, None, user, fields.get("method"), True, process
    raw = fields.get("ip")
    ip = normalize_ip(raw) if raw else None
    port = fields.get("port")
    return (
        kind,
        ip,
        raw if raw and ip is None else None,
        int(port) if port and len(port) <= _MAX_DIGITS else None,
        user,
        fields.get("method"),
        False,
        process,
    )


def _strip_prefixes(message: str) -> str:
    for _ in range(4):
        if message.startswith(("error: ", "fatal: ")):
            message = message[7:]
        elif message.startswith("PAM: "):
            message = message[5:]
        elif message.startswith(("[ID ", "kernel:")):
            found = (_SOLARIS_ID if message[0] == "[" else _KERNEL_STAMP).match(message)
            if found is None:
                break
            message = message[found.end() :]
        else:
            break
    return message


Message = tuple[int, EventKind, str | None, str | None, int | None, str | None, str | None, bool, int | None]
"""(count, kind, ip, host name, port, user, method, read two ways, the process it is about) of an sshd message."""


def read_message(message: str) -> Message:
    """Return the fields of an sshd message (its header removed), with its repeat count."""
    count = 1
    if message.startswith("message repeated "):
        repeated = _REPEATED.match(message)
        if repeated is not None and len(repeated["n"]) <= _MAX_DIGITS and int(repeated["n"]) >= 1:
            count, message = int(repeated["n"]), repeated["inner"]
    return (count, *_fields(message))


class SshdParser:
    """Parse one input's lines in order: timestamps, families, connections.

    Classic syslog stamps carry no year and no zone. They are read in ``tz``; the first one
    is placed in ``year`` if given, else in the year that puts it at or before ``reference``
    (the file's modification time); after that, a step back of more than half a year
    (December to January) moves on to the next year.
    """

    def __init__(
        self,
        tz: tzinfo,
        year: int | None = None,
        reference: datetime | None = None,
        covers: Callable[[str, datetime, str], bool] | None = None,
        rules: RuleBook = RULES,
        head: timedelta | None = None,
        carried: Iterable[Carried] = (),
        clocks: dict[str, datetime] | None = None,
        host: str | None = None,
    ) -> None:
        """``covers(host, time, line)``: whether an earlier build counted this line of the host (its ``line_key``);
        ``rules``: what each kind of line does, and the limits connections are kept in; ``host``: the host every
        line is of, whatever its header says (``--host``), its connections too."""
        if year is not None and not 1 <= year <= 9999:
            raise ValueError(f"year {year} is outside 1 to 9999")
        self.rules = rules
        self.tz = tz
        self.year = year
        self.first_year = year
        """The year the first yearless stamp was placed in (None until one is read)."""
        self.reference = reference or datetime.now(tz)
        self.host = host
        self.covers = covers
        self.connections = Connections(rules)
        self.connections.seed(carried, clocks)
        self.head = head
        """A part of a log after another: its lines up to ``head`` after its first, and every later line of their
        connections, are left to the join (``head_lines``), which reads them on from where the part before ended."""
        self.head_lines: list[str] = []
        self.head_clocks: list[datetime | None] = []
        """Per line of the head, the log's clock before it here (the join reads it on at that clock)."""
        self._head_end: datetime | None = None
        self._line = ""
        self._clock: datetime | None = None
        self.first: datetime | None = None
        """The time of the first line read."""
        self.carried: list[Carried] = []
        """Connections open where a part of a log ends, for the part after it (after ``finish``)."""
        self.hosts: frozenset[str] = frozenset()
        """The hosts the lines read name."""
        self.settled = self.connections.settled
        """Attempts counted for earlier lines (PAM failures whose connection ended): take them after each line."""
        self.two_ways = 0
        """Lines whose address reads two ways, counted for their connection's address or none."""
        self._last_month = 0
        self._stamps: dict[str, datetime | None] = {}

    def parse(self, line: str, clock: datetime | None = None) -> AuthEvent | None:
        """Return the event an sshd line records (``unknown`` for unrecognised sshd lines), or None; ``clock``: its
        host's clock before it where another reader read it (``Connections.hint``)."""
        header = read_header(line, self.tz)
        if header is None:
            return None
        self._line = line
        self._clock = clock
        stamp, host, program, pid, message = header
        time = stamp if isinstance(stamp, datetime) else self._classic_time(stamp)
        if time is None or not _FIRST <= time.replace(tzinfo=None) <= _LAST:
            return None
        return self.message(time, self.host or host, program, pid, message)

    def message(self, time: datetime, host: str, program: str, pid: int | None, message: str) -> AuthEvent | None:
        """Return the event for one sshd message whose header has already been read (None: left to the join)."""
        count, kind, ip, source_host, port, user, method, two_ways, process = read_message(message)
        self.two_ways += two_ways
        if process is not None:
            pid = process
        key = line_key(pid, kind_index(kind), ip or source_host, port, user, count)  # as the line gives them
        connections = self.connections
        connections.hint(host, self._clock)
        before = connections.clocks.get(host)
        connections.sweep(time, host)
        connection = None
        if pid is not None:
            connection = connections.find(host, program, pid, ip or source_host, ip, port, time, kind)
            if connection is not None and ip is None and source_host is None:
                ip, port = connection.ip, connection.port
                source_host = None if ip else connection.source
        if self.first is None:
            self.first = time
        if host not in self.hosts:
            self.hosts = self.hosts | {host}
        if self.head is not None:
            if self._head_end is None:
                self._head_end = time + self.head
            if time <= self._head_end or (connection is not None and connection.head):
                if connection is not None:
                    connections.follow(time, kind, connection)
                self.head_lines.append(self._line)
                self.head_clocks.append(before)
                return None
        covered = self.covers is not None and self.covers(host, time, key)
        attempts, probe = connections.count(time, kind, count, user, connection, covered)
        return AuthEvent(
            time, host, program, pid, kind, ip, port, user, method, count, attempts, probe, source_host, covered, key
        )

    def finish(self) -> None:
        """End of input: every connection is over, so its pending PAM failures count; in a part of a log (``head``),
        those a later part may go on are kept in ``carried`` instead (``Connections.finish``)."""
        self.carried = self.connections.finish(carry=self.head is not None)

    def _classic_time(self, stamp: Classic) -> datetime | None:
        month = stamp.month
        if self.year is None:
            ref = self.reference
            self.year = self.first_year = ref.year if (month, stamp.day) <= (ref.month, ref.day) else ref.year - 1
        elif month < self._last_month - 6:
            self.year += 1
            self._stamps.clear()
        self._last_month = month
        cached = self._stamps.get(stamp.text, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        if len(self._stamps) > 65536:
            self._stamps.clear()
        try:
            time: datetime | None = datetime(
                self.year, month, stamp.day, stamp.hour, stamp.minute, stamp.second, stamp.micro, tzinfo=self.tz
            )
        except ValueError:  # Feb 29 in a year without one, or a 61st second
            time = None
        self._stamps[stamp.text] = time
        return time

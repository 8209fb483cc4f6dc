"""Count an input with the native scanner (``_scan/``), where it was built.

The scanner reads the common line shapes itself and calls back into ``sshd.py`` for every
other line, so both readers agree by construction on the rare shapes and are tested against
each other on the common ones. Its counts come back as plain values and become a ``Tally``.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from .cores import no_collection
from .events import EventKind
from .geo import HOSTNAME, Geolocator
from .headers import Classic, read_header
from .names import Named
from .parts import Carried, HeadKey
from .rules import RULES, Action, RuleBook
from .sources import MAX_LINE
from .spans import ANY_LINE, Span, both_spans
from .sshd import read_message
from .tally import Tally, digest

try:
    from . import _scan
except ImportError:  # not compiled (no C compiler at install): the Python reader does the work
    _scan = None  # type: ignore[assignment]

INTERFACE = 17
"""The version of the Scanner's arguments and results this module speaks (``INTERFACE`` in _scan/scan.h)."""
AVAILABLE = (
    _scan is not None
    and getattr(_scan, "INTERFACE", None) == INTERFACE
    and tuple(_scan.KINDS) == tuple(kind.value for kind in EventKind)
    and dict(_scan.ACTIONS) == {action.name: action.value for action in Action}
)
"""The scanner is built, from these sources (not a stale build), and agrees with ``EventKind`` on the kinds and
with ``rules.Action`` on what each action's bit is (the rules themselves it is handed: ``book``)."""

_KINDS = tuple(EventKind)
_KIND_INDEX = {kind: index for index, kind in enumerate(_KINDS)}
_ORIGIN = datetime(1, 1, 1)
_FAILURES_PART = 1 << 12
"""Sources whose failures are asked of the scanner at once: few enough that the plain values of one part, let go
of before the next is asked for, leave no wide holes among the records kept (10 M lines: 40 MB less at the peak)."""
_MAKING = threading.Lock()
"""One tally is made at a time: making two at once only interleaves them under the GIL, with both sets of plain
values alive, and the collector is switched off and on for the whole process."""


def book(rules: RuleBook) -> tuple[tuple[int, ...], int, int, int, int, int, int]:
    """Return the rule book as the scanner takes it: (actions per kind, idle µs, sweep µs, max_pending,
    max_connections, attack_names, backwards µs)."""
    micro = timedelta(microseconds=1)
    return (
        tuple(int(action) for action in rules.actions),
        rules.idle // micro,
        rules.sweep // micro,
        rules.max_pending,
        rules.max_connections,
        rules.attack_names,
        rules.backwards // micro,
    )


class NativeCount:
    """Count one input's lines with the native scanner: feed it blocks of bytes, then ask for the tally."""

    def __init__(
        self,
        slice_seconds: int,
        tz: tzinfo,
        year: int | None,
        reference: datetime,
        covered: dict[str, tuple[Span, ...]] | None = None,
        host: str | None = None,
        rules: RuleBook = RULES,
        head: timedelta | None = None,
    ) -> None:
        """``covered``, ``host`` and ``rules`` as in ``Tally``: spans counted before, the name all lines count
        under (their connections too), and the rules they are counted by; ``head``: a part of several
        (``readers.Segment``)."""
        self.slice_seconds = slice_seconds
        self.rules = rules
        self.tz = tz
        self.host = host
        self._covered = covered or {}
        if year is not None and not 1 <= year <= 9999:
            raise ValueError(f"year {year} is outside 1 to 9999")
        fixed = tz.utcoffset(None) if isinstance(tz, timezone) else None
        self._scanner = _scan.Scanner(
            slice_seconds,
            year or 0,
            (reference.year, reference.month, reference.day),
            self._header,
            _fields,
            self._local_offset,
            self._to_local,
            None if fixed is None else int(fixed.total_seconds()),
            self._covers if covered else None,
            book(rules),
            MAX_LINE,
            -1 if head is None else head // timedelta(microseconds=1),
            host,
        )

    @property
    def lines(self) -> int:
        return int(self._scanner.lines)

    def feed(self, block: bytes) -> None:
        """Read a block of the input's bytes; a line may run on into the next block."""
        self._scanner.feed(block)

    def finish(self, last_line: bool = True) -> None:
        """End the input; ``last_line`` false drops a line it was cut off in (a compressed file ending early)."""
        self._scanner.finish(last_line)

    def result(self) -> _scan.Counts:
        """Return what was read and counted (see Scanner_result in _scan/module.c)."""
        return self._scanner.result()

    def head_keys(self) -> list[HeadKey]:
        """Return who the connections of a part's head are (after ``finish``): ``scan.join`` reads the head at the
        native scanner's speed where no connection the parts before left open is one of them."""
        return [
            HeadKey(host, pid, source, None if port < 0 else port, _moment(*last, self.tz), bool(open_login))
            for host, pid, source, port, last, open_login in self._scanner.head_keys()
        ]

    def part(
        self, hosts: list[str]
    ) -> tuple[list[str], list[datetime | None], list[Carried], datetime | None, dict[str, datetime], bool]:
        """Return what a part of several leaves to the join: its head's lines and their hosts' clocks before each,
        the connections open at its end, the time of its first line, per host (``hosts``: by id) its clock at the end,
        and whether its head's lines kept to their hosts' clocks (within ``JOIN_SKEW``) (after ``finish``)."""
        journal, clocks = self._scanner.head()
        head = journal.decode("utf-8", "replace").split("\n")[:-1]
        made: dict[tuple[int, int | None, int], datetime] = {}  # a second's lines share their times

        def moment(clock: tuple[int, int | None, int]) -> datetime:
            found = made.get(clock)
            if found is None:
                found = made[clock] = _moment(*clock, self.tz)
            return found

        head_clocks = [None if clock is None else moment(clock) for clock in clocks]
        carried: list[Carried] = self._scanner.carried(self.tz, Carried, _KINDS, "sshd")
        first, host_clocks, disorder = self._scanner.edges()
        return (
            head,
            head_clocks,
            carried,
            None if first is None else _moment(*first, self.tz),
            {hosts[host]: _moment(*clock, self.tz) for host, clock in host_clocks},
            not disorder,
        )

    def defence_lines(self) -> list[str]:
        """Return the lines fail2ban or sshguard may have written (after ``finish``): ``defences.defence_event``
        reads them."""
        text = self._scanner.defences().decode("utf-8", "replace")
        return text.split("\n")[:-1]

    def tally(self, result: _scan.Counts, geo: Geolocator) -> Tally:
        """Return the Tally of ``result()``, locating each distinct address once."""
        with _MAKING, no_collection():  # hundreds of thousands of new records, none of them garbage
            return self._tally(result, geo)

    def _tally(self, result: _scan.Counts, geo: Geolocator) -> Tally:
        tz = self.tz
        sources, users = result.sources, result.users
        hosts = set(result.hosts)
        if hosts:  # names the log gave in place of an address: not looked up
            located = iter(geo.countries([address for index, address in enumerate(sources) if index not in hosts]))
            countries = [HOSTNAME if index in hosts else next(located) for index in range(len(sources))]
        else:
            countries = geo.countries(sources)
        tally = Tally(self.slice_seconds, tz, host=self.host, rules=self.rules)
        for kind, count in zip(_KINDS, result.kinds, strict=True):
            if count is not None:
                tally.kinds[kind] = count
        tally.country_of = dict(zip(sources, countries, strict=True))
        for index in result.uncounted:  # read only in lines an earlier build counted
            del tally.country_of[sources[index]]
        tally.sshd_lines = result.sshd_lines
        host_names = result.host_names
        for found in result.host_spans:
            read = Span(
                _moment(found.first_wall, found.first_offset, found.first_fold, tz),
                _moment(found.last_wall, found.last_offset, found.last_fold, tz),
                tuple(sorted(f"{key:08x}" for key in found.at_last)),
            )
            name = self.host or host_names[found.host]
            known = tally.spans.get(name)
            tally.spans[name] = [read if known is None else both_spans(known[0], read)]  # hosts under one --host
        per_slice = self._scanner.slices(sources, users, host_names, Counter)  # taken over as they are
        starts = result.slices
        if len(starts) != len(per_slice):
            raise RuntimeError("the scanner gave counts for another number of slices than it named")
        for index, start in enumerate(starts):
            counts = per_slice[index]
            per_slice[index] = None  # what add_slice does not keep goes now, not after the last slice
            assert counts is not None
            # A local time the clocks skipped names the instant of another slice: add_slice adds them up.
            moment = _wall_time(start.wall, tz, start.fold).astimezone(UTC)
            tally.add_slice(moment, counts.attempts, counts.probes, counts.users)
        # A part at a time from the last, the scanner letting go of each as it comes: millions of addresses fit.
        # Where millions of addresses come once each, many fail once in the same second, or try the same one name in
        # it: the scanner makes such records once and shares them (they are never changed, only replaced).
        for part in reversed(range(0, len(sources), _FAILURES_PART)):
            self._scanner.tally_failures(part, sources, users, tz, Named, tally.failures, tally.names)
        tally.accepted = self._scanner.accepted(sources, users, tz)
        return tally

    def _covers(self, host: str) -> tuple[tuple[int, int, int, int, int, tuple[int, ...]], ...]:
        """Return the spans an earlier build counted of a host's lines as the scanner compares them
        (``is_covered`` in _scan/count.c): µs since 0001-01-01 of the wall clock in the build's zone (for stamps
        without an offset) and of the instant (for stamps with one), the lines at the last instant known by number
        only, and the keys of the others."""
        found = self._covered.get(digest(self.host or host), ())
        return tuple(
            (
                *_clocks(first, self.tz),
                *_clocks(last, self.tz),
                at_last.count(ANY_LINE),
                tuple(int(key, 16) for key in at_last if key != ANY_LINE),
            )
            for first, last, at_last in found
        )

    def _local_offset(self, wall: int, fold: int) -> int:
        """Return the UTC offset, in seconds, of a wall-clock time in the reader's zone."""
        offset = _wall_time(wall, self.tz, fold).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def _to_local(self, instant: int) -> tuple[int, int]:
        """Return the build zone's UTC offset (seconds) and fold at an instant (µs since 0001-01-01 UTC)."""
        local = (_ORIGIN + timedelta(microseconds=instant)).replace(tzinfo=UTC).astimezone(self.tz)
        offset = local.utcoffset()
        return (int(offset.total_seconds()) if offset is not None else 0), local.fold

    def _header(self, raw: bytes) -> object:
        """Read the header of a line the scanner is not certain of (see ``reference_line`` in _scan/count.c)."""
        line = raw.decode("utf-8", "replace")
        if len(line) > MAX_LINE:
            return -1
        header = read_header(line, self.tz)
        if header is None:
            return None
        stamp, host, _program, pid, message = header
        if isinstance(stamp, Classic):
            parts: tuple[object, ...] = (stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second, stamp.micro)
        else:
            offset = stamp.utcoffset()
            fixed = None if stamp.tzinfo is self.tz or offset is None else int(offset.total_seconds())
            parts = (
                stamp.year,
                stamp.month,
                stamp.day,
                stamp.hour,
                stamp.minute,
                stamp.second,
                stamp.microsecond,
                fixed,
                stamp.fold,
            )
        return parts, host, pid, message


def _clocks(moment: datetime, tz: tzinfo) -> tuple[int, int]:
    """Return (wall clock in ``tz``, instant) of an aware time, in µs since 0001-01-01."""
    wall = moment.astimezone(tz).replace(tzinfo=None) - _ORIGIN
    instant = moment.astimezone(UTC).replace(tzinfo=None) - _ORIGIN
    return wall // timedelta(microseconds=1), instant // timedelta(microseconds=1)


def _moment(wall: int, offset: int | None, fold: int, zone: tzinfo) -> datetime:
    """Return a time as the scanner keeps it: its wall clock in the build's zone, or with its own UTC offset."""
    if offset is None:
        return _wall_time(wall, zone, fold)
    moment = _ORIGIN.replace(tzinfo=timezone(timedelta(seconds=offset))) + timedelta(microseconds=wall)
    return moment.replace(fold=1) if fold else moment


def _wall_time(wall: int, zone: tzinfo, fold: int) -> datetime:
    """Return the scanner's wall-clock time (µs since 0001-01-01) as a datetime in ``zone``."""
    return (_ORIGIN + timedelta(microseconds=wall)).replace(tzinfo=zone, fold=fold)


def _fields(message: str) -> tuple[int, int, str | None, str | None, int, str | None, bool, int]:
    count, kind, ip, source_host, port, user, _method, two_ways, process = read_message(message)
    port_number = -1 if port is None else port
    return count, _KIND_INDEX[kind], ip, source_host, port_number, user, two_ways, -1 if process is None else process

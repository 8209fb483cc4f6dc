"""The readers honeycast counts with, chosen by name or by what can run here; both give the same counts.

``native``: the compiled scanner (``_scan/`` through ``native.py``); it reads without Python's global lock, so the
ranges of a large file are counted on threads of one process. ``python``: the reference reader (``sshd.py``), in
processes. ``auto`` takes the first in ``READERS`` that can run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, NamedTuple, Protocol

from . import native
from .cores import no_collection
from .defences import DefenceEvent, defence_event
from .events import AuthEvent
from .geo import HOSTNAME, Geolocator
from .parts import Carried, HeadKey
from .ranges import WHOLE, Job, file_blocks, range_blocks, range_lines
from .sources import MAX_LINE, READ_ERRORS, LogSource
from .sshd import SshdParser
from .tally import Tally

if TYPE_CHECKING:
    from .scan import ReadOptions, Reporter


class Stopped(Exception):
    """Counting was stopped from outside (another part failed or was interrupted)."""


class Segment(NamedTuple):
    """What a reader counted of an input or a range of one. Read as one part of several (``head`` given), its first
    lines and every line of their connections are left to the join (``head``), and the connections still open at
    its end are handed on (``carried``): ``scan.join`` reads the parts on from one another, as one reader would."""

    job: Job
    tally: Tally
    head: list[str]
    head_clocks: list[datetime | None]
    """Per line of the head, the log's clock before it in this part (None: its first line)."""
    carried: list[Carried]
    first: datetime | None
    """The time of its first sshd line."""
    clocks: dict[str, datetime]
    """Per host its lines name, the log's clock where it ends (``Connections.clocks``)."""
    year: int | None
    """The year its first yearless stamp was placed in (its head is read in it again)."""
    hosts: frozenset[str]
    """The hosts its lines name."""
    head_keys: list[HeadKey]
    """Who the connections of its head are (``parts.reaches``)."""
    native: bool
    """Its reader was the native scanner: its head may be read again by it."""
    head_in_order: bool
    """Its head's lines kept to their hosts' clocks (none further behind than ``JOIN_SKEW``): read on their own,
    they are read at the clocks they were read at here."""


class Reader(Protocol):
    """A way of counting an input's lines."""

    name: str
    threads: bool
    """It reads without Python's global lock: ranges of one file are counted on threads, not processes."""

    def available(self) -> bool:
        """Whether it can run here."""

    def count(
        self,
        job: Job,
        read: ReadOptions,
        slice_seconds: int,
        reporter: Reporter,
        geo: Geolocator,
        stop: threading.Event | None = None,
        head: timedelta | None = None,
    ) -> Segment:
        """Return what a whole input or a range of one counts; ``stop`` set: stop at the next block; ``head``: it is
        one part of several (``Segment``)."""


class NativeReader:
    """The compiled scanner, where it was built at install."""

    name = "native"
    threads = True

    def available(self) -> bool:
        return native.AVAILABLE

    def count(
        self,
        job: Job,
        read: ReadOptions,
        slice_seconds: int,
        reporter: Reporter,
        geo: Geolocator,
        stop: threading.Event | None = None,
        head: timedelta | None = None,
    ) -> Segment:
        """Count with the native scanner: blocks of bytes, connections and counts in C."""
        counter = native.NativeCount(
            slice_seconds, read.tz, job.year, job.reference, read.covered, read.host_of(job.path), read.rules, head
        )
        source = LogSource(job.path)
        warnings = []
        done = 0
        whole = True
        try:
            for block in range_blocks(job) if job.end != WHOLE else file_blocks(source):
                if stop is not None and stop.is_set():
                    raise Stopped
                counter.feed(block)
                if counter.lines - done >= 50_000:
                    reporter.advance(counter.lines - done)
                    done = counter.lines
        except READ_ERRORS as error:  # the lines before the damage count, as the Python reader counts them
            warnings.append(source.read_failure(error, counter.lines))
            whole = False
        counter.finish(last_line=whole)
        reporter.advance(counter.lines - done)
        with no_collection():  # every address, its counts, head lines and open connections: none of them garbage
            result = counter.result()
            lines, head_clocks, carried, first, clocks, in_order = counter.part(result.host_names)
            keys = counter.head_keys()
            tally = counter.tally(result, geo)
        step = timedelta(microseconds=result.backwards_step)
        warnings.extend(
            skipped(job.path, result.overlong, result.backwards, step, result.backwards_line, result.two_ways)
        )
        for warning in warnings:
            reporter.warn(warning)
        hosts = frozenset(result.host_names)
        year = result.year or None
        note_year(tally, job, read, year)
        tally.defences = defence_events(counter.defence_lines(), job.year or year or job.reference.year, read.tz)
        return Segment(job, tally, lines, head_clocks, carried, first, clocks, year, hosts, keys, True, in_order)


class PythonReader:
    """The reference reader: every shape of line, everywhere Python runs."""

    name = "python"
    threads = False

    def available(self) -> bool:
        return True

    def count(
        self,
        job: Job,
        read: ReadOptions,
        slice_seconds: int,
        reporter: Reporter,
        geo: Geolocator,
        stop: threading.Event | None = None,
        head: timedelta | None = None,
    ) -> Segment:
        """Count line by line with the reference reader."""
        tally = Tally(slice_seconds, read.tz, host=read.host_of(job.path), covered=read.covered, rules=read.rules)
        covers = tally.covers if read.covered else None
        parser = SshdParser(
            read.tz, year=job.year, reference=job.reference, covers=covers, rules=read.rules, head=head, host=tally.host
        )
        lines = range_lines(job) if job.end != WHOLE else LogSource(job.path).lines(reporter.warn)
        kept: list[str] = []
        tally_events(tally, events_of(defence_watched(lines, kept), parser, reporter, job.path), geo)
        note_year(tally, job, read, parser.first_year)
        tally.defences = defence_events(kept, job.year or parser.first_year or job.reference.year, read.tz)
        return Segment(
            job, tally, parser.head_lines, parser.head_clocks, parser.carried, parser.first,
            parser.connections.clocks, parser.first_year, parser.hosts, parser.connections.head_keys(), False, False,
        )  # fmt: skip


READERS: dict[str, Reader] = {"native": NativeReader(), "python": PythonReader()}
"""Every reader, the one ``auto`` prefers first."""


def choose(name: str) -> Reader:
    """Return the reader called ``name`` (``auto``: the first that can run here), refusing one that cannot run."""
    if name == "auto":
        return next(reader for reader in READERS.values() if reader.available())
    reader = READERS.get(name)
    if reader is None:
        raise ValueError(f"reader {name!r}: expected auto or one of {', '.join(READERS)}")
    if not reader.available():
        raise ValueError(f"reader {name!r} cannot run here (the native scanner was not compiled)")
    return reader


def tally_events(tally: Tally, events: Iterable[AuthEvent], geo: Geolocator) -> None:
    for event, country in locate(events, geo):
        tally.add(event, country)


def defence_watched(lines: Iterable[str], kept: list[str]) -> Iterator[str]:
    """Pass the lines on, keeping in ``kept`` those fail2ban or sshguard may have written (as the native scanner
    keeps them: ``defence_events`` reads them, and reads no other line as a ban)."""
    for line in lines:
        if "fail2ban" in line or "sshguard[" in line or (line[:1] in ("{", "<") and "sshguard" in line):
            kept.append(line)
        yield line


def defence_events(lines: list[str], year: int, tz: tzinfo) -> list[DefenceEvent]:
    """Return the bans and their ends among lines kept as fail2ban's or sshguard's (yearless stamps in ``year``)."""
    return [event for line in lines if (event := defence_event(line, year, tz)) is not None]


def locate(events: Iterable[AuthEvent], geo: Geolocator) -> Iterator[tuple[AuthEvent, str | None]]:
    """Pair each event with its source's country or bucket (None for a line that names no source)."""
    country = geo.country
    for event in events:
        if event.source_ip is not None:
            yield event, country(event.source_ip)
        else:
            yield event, HOSTNAME if event.source_host is not None else None


def events_of(lines: Iterable[str], parser: SshdParser, reporter: Reporter, name: str) -> Iterator[AuthEvent]:
    parse = parser.parse
    settled = parser.settled
    pending = 0
    overlong = 0
    latest: datetime | None = None
    backwards: list[tuple[timedelta, int]] = []
    for number, line in enumerate(lines, 1):
        pending += 1
        if pending == 50_000:
            reporter.advance(pending)
            pending = 0
        if len(line) > MAX_LINE:
            overlong += 1
            continue
        event = parse(line)
        if event is not None:
            if latest is not None and latest - event.time > parser.rules.backwards:
                backwards.append((latest - event.time, number))
            if latest is None or event.time > latest:
                latest = event.time
            if settled:  # attempts of earlier lines, counted now that their connection is over: before this line
                yield from settled
                settled.clear()
            yield event
    parser.finish()
    yield from settled
    settled.clear()
    reporter.advance(pending)
    step, line_number = max(backwards, key=lambda item: item[0]) if backwards else (timedelta(0), 0)
    for warning in skipped(name, overlong, len(backwards), step, line_number, parser.two_ways):
        reporter.warn(warning)


def skipped(name: str, overlong: int, backwards: int, step: timedelta, line: int, two_ways: int) -> Iterator[str]:
    """Yield the warnings about lines skipped for length, times that went backwards, and two-way addresses."""
    if two_ways:
        yield (
            f"{name}: {two_ways:,} line{'s' if two_ways > 1 else ''} name{'' if two_ways > 1 else 's'} an address "
            "two ways (a user name copies sshd's own text); counted for the connection's address, or for none"
        )
    if overlong:
        yield f"{name}: skipped {overlong:,} line{'s' if overlong > 1 else ''} longer than 64 KiB"
    if backwards:
        yield (
            f"{name}: time goes back {backwards:,} time{'s' if backwards > 1 else ''} "
            f"(by {step} at line {line:,}); those lines are counted at their own time"
        )


def note_year(tally: Tally, job: Job, read: ReadOptions, year: int | None) -> None:
    """Keep the year an input's yearless stamps were placed in, where the modification time decided it."""
    if year is not None and read.year is None:
        tally.years[job.path] = year

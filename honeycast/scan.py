"""Read every input, parse, locate and count: in one process, or over all cores for large files."""

from __future__ import annotations

import heapq
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import Protocol

from .events import AuthEvent
from .geo import HOSTNAME, Geolocator
from .sources import LogSource, sources
from .sshd import SshdParser
from .timeline import Tally

PARALLEL_MIN_BYTES = 64 << 20
"""Plain files at least this large are split across processes; smaller ones are not worth the start-up."""
BLOCK_BYTES = 8 << 20
WHOLE = -1
"""The end of a job that reads its whole file, as LogSource does (compressed files cannot be cut)."""
BACKWARDS = timedelta(minutes=10)
"""Syslog lines arrive a little out of order; a step back longer than this is worth a warning."""
MAX_LINE = 64 * 1024
"""Longer lines are skipped: syslog caps a message at a few kilobytes, and no sshd line comes near this."""


class Reporter(Protocol):
    """Receives progress and warnings about skipped input; the CLI shows them."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def warn(self, message: str) -> None: ...


class SilentReporter:
    """Shows nothing; keeps the warnings."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass(frozen=True, slots=True)
class ReadOptions:
    logs: list[str]
    year: int | None
    tz: tzinfo
    geoip_db: Path | None = None


def usable_sources(read: ReadOptions, reporter: Reporter) -> list[LogSource]:
    """Return the inputs that hold something to read, warning about the others."""
    found = []
    for source in sources(read.logs):
        problem = source.problem()
        if problem is not None:
            reporter.warn(problem[0])
        if problem is None or not problem[1]:
            found.append(source)
    reporter.stage("Reading " + (found[0].name if len(found) == 1 else f"{len(found)} logs"))
    return found


def read_events(read: ReadOptions, reporter: Reporter) -> Iterator[AuthEvent]:
    """Yield the sshd events of every input, merged in time order (rotated sets interleave correctly)."""
    streams = [_source_events(source, read, reporter) for source in usable_sources(read, reporter)]
    if not streams:
        return iter(())
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda event: event.time)


def _parser(source: LogSource, read: ReadOptions) -> SshdParser:
    return SshdParser(read.tz, year=read.year, reference=source.modified())


def _source_events(source: LogSource, read: ReadOptions, reporter: Reporter) -> Iterator[AuthEvent]:
    return _events_of(source.lines(reporter.warn), _parser(source, read), reporter, source.name)


def _tally_events(tally: Tally, events: Iterable[AuthEvent], geo: Geolocator) -> None:
    for event, country in locate(events, geo):
        tally.add(event, country)


def _events_of(lines: Iterable[str], parser: SshdParser, reporter: Reporter, name: str) -> Iterator[AuthEvent]:
    parse = parser.parse
    pending = 0
    overlong = 0
    latest: datetime | None = None
    backwards: list[tuple[int, timedelta]] = []
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
            if latest is not None and latest - event.time > BACKWARDS:
                backwards.append((number, latest - event.time))
            if latest is None or event.time > latest:
                latest = event.time
            yield event
    reporter.advance(pending)
    if overlong:
        reporter.warn(f"{name}: skipped {overlong:,} line{'s' if overlong > 1 else ''} longer than 64 KiB")
    if backwards:
        line_number, step = max(backwards, key=lambda item: item[1])
        reporter.warn(
            f"{name}: time goes back {len(backwards):,} time{'s' if len(backwards) > 1 else ''} "
            f"(by {step} at line {line_number:,}); those lines are counted at their own time"
        )


def locate(events: Iterable[AuthEvent], geo: Geolocator) -> Iterator[tuple[AuthEvent, str | None]]:
    """Pair each event with its source's country or bucket (None for a line that names no source)."""
    country = geo.country
    for event in events:
        if event.source_ip is not None:
            yield event, country(event.source_ip)
        else:
            yield event, HOSTNAME if event.source_host is not None else None


def count(read: ReadOptions, slice_seconds: int, reporter: Reporter, workers: int | None = None) -> Tally:
    """Return the tally of every input. Large plain files are cut into ranges counted on all cores.

    Counting does not depend on the order of events, so ranges and files are counted apart and
    their tallies added. A connection whose lines straddle a cut is seen as two halves, which can
    move one probe or PAM-only attempt per cut; with cuts tens of megabytes apart this is noise.
    """
    workers = workers or len(os.sched_getaffinity(0))
    found = usable_sources(read, reporter)
    jobs: list[_Range] = []
    tally = Tally(slice_seconds)
    # Several files (a rotated set) are counted side by side, one job each; large plain files are cut into ranges.
    alongside = workers > 1 and sum(not source.is_stdin for source in found) > 1
    with Geolocator(read.geoip_db) as geo:
        for source in found:
            if workers > 1 and _splittable(source):
                jobs.extend(_ranges(source, read, workers * 4))
            elif alongside and not source.is_stdin:
                jobs.append(_Range(source.name, 0, WHOLE, read.year, source.modified()))
            else:
                _tally_events(tally, _source_events(source, read, reporter), geo)
    if jobs:
        with ProcessPoolExecutor(max_workers=workers, initializer=ignore_interrupts) as pool:
            for part, lines, warnings in pool.map(_count_range, jobs, [read] * len(jobs), [slice_seconds] * len(jobs)):
                tally = tally + part
                reporter.advance(lines)
                for warning in warnings:
                    reporter.warn(warning)
    return tally


def _splittable(source: LogSource) -> bool:
    if source.is_stdin or source.compressed:
        return False
    return Path(source.name).stat().st_size >= PARALLEL_MIN_BYTES


@dataclass(frozen=True, slots=True)
class _Range:
    path: str
    start: int
    end: int
    year: int | None
    reference: datetime


def _ranges(source: LogSource, read: ReadOptions, parts: int) -> list[_Range]:
    """Cut a file into ``parts`` ranges and find the year each starts in.

    A range owns the lines that start inside it. Yearless timestamps need the year the range
    begins in: one parser walks the first sshd line of every range in order, so a New Year
    between ranges is seen just as it would be reading the whole file.
    """
    size = Path(source.name).stat().st_size
    cuts = [size * index // parts for index in range(parts)] + [size]
    parser = _parser(source, read)
    ranges = []
    with open(source.name, "rb") as stream:
        for start, end in pairwise(cuts):
            stream.seek(start)
            if start:
                stream.readline()
            year = parser.year
            while stream.tell() < end:
                event = parser.parse(stream.readline().decode("utf-8", "replace"))
                if event is not None:
                    year = event.time.year if parser.year is not None else None
                    break
            ranges.append(_Range(source.name, start, end, year, parser.reference))
    return ranges


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the main process, which stops the workers and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _count_range(job: _Range, read: ReadOptions, slice_seconds: int) -> tuple[Tally, int, list[str]]:
    parser = SshdParser(read.tz, year=job.year, reference=job.reference)
    tally = Tally(slice_seconds)
    lines = _LineCount()
    source = _range_lines(job) if job.end != WHOLE else LogSource(job.path).lines(lines.warn)
    with Geolocator(read.geoip_db) as geo:
        _tally_events(tally, _events_of(source, parser, lines, job.path), geo)
    return tally, lines.total, lines.warnings


class _LineCount(SilentReporter):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def advance(self, amount: int = 1) -> None:
        self.total += amount


def _range_lines(job: _Range) -> Iterator[str]:
    """Yield the lines that start inside a byte range, read in large blocks."""
    with open(job.path, "rb") as stream:
        stream.seek(job.start)
        if job.start:
            stream.readline()
        position = stream.tell()
        carry = b""
        while position < job.end:
            block = stream.read(min(BLOCK_BYTES, job.end - position))
            if not block:
                break
            position += len(block)
            data = carry + block
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            # Split on line feeds only, as the file reader does: never on characters a user name may hold.
            for line in data[:cut].decode("utf-8", "replace").split("\n")[:-1]:
                yield line[:-1] if line.endswith("\r") else line
        # The line that starts before the end of the range belongs to it, even if it ends after.
        carry += stream.readline() if carry else b""
        if carry:
            yield carry.decode("utf-8", "replace").rstrip("\r\n")

"""Read every input, parse, locate and count: in one process, or over all cores for large files."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO, Protocol

from . import native
from .cores import ignore_interrupts, usable_cores
from .events import AuthEvent
from .geo import HOSTNAME, Geolocator
from .rules import RULES, RuleBook
from .sources import LINE_LIMIT, MAX_LINE, READ_ERRORS, TEXT_CHUNK, LogSource, sources
from .sshd import SshdParser
from .tally import Span, Tally

PARALLEL_MIN_BYTES = 64 << 20
"""Plain files at least this large are cut into ranges counted side by side; smaller ones are not worth it."""
BLOCK_BYTES = 4 << 20
WHOLE = -1
"""The end of a job that reads its whole file, as LogSource does (compressed files cannot be cut)."""


class Stopped(Exception):
    """Counting was stopped from outside (another part failed or was interrupted)."""


class Reporter(Protocol):
    """Receives progress and warnings about skipped input; the CLI shows them."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def warn(self, message: str) -> None: ...

    def check(self) -> None:
        """Called once all input is read: a strict reporter stops here if anything was skipped."""


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

    def check(self) -> None:
        pass


def _native_built() -> bool:
    return native.AVAILABLE


READERS: dict[str, Callable[[], bool]] = {"native": _native_built, "python": lambda: True}
"""The readers honeycast has, each with whether it can run here (the native one needs its compiled scanner).
Both give the same counts; ``auto`` takes the first that can run."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    logs: list[str]
    year: int | None
    tz: tzinfo
    geoip_db: Path | None = None
    reader: str = "auto"
    """``auto``, or a name in ``READERS``: travels with the options to every thread and process that counts."""
    host: str | None = None
    """``--host NAME``: the host every input's lines are counted under, whatever host they name."""
    hosts: dict[str, str] = field(default_factory=dict)
    """``--host NAME=LOG``: per input (as its files are named), the host its lines are counted under."""
    covered: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    """Per host, spans an earlier build counted (its history): lines in them are read, not counted again."""
    dask: str | None = None
    """``--dask``: count each input on the workers of this Dask scheduler (``tcp://…``, or ``local``)."""
    rules: RuleBook = RULES
    """What each kind of line does and the limits connections are kept in: every reader counts by it."""

    def host_of(self, name: str) -> str | None:
        """Return the host an input's lines are counted under, or None for the host each line names."""
        return self.hosts.get(name, self.host)

    def named_hosts(self) -> set[str]:
        """Return the host names given on the command line."""
        return {*self.hosts.values(), *([self.host] if self.host is not None else [])}

    def native(self) -> bool:
        """Return whether the native scanner counts, refusing a reader that cannot run here."""
        if self.reader == "auto":
            return READERS["native"]()
        if self.reader not in READERS:
            raise ValueError(f"reader {self.reader!r}: expected auto or one of {', '.join(READERS)}")
        if not READERS[self.reader]():
            raise ValueError(f"reader {self.reader!r} cannot run here (the native scanner was not compiled)")
        return self.reader == "native"


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
    return SshdParser(read.tz, year=read.year, reference=source.modified(), rules=read.rules)


def _source_events(source: LogSource, read: ReadOptions, reporter: Reporter) -> Iterator[AuthEvent]:
    return _events_of(source.lines(reporter.warn), _parser(source, read), reporter, source.name)


def _tally_events(tally: Tally, events: Iterable[AuthEvent], geo: Geolocator) -> None:
    for event, country in locate(events, geo):
        tally.add(event, country)


def _events_of(lines: Iterable[str], parser: SshdParser, reporter: Reporter, name: str) -> Iterator[AuthEvent]:
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
    for warning in _skipped(name, overlong, len(backwards), step, line_number, parser.two_ways):
        reporter.warn(warning)


def _skipped(name: str, overlong: int, backwards: int, step: timedelta, line: int, two_ways: int) -> Iterator[str]:
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


def locate(events: Iterable[AuthEvent], geo: Geolocator) -> Iterator[tuple[AuthEvent, str | None]]:
    """Pair each event with its source's country or bucket (None for a line that names no source)."""
    country = geo.country
    for event in events:
        if event.source_ip is not None:
            yield event, country(event.source_ip)
        else:
            yield event, HOSTNAME if event.source_host is not None else None


def tally_logs(read: ReadOptions, slice_seconds: int, reporter: Reporter, workers: int | None = None) -> Tally:
    """Return the tally of every input. Large plain files are cut into ranges counted on all cores.

    Counting does not depend on the order of events, so ranges and files are counted apart and
    their tallies added. A connection whose lines straddle a cut is seen as two halves, which can
    move one probe or PAM-only attempt per cut; with cuts tens of megabytes apart this is noise.
    """
    workers = workers or usable_cores()
    found = usable_sources(read, reporter)
    jobs: list[_Range] = []
    tally = Tally(slice_seconds, read.tz, rules=read.rules)
    if read.dask is not None:
        _count_on_dask(tally, found, read, reporter)
        return tally
    # Several files (a rotated set) are counted side by side, one job each; large plain files are cut into ranges.
    alongside = workers > 1 and sum(not source.is_stdin for source in found) > 1
    with Geolocator(read.geoip_db) as geo:
        for source in found:
            if workers > 1 and _splittable(source):
                jobs.extend(_ranges(source, read, workers))
                continue
            whole = _Range(source.name, 0, WHOLE, read.year, source.modified())
            if alongside and not source.is_stdin:
                jobs.append(whole)
            else:
                tally.update(_count_job(whole, read, slice_seconds, reporter, geo))
        if jobs and read.native():
            _count_on_threads(tally, jobs, read, reporter, geo, workers)
        elif jobs:
            _count_in_processes(tally, jobs, read, reporter, geo, workers)
    return tally


def _count_on_threads(
    tally: Tally, jobs: list[_Range], read: ReadOptions, reporter: Reporter, geo: Geolocator, workers: int
) -> None:
    """Count jobs on threads: the native scanner reads without the GIL, so nothing is copied between processes."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_count_job, job, read, tally.slice_seconds, reporter, geo, stop) for job in jobs]
        try:
            for future in futures:
                tally.update(future.result())
        except BaseException:
            stop.set()  # Ctrl-C or an error: the other threads stop at their next block
            pool.shutdown(cancel_futures=True)
            raise


def _count_in_processes(
    tally: Tally, jobs: list[_Range], read: ReadOptions, reporter: Reporter, geo: Geolocator, workers: int
) -> None:
    """Count jobs with the Python reader on all cores; this process takes every workers-th job itself."""
    own, others = jobs[::workers], [job for index, job in enumerate(jobs) if index % workers]
    seconds = tally.slice_seconds
    with ProcessPoolExecutor(max_workers=workers - 1, initializer=ignore_interrupts) as pool:
        results = pool.map(_count_range, others, [read] * len(others), [seconds] * len(others))
        for job in own:
            tally.update(_count_job(job, read, seconds, reporter, geo))
        for part, lines, warnings in results:
            tally.update(part)
            reporter.advance(lines)
            for warning in warnings:
                reporter.warn(warning)


def _count_on_dask(tally: Tally, found: list[LogSource], read: ReadOptions, reporter: Reporter) -> None:
    """Count each file on a worker of the Dask cluster (standard input here) and add the tallies up in order."""
    from .cluster import map_jobs

    assert read.dask is not None
    files = [_Range(source.name, 0, WHOLE, read.year, source.modified()) for source in found if not source.is_stdin]
    if len(files) < len(found):
        with Geolocator(read.geoip_db) as geo:
            stdin = _Range("-", 0, WHOLE, read.year, LogSource("-").modified())
            tally.update(_count_job(stdin, read, tally.slice_seconds, reporter, geo))
    alone = replace(read, dask=None)
    for part, lines, warnings in map_jobs(
        read.dask, _count_range, files, read=alone, slice_seconds=tally.slice_seconds
    ):
        tally.update(part)
        reporter.advance(lines)
        for warning in warnings:
            reporter.warn(warning)


def _splittable(source: LogSource) -> bool:
    if source.is_stdin or source.compressed or source.is_url:
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
            _seek_line(stream, start)
            year = parser.year
            while stream.tell() < end:
                event = parser.parse(stream.readline().decode("utf-8", "replace"))
                if event is not None:
                    year = event.time.year if parser.year is not None else None
                    break
            ranges.append(_Range(source.name, start, end, year, parser.reference))
    return ranges


def _seek_line(stream: BinaryIO, offset: int) -> None:
    """Move to the first line that starts at or after ``offset``."""
    stream.seek(max(offset - 1, 0))
    if offset:
        stream.readline()  # the rest of the line before (just its line feed if one ends at offset - 1)


def _count_range(job: _Range, read: ReadOptions, slice_seconds: int) -> tuple[Tally, int, list[str]]:
    lines = _LineCount()
    with Geolocator(read.geoip_db) as geo:
        tally = _count_job(job, read, slice_seconds, lines, geo)
    return tally, lines.total, lines.warnings


def _count_job(
    job: _Range,
    read: ReadOptions,
    slice_seconds: int,
    reporter: Reporter,
    geo: Geolocator,
    stop: threading.Event | None = None,
) -> Tally:
    """Return the tally of a whole input or of a range of one: natively where the scanner can, else in Python."""
    if read.native():
        return _native_tally(job, read, slice_seconds, reporter, geo, stop)
    tally = Tally(slice_seconds, read.tz, host=read.host_of(job.path), covered=read.covered, rules=read.rules)
    covers = tally.covers if read.covered else None
    parser = SshdParser(read.tz, year=job.year, reference=job.reference, covers=covers, rules=read.rules)
    lines = _range_lines(job) if job.end != WHOLE else LogSource(job.path).lines(reporter.warn)
    _tally_events(tally, _events_of(lines, parser, reporter, job.path), geo)
    _note_year(tally, job, read, parser.first_year)
    return tally


def _note_year(tally: Tally, job: _Range, read: ReadOptions, year: int | None) -> None:
    """Keep the year an input's yearless stamps were placed in, where the modification time decided it."""
    if year is not None and read.year is None:
        tally.years[job.path] = year


def _native_tally(
    job: _Range,
    read: ReadOptions,
    slice_seconds: int,
    reporter: Reporter,
    geo: Geolocator,
    stop: threading.Event | None = None,
) -> Tally:
    """Count with the native scanner."""
    counter = native.NativeCount(
        slice_seconds, read.tz, job.year, job.reference, read.covered, read.host_of(job.path), read.rules
    )
    source = LogSource(job.path)
    warnings = []
    done = 0
    whole = True
    try:
        for block in _range_blocks(job) if job.end != WHOLE else _file_blocks(source):
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
    result = counter.result()
    step = timedelta(microseconds=result["backwards_step"])
    warnings.extend(
        _skipped(job.path, result["overlong"], result["backwards"], step, result["backwards_line"], result["two_ways"])
    )
    for warning in warnings:
        reporter.warn(warning)
    tally = counter.tally(result, geo)
    _note_year(tally, job, read, result["year"] or None)
    return tally


def _file_blocks(source: LogSource) -> Iterator[bytes]:
    with source.open_binary() as stream:
        if source.compressed:
            # In the steps the text reader takes, so a file cut short yields the same lines either way.
            while block := stream.read1(TEXT_CHUNK):  # type: ignore[attr-defined]
                yield block
        else:
            while block := stream.read(BLOCK_BYTES):
                yield block


class _LineCount(SilentReporter):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def advance(self, amount: int = 1) -> None:
        self.total += amount


def _range_blocks(job: _Range) -> Iterator[bytes]:
    """Yield the bytes of the lines that start inside a byte range, in large blocks."""
    with open(job.path, "rb") as stream:
        _seek_line(stream, job.start)
        position = stream.tell()
        ended = True
        while position < job.end:
            block = stream.read(min(BLOCK_BYTES, job.end - position))
            if not block:
                break
            position += len(block)
            ended = block.endswith(b"\n")
            yield block
        # The line that starts before the end of the range belongs to it, even if it ends after.
        if not ended:
            yield stream.readline()


def _range_lines(job: _Range) -> Iterator[str]:
    """Yield the lines that start inside a byte range, as LogSource.lines does for a whole file."""
    carry = b""
    skipping = False
    for block in _range_blocks(job):
        if skipping:  # inside a line too long to keep: drop it up to its end
            end = block.find(b"\n")
            if end < 0:
                continue
            skipping, block = False, block[end + 1 :]
        data = carry + block
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        # Split on line feeds only, as the file reader does: never on characters a user name may hold.
        for line in data[:cut].decode("utf-8", "replace").split("\n")[:-1]:
            yield line.rstrip("\r")
        if len(carry) > 4 * LINE_LIMIT:  # more characters than MAX_LINE however it decodes
            yield carry[: 4 * LINE_LIMIT].decode("utf-8", "replace")  # skipped as too long, counted as one line
            carry, skipping = b"", True
    if carry:
        yield carry.decode("utf-8", "replace").rstrip("\r")

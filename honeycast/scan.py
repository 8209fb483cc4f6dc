"""Read every input, parse, locate and count: in one process, or over all cores for large files."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from . import native
from .cores import ignore_interrupts, no_collection, usable_cores
from .events import AuthEvent
from .geo import Geolocator
from .nights import left_open
from .parts import JOIN_SKEW, Carried, Kept, goes_on, reach, reaches
from .ranges import WHOLE, Job, cut, range_lines, splittable
from .readers import Reader, Segment, choose, events_of, tally_events
from .rules import RULES, RuleBook
from .sources import LogSource, sources
from .spans import Span, both_spans
from .sshd import SshdParser
from .tally import Tally


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


@dataclass(frozen=True, slots=True)
class ReadOptions:
    logs: list[str]
    year: int | None
    tz: tzinfo
    geoip_db: Path | None = None
    asn_db: Path | None = None
    """The network (ASN) database; None: the one honeycast ships."""
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
    left_open: tuple[Kept, ...] = ()
    """Connections an earlier build left open where its lines ended (its history): lines here may go on them."""
    hand_on: bool = False
    """Keep the connections still open where the lines end (``Tally.open``), for a later build to go on."""

    def host_of(self, name: str) -> str | None:
        """Return the host an input's lines are counted under, or None for the host each line names."""
        return self.hosts.get(name, self.host)

    def named_hosts(self) -> set[str]:
        """Return the host names given on the command line."""
        return {*self.hosts.values(), *([self.host] if self.host is not None else [])}

    def counter(self) -> Reader:
        """Return the reader that counts (``readers.choose``), refusing one that cannot run here."""
        return choose(self.reader)


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


def attempt_times(read: ReadOptions, wanted: Callable[[str], bool]) -> dict[str, list[tuple[datetime, int]]]:
    """Return, per address ``wanted`` keeps, the attempts it made each second (the second's start, UTC), in time
    order: the logs counted again in slices of a second, as the first reading counted them (the same readers,
    the same lines left out), only by a build whose logs hold bans."""
    tally = tally_logs(read, 1, SilentReporter())
    found: dict[str, list[tuple[datetime, int]]] = {}
    for start in sorted(tally.slices):
        for address, attempts in tally.slices[start].sources.items():
            if attempts and wanted(address):
                found.setdefault(address, []).append((start, attempts))
    return found


def _parser(source: LogSource, read: ReadOptions) -> SshdParser:
    return SshdParser(read.tz, year=read.year, reference=source.modified(), rules=read.rules)


def _source_events(source: LogSource, read: ReadOptions, reporter: Reporter) -> Iterator[AuthEvent]:
    return events_of(source.lines(reporter.warn), _parser(source, read), reporter, source.name)


def tally_logs(read: ReadOptions, slice_seconds: int, reporter: Reporter, workers: int | None = None) -> Tally:
    """Return the tally of every input. Large plain files are cut into ranges counted on all cores.

    Files and ranges are counted apart, side by side, as parts of one log: each leaves its first lines (and their
    connections' later lines) and the connections still open at its end to ``join``, which reads the parts on
    from one another in time order, as one reader reading them one after the other would.
    """
    workers = workers or usable_cores()
    found = usable_sources(read, reporter)
    if read.dask is not None:
        return join(_count_on_dask(found, read, reporter, slice_seconds), read, slice_seconds)
    jobs: list[Job] = []
    for source in found:
        if workers > 1 and splittable(source):
            jobs.extend(cut(source, _parser(source, read), workers))
        else:
            jobs.append(Job(source.name, 0, WHOLE, read.year, source.modified()))
    head = _head(read, len(jobs))
    reader = read.counter()
    # Several files (a rotated set) are counted side by side, one job each; standard input in this process.
    alongside = [job for job in jobs if job.path != "-"] if workers > 1 and len(jobs) > 1 else []
    segments: list[Segment] = []
    with Geolocator(read.geoip_db) as geo:
        for job in jobs:
            if job not in alongside:
                segments.append(reader.count(job, read, slice_seconds, reporter, geo, head=head))
        if alongside:
            segments.extend(_count_alongside(reader, alongside, read, slice_seconds, reporter, geo, workers, head))
        place = {job: index for index, job in enumerate(jobs)}
        segments.sort(key=lambda segment: place[segment.job])  # parts that begin at one instant: in the order given
        return join(segments, read, slice_seconds, geo)


def join(segments: list[Segment], read: ReadOptions, slice_seconds: int, geo: Geolocator | None = None) -> Tally:
    """Return the tally of parts of a log counted apart (``Segment``), as one reader of them all would count it.

    The parts are taken in the order one reader would read them (``_in_order``). Each part's head (its lines the
    reader left, which may go on a connection an earlier part left open) is read by the reference reader, handed
    the connections still open where the parts before ended and the log's clock there; what is open after it is
    handed on with the part's own. A part that begins further back in time than the clock (a file read twice) is
    read again whole from there. At the end, every connection is over.
    """
    tally = Tally(slice_seconds, read.tz, rules=read.rules)
    if len(segments) == 1 and not segments[0].head and not segments[0].carried and not read.left_open:
        tally.update(segments[0].tally)
        tally.count_logins()
        return tally
    located_here = Geolocator(read.geoip_db) if geo is None else contextlib.nullcontext(geo)
    with located_here as located, no_collection():  # records of every part, none of them garbage
        # per host, the log's clock where the parts read so far ended, and the connections they left open
        carried, clocks, unnamed = left_open(segments, read)
        expired: list[Carried] = []  # over: no later part reaches them (settled at the end, at their own times)
        for segment in _in_order([one for one in segments if one.first is not None]):
            assert segment.first is not None
            back = any(one.host in segment.hosts and one.last > segment.first + JOIN_SKEW for one in carried)
            if not back and segment.native and segment.head_in_order and _apart(segment, carried, read.rules):
                # No connection left open before is one of the head's, and the head's are over by the part's end:
                # the head counts alone, as fast as the rest (those left open go on, their host's clock with them).
                part = _head_alone(segment, read, slice_seconds, located)
                clocks = {**clocks, **segment.clocks}
                going: list[Carried] = []
                for one in carried:
                    (going if goes_on(one.open_login, one.last, clocks[one.host], read.rules) else expired).append(one)
                carried = going + segment.carried
            else:
                part = Tally(
                    slice_seconds, read.tz, host=read.host_of(segment.job.path), covered=read.covered, rules=read.rules
                )
                parser = SshdParser(
                    read.tz,
                    year=segment.year,
                    reference=segment.job.reference,
                    covers=part.covers if read.covered else None,
                    rules=read.rules,
                    carried=carried,
                    clocks=clocks,
                    host=part.host,
                )
                if back:
                    # The log went back in time where it was cut (a file read twice, a clock set back): lines far
                    # into this part may go on connections the parts before left open. It is read again, whole.
                    job = segment.job
                    whole = range_lines(job) if job.end != WHOLE else LogSource(job.path).lines(lambda warning: None)
                    tally_events(part, _replayed(parser, whole, None), located)
                    carried, clocks = parser.carried, parser.connections.clocks
                    tally.update(part)
                    continue
                tally_events(part, _replayed(parser, segment.head, segment.head_clocks), located)
                carried = parser.carried + segment.carried
                clocks = {**parser.connections.clocks, **segment.clocks}  # where the parts follow one another
            head_spans, part.spans = part.spans, {}
            part.update(segment.tally)
            for host, (span,) in head_spans.items():  # one input: its head and the rest read as one span
                rest = part.spans.get(host)
                part.spans[host] = [span if rest is None else both_spans(span, rest[0])]
            tally.update(part)
        last = Tally(slice_seconds, read.tz, rules=read.rules)
        still = [one for one in carried if goes_on(one.open_login, one.last, clocks[one.host], read.rules)]
        # Only connections with something left to count: failures waiting, or a probe to decide.
        left = [one for one in (*expired, *carried) if one.pending or one.ended is not None]
        parser = SshdParser(read.tz, rules=read.rules, carried=left, clocks=clocks)
        tally_events(last, _replayed(parser, [], None, carry=False), located)
        tally.update(last)
        if read.hand_on:
            tally.open = still
            tally.open_kept = [
                one for host, one in unnamed if goes_on(one.open_login, one.last, clocks[host], read.rules)
            ]
    for segment in segments:
        if segment.first is None:
            tally.update(segment.tally)
    tally.count_logins()
    return tally


def _apart(segment: Segment, carried: list[Carried], rules: RuleBook) -> bool:
    """Whether a part's head may be counted on its own: no connection left open before may be one of its
    connections, and those are over by the part's end (none is handed on)."""
    over = all(not goes_on(one.open_login, one.last, segment.clocks[one.host], rules) for one in segment.head_keys)
    return over and not reaches(carried, segment.head_keys)


def _head_alone(segment: Segment, read: ReadOptions, slice_seconds: int, geo: Geolocator) -> Tally:
    """Return the tally of a part's head counted on its own by the native scanner."""
    job = segment.job
    counter = native.NativeCount(
        slice_seconds, read.tz, segment.year, job.reference, read.covered, read.host_of(job.path), read.rules
    )
    counter.feed("".join(line if line.endswith("\n") else line + "\n" for line in segment.head).encode())
    counter.finish()
    return counter.tally(counter.result(), geo)


def _in_order(segments: list[Segment]) -> list[Segment]:
    """Return the parts in the order one reader would read them: the ranges of a file in the file's order, and the
    files in the order of their first lines (a rotated set given in any order: newest first, by a pattern)."""
    ranges: dict[str, list[Segment]] = {}
    for segment in segments:
        ranges.setdefault(segment.job.path, []).append(segment)
    files = [sorted(found, key=lambda one: one.job.start) for found in ranges.values()]
    files.sort(key=lambda found: found[0].first)  # type: ignore[arg-type, return-value]
    return [segment for found in files for segment in found]


def _replayed(
    parser: SshdParser, lines: Iterable[str], clocks: list[datetime | None] | None, carry: bool = True
) -> Iterator[AuthEvent]:
    """Yield the events of a part's head read on from the connections the parts before left open, each line at the
    clock its host had there for the part's reader (``clocks``: it read the lines between), then those of the
    connections no later part can go on (with ``carry``; else every one: the log ends) as their failures settle."""
    settled = parser.settled
    for line, clock in zip(lines, clocks or itertools.repeat(None), strict=clocks is not None):
        event = parser.parse(line, clock)
        if event is not None:
            yield from settled
            settled.clear()
            yield event
    parser.carried = parser.connections.finish(carry)
    yield from settled
    settled.clear()


def _head(read: ReadOptions, parts: int) -> timedelta | None:
    """How long a part's head lasts, or None where no head is left to the join: one part read whole, with no night
    before it to go on from and none after it to hand on to."""
    return reach(read.rules) if parts > 1 or read.hand_on or read.left_open else None


def _count_alongside(
    reader: Reader,
    jobs: list[Job],
    read: ReadOptions,
    seconds: int,
    reporter: Reporter,
    geo: Geolocator,
    workers: int,
    head: timedelta | None,
) -> list[Segment]:
    """Count jobs side by side on all cores: on threads where the reader reads without the GIL (nothing is copied
    between processes), else in processes, this one taking every workers-th job itself."""
    if reader.threads:
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(reader.count, job, read, seconds, reporter, geo, stop, head) for job in jobs]
            try:
                return [future.result() for future in futures]
            except BaseException:
                stop.set()  # Ctrl-C or an error: the other threads stop at their next block
                pool.shutdown(cancel_futures=True)
                raise
    own, others = jobs[::workers], [job for index, job in enumerate(jobs) if index % workers]
    segments = []
    with ProcessPoolExecutor(max_workers=workers - 1, initializer=ignore_interrupts) as pool:
        results = pool.map(_count_range, others, [read] * len(others), [seconds] * len(others), [head] * len(others))
        for job in own:
            segments.append(reader.count(job, read, seconds, reporter, geo, head=head))
        for segment, lines, warnings in results:
            segments.append(segment)
            reporter.advance(lines)
            for warning in warnings:
                reporter.warn(warning)
    return segments


def _count_on_dask(found: list[LogSource], read: ReadOptions, reporter: Reporter, seconds: int) -> list[Segment]:
    """Count each file on a worker of the Dask cluster (standard input here)."""
    from .cluster import map_jobs

    assert read.dask is not None
    head = _head(read, len(found))
    segments = []
    files = [Job(source.name, 0, WHOLE, read.year, source.modified()) for source in found if not source.is_stdin]
    if len(files) < len(found):
        with Geolocator(read.geoip_db) as geo:
            stdin = Job("-", 0, WHOLE, read.year, LogSource("-").modified())
            segments.append(read.counter().count(stdin, read, seconds, reporter, geo, head=head))
    alone = replace(read, dask=None)
    for segment, lines, warnings in map_jobs(
        read.dask, _count_range, files, read=alone, slice_seconds=seconds, head=head
    ):
        segments.append(segment)
        reporter.advance(lines)
        for warning in warnings:
            reporter.warn(warning)
    return segments


def _count_range(
    job: Job, read: ReadOptions, slice_seconds: int, head: timedelta | None = None
) -> tuple[Segment, int, list[str]]:
    lines = _LineCount()
    with Geolocator(read.geoip_db) as geo:
        segment = read.counter().count(job, read, slice_seconds, lines, geo, head=head)
    return segment, lines.total, lines.warnings


class _LineCount(SilentReporter):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def advance(self, amount: int = 1) -> None:
        self.total += amount

"""Read every input, parse, locate and count: in one process, or over all cores for large files."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import Protocol

from .cores import ignore_interrupts, usable_cores
from .events import AuthEvent
from .geo import Geolocator
from .ranges import WHOLE, Job, cut, splittable
from .readers import Reader, choose, events_of
from .rules import RULES, RuleBook
from .sources import LogSource, sources
from .sshd import SshdParser
from .tally import Span, Tally


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


def _parser(source: LogSource, read: ReadOptions) -> SshdParser:
    return SshdParser(read.tz, year=read.year, reference=source.modified(), rules=read.rules)


def _source_events(source: LogSource, read: ReadOptions, reporter: Reporter) -> Iterator[AuthEvent]:
    return events_of(source.lines(reporter.warn), _parser(source, read), reporter, source.name)


def tally_logs(read: ReadOptions, slice_seconds: int, reporter: Reporter, workers: int | None = None) -> Tally:
    """Return the tally of every input. Large plain files are cut into ranges counted on all cores.

    Counting does not depend on the order of events, so ranges and files are counted apart and
    their tallies added. A connection whose lines straddle a cut is seen as two halves, which can
    move one probe or PAM-only attempt per cut; with cuts tens of megabytes apart this is noise.
    """
    workers = workers or usable_cores()
    found = usable_sources(read, reporter)
    jobs: list[Job] = []
    tally = Tally(slice_seconds, read.tz, rules=read.rules)
    if read.dask is not None:
        _count_on_dask(tally, found, read, reporter)
        return tally
    # Several files (a rotated set) are counted side by side, one job each; large plain files are cut into ranges.
    alongside = workers > 1 and sum(not source.is_stdin for source in found) > 1
    reader = read.counter()
    with Geolocator(read.geoip_db) as geo:
        for source in found:
            if workers > 1 and splittable(source):
                jobs.extend(cut(source, _parser(source, read), workers))
                continue
            whole = Job(source.name, 0, WHOLE, read.year, source.modified())
            if alongside and not source.is_stdin:
                jobs.append(whole)
            else:
                tally.update(reader.count(whole, read, slice_seconds, reporter, geo))
        if jobs and reader.threads:
            _count_on_threads(reader, tally, jobs, read, reporter, geo, workers)
        elif jobs:
            _count_in_processes(reader, tally, jobs, read, reporter, geo, workers)
    return tally


def _count_on_threads(
    reader: Reader, tally: Tally, jobs: list[Job], read: ReadOptions, reporter: Reporter, geo: Geolocator, workers: int
) -> None:
    """Count jobs on threads: the reader reads without the GIL, so nothing is copied between processes."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(reader.count, job, read, tally.slice_seconds, reporter, geo, stop) for job in jobs]
        try:
            for future in futures:
                tally.update(future.result())
        except BaseException:
            stop.set()  # Ctrl-C or an error: the other threads stop at their next block
            pool.shutdown(cancel_futures=True)
            raise


def _count_in_processes(
    reader: Reader, tally: Tally, jobs: list[Job], read: ReadOptions, reporter: Reporter, geo: Geolocator, workers: int
) -> None:
    """Count jobs with a reader that needs the GIL on all cores; this process takes every workers-th job itself."""
    own, others = jobs[::workers], [job for index, job in enumerate(jobs) if index % workers]
    seconds = tally.slice_seconds
    with ProcessPoolExecutor(max_workers=workers - 1, initializer=ignore_interrupts) as pool:
        results = pool.map(_count_range, others, [read] * len(others), [seconds] * len(others))
        for job in own:
            tally.update(reader.count(job, read, seconds, reporter, geo))
        for part, lines, warnings in results:
            tally.update(part)
            reporter.advance(lines)
            for warning in warnings:
                reporter.warn(warning)


def _count_on_dask(tally: Tally, found: list[LogSource], read: ReadOptions, reporter: Reporter) -> None:
    """Count each file on a worker of the Dask cluster (standard input here) and add the tallies up in order."""
    from .cluster import map_jobs

    assert read.dask is not None
    files = [Job(source.name, 0, WHOLE, read.year, source.modified()) for source in found if not source.is_stdin]
    if len(files) < len(found):
        with Geolocator(read.geoip_db) as geo:
            stdin = Job("-", 0, WHOLE, read.year, LogSource("-").modified())
            tally.update(read.counter().count(stdin, read, tally.slice_seconds, reporter, geo))
    alone = replace(read, dask=None)
    for part, lines, warnings in map_jobs(
        read.dask, _count_range, files, read=alone, slice_seconds=tally.slice_seconds
    ):
        tally.update(part)
        reporter.advance(lines)
        for warning in warnings:
            reporter.warn(warning)


def _count_range(job: Job, read: ReadOptions, slice_seconds: int) -> tuple[Tally, int, list[str]]:
    lines = _LineCount()
    with Geolocator(read.geoip_db) as geo:
        tally = read.counter().count(job, read, slice_seconds, lines, geo)
    return tally, lines.total, lines.warnings


class _LineCount(SilentReporter):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def advance(self, amount: int = 1) -> None:
        self.total += amount

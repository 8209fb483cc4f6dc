"""What the user sees on the terminal: progress, the summary, and errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from .errors import HoneycastError, InputError, NothingNew, UsageError
from .events import AuthEvent, EventKind, event_record
from .geo import Geolocator
from .readers import locate
from .scan import read_events
from .site import snippets

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from .build import BuildOptions, BuildResult
    from .config import BuildArguments

stderr = Console(stderr=True, highlight=False)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn honeycast's errors into one line on stderr and an exit code, never a traceback."""
    try:
        yield
    except NothingNew as done:
        stderr.print(f"honeycast: {done}", markup=False, soft_wrap=True)
        raise typer.Exit(0) from None
    except HoneycastError as error:
        stderr.print(f"honeycast: error: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        stderr.print("honeycast: interrupted", markup=False)
        raise typer.Exit(130) from None
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        raise typer.Exit(0) from None


class Warnings:
    """Warnings about skipped input: printed as they come, or with ``--strict`` kept, and every one of them
    reported as an error once the input is read (``check``), so one run shows every problem."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.problems: list[str] = []

    def warn(self, message: str) -> None:
        if self.strict:
            self.problems.append(message)  # from any thread that reads: list.append holds the GIL
        else:
            stderr.print(f"honeycast: warning: {message}", markup=False, soft_wrap=True)

    def check(self) -> None:
        if self.problems:
            raise InputError("\nhoneycast: error: ".join(f"{problem} (--strict)" for problem in self.problems))


class WarningReporter(Warnings):
    """No progress; warnings on stderr."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


class RichReporter(Warnings):
    """Progress bars on stderr, one task per stage, warnings above them."""

    def __init__(self, progress: Progress, strict: bool) -> None:
        super().__init__(strict)
        self.progress = progress
        self.task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self._finish()
        self.task = self.progress.add_task(escape(name), total=total)  # file names are text, not markup

    def _finish(self) -> None:
        """Close an open-ended stage (reading has no known total) so its bar stops pulsing."""
        if self.task is not None:
            task = self.progress.tasks[-1]
            if task.total is None:
                self.progress.update(task.id, total=task.completed)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)


def run_build(arguments: BuildArguments, *, strict: bool, quiet: bool, verbose: bool) -> None:
    """Check the options of ``honeycast build``, build, and print the summary."""
    from .build import build
    from .config import build_options

    with reported_errors():
        options = build_options(arguments)
        if quiet or not stderr.is_terminal:  # progress bars only where someone watches them
            result = build(options, WarningReporter(strict))
        else:
            from rich.progress import (  # only where someone watches the bars
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            )
            with progress:
                result = build(options, RichReporter(progress, strict))
    if not quiet:
        summarize(result, options, verbose)


def summarize(result: BuildResult, options: BuildOptions, verbose: bool) -> None:
    """Print what was built: the counts, what was assumed, the files, and what to paste into a wiki."""
    timeline = result.timeline
    totals = timeline.totals
    top = ", ".join(f"{code} {count:,}" for code, count in totals.most_common(5))
    stderr.print(
        f"[bold]{sum(totals.values()):,}[/] attempts from [bold]{timeline.countries_hit}[/] countries, "
        f"{sum(timeline.probe_totals.values()):,} probes "
        f"({timeline.sshd_lines:,} sshd lines, {timeline.distinct_addresses:,} addresses)",
        soft_wrap=True,
    )
    if timeline.owner_attempts:
        stderr.print(
            f"{timeline.owner_attempts:,} failed attempt{'s' if timeline.owner_attempts != 1 else ''} from addresses "
            "that then logged in without attacking (yours) left out of every count",
            markup=False,
            soft_wrap=True,
        )
    for line in assumptions(result, options.read.year):
        stderr.print(line, markup=False, soft_wrap=True)
    if top:
        stderr.print(f"top origins: {top}", markup=False, soft_wrap=True)
    if result.replaced_history:
        stderr.print(
            f"{result.out}: the history of its earlier builds was replaced by this build's (--append adds to it)",
            markup=False,
            soft_wrap=True,
        )
    if result.history_days:
        days = result.history_days
        hosts = len(timeline.hosts)
        stderr.print(
            f"history: {days:,} day{'s' if days != 1 else ''} kept in data/history/"
            + (f", {hosts} hosts" if hosts > 1 else "")
            + (" (these logs added to it: lines of times counted before were skipped)" if options.append else ""),
            markup=False,
            soft_wrap=True,
        )
    if verbose:
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in timeline.events.most_common())
        stderr.print(f"sshd events read: {kinds}", markup=False, soft_wrap=True)
    geoip = result.geoip
    stderr.print(f"{geoip.credit}; database built {geoip.built.date().isoformat()}", markup=False, soft_wrap=True)
    for path in result.outputs:
        stderr.print(f"  wrote {path}", markup=False, soft_wrap=True)
    prefix = options.base_url or f"{result.out.name}/"
    where = "" if options.base_url else " (links relative to the site; --base-url makes them absolute)"
    stderr.print(f"paste it{where}:", markup=False, soft_wrap=True)
    for place, text in snippets(prefix, options.title, options.gif):
        stderr.print(f"  {place}: {text}", markup=False, soft_wrap=True)
    stderr.print(f"done in {result.seconds:.1f} s")
    if verbose:
        from .stopwatch import stages_text

        stderr.print(f"time: {stages_text(result.stages)}", markup=False, soft_wrap=True)


def assumptions(result: BuildResult, year: int | None) -> Iterator[str]:
    """Yield what the build assumed: the span, the slices, the zone, and where yearless stamps' year came from."""
    from .slicing import slice_text

    timeline = result.timeline
    first, last = timeline.start, timeline.end
    zone_name = first.strftime("%Z") or first.strftime("%z")
    yield (
        f"span {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} {zone_name}: "
        f"{len(timeline.slices):,} slices of {slice_text(timeline.slice_seconds)}"
    )
    if year is not None:
        yield f"yearless timestamps read as {year} (--year)"
    for name, placed in sorted(result.years.items()):
        yield f"yearless timestamps of {name} read as {placed} (the file's modification time; --year to change it)"


def kind_filter(text: str) -> Callable[[AuthEvent], bool]:
    """Return the test ``--kinds`` asks for: ``known`` (every family but unknown), ``all``, ``attacks``, or a list."""
    if text == "all":
        return lambda event: True
    if text == "known":
        return lambda event: event.kind is not EventKind.UNKNOWN
    if text == "attacks":
        return lambda event: event.attempts > 0 or event.probe or event.kind is EventKind.INVALID_USER
    names = {name.strip() for name in text.split(",") if name.strip()}
    valid = {kind.value for kind in EventKind}
    wrong = sorted(names - valid)
    if wrong or not names:
        raise UsageError(
            f"--kinds {text!r}: unknown kind {', '.join(wrong) or '(none)'}; known: {', '.join(sorted(valid))}"
        )
    return lambda event: event.kind.value in names


def run_serve(out: Path, port: int) -> None:
    from .preview import serve

    with reported_errors():
        try:
            serve(
                out,
                port,
                announce=lambda url: stderr.print(
                    f"serving {out} at {url} (Ctrl-C stops)", markup=False, soft_wrap=True
                ),
            )
        except KeyboardInterrupt:
            stderr.print("stopped", markup=False)


def run_parse(
    logs: list[str], *, kinds: str, geoip_db: Path | None, year: int | None, tz: str | None, strict: bool
) -> None:

    from .config import read_options

    with reported_errors():
        wanted = kind_filter(kinds)
        read = read_options(logs, geoip_db=geoip_db, year=year, tz=tz)
        write = sys.stdout.write
        reporter = WarningReporter(strict)
        with Geolocator(read.geoip_db) as geo:
            for event, country in locate(read_events(read, reporter), geo):
                if wanted(event):
                    write(json.dumps(event_record(event, country), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        reporter.check()

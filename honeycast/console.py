"""The commands' terminal side: ``build``, ``parse`` and ``serve`` run with errors as one line and an exit code
(progress in progress.py, the build's summary in summary.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .errors import HoneycastError, NothingNew, OutputError, UsageError
from .events import AuthEvent, EventKind, event_record
from .geo import Geolocator
from .progress import RichReporter, WarningReporter
from .readers import locate
from .scan import read_events
from .summary import summarize
from .terminal import stderr

if TYPE_CHECKING:
    from .config import BuildArguments


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
    logs: list[str],
    *,
    kinds: str,
    geoip_db: Path | None,
    asn_db: Path | None = None,
    year: int | None,
    tz: str | None,
    strict: bool,
) -> None:

    from .config import read_options
    from .networks import Networks

    with reported_errors():
        wanted = kind_filter(kinds)
        read = read_options(logs, geoip_db=geoip_db, asn_db=asn_db, year=year, tz=tz)
        write = sys.stdout.write
        reporter = WarningReporter(strict)
        try:
            with Geolocator(read.geoip_db) as geo, Networks(read.asn_db) as networks:
                for event, country in locate(read_events(read, reporter), geo):
                    if wanted(event):
                        network = None if country is None else networks.network(event.source_ip or "", country)
                        named = networks.names.get(network) if network is not None else None
                        record = event_record(event, country, network, named)
                        write(json.dumps(record, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as error:  # a full disk, an I/O error: one line, and nothing more tried on the way out
            _drop_output()
            raise OutputError(f"standard output: cannot write: {error.strerror or error}") from None
        reporter.check()


def _drop_output() -> None:
    """Send what standard output still holds nowhere, so that leaving does not try (and fail) to write it."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

"""What a finished build tells: the counts, what was assumed, the files, and what to paste into a wiki."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .site import snippets
from .terminal import stderr, stdout

if TYPE_CHECKING:
    from .build import BuildOptions, BuildResult


def summarize(result: BuildResult, options: BuildOptions, verbose: bool) -> None:
    """Print what was built: the counts, what was assumed, the files, and what to paste into a wiki."""
    timeline = result.timeline
    totals = timeline.totals
    top = ", ".join(f"{code} {count:,}" for code, count in totals.most_common(5))
    stdout.print(
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
        stdout.print(f"top origins: {top}", markup=False, soft_wrap=True)
    networks = [(key, count) for key, count in timeline.network_totals.most_common() if key.startswith("AS")][:3]
    if networks:
        names = timeline.network_names
        shown = ", ".join(f"{key} {names.get(key, '')} {count:,}".replace("  ", " ") for key, count in networks)
        stdout.print(f"top networks: {shown}", markup=False, soft_wrap=True)
    if result.replaced_history:
        stderr.print(
            f"{result.out}: the history of its earlier builds was replaced by this build's (--append adds to it)",
            markup=False,
            soft_wrap=True,
        )
    if result.history_days:
        days = result.history_days
        hosts = len(timeline.hosts)
        stdout.print(
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
    stdout.print(f"{geoip.credit}; database built {geoip.built.date().isoformat()}", markup=False, soft_wrap=True)
    for path in result.outputs:
        stdout.print(f"  wrote {path}", markup=False, soft_wrap=True)
    prefix = options.base_url or f"{result.out.name}/"
    where = "" if options.base_url else " (links relative to the site; --base-url makes them absolute)"
    stdout.print(f"paste it{where}:", markup=False, soft_wrap=True)
    for place, text in snippets(prefix, options.title, options.gif):
        stdout.print(f"  {place}: {text}", markup=False, soft_wrap=True)
    stdout.print(f"done in {result.seconds:.1f} s")
    if verbose:
        from .stopwatch import stages_text

        stderr.print(f"time: {stages_text(result.stages)}", markup=False, soft_wrap=True)


def assumptions(result: BuildResult, year: int | None) -> Iterator[str]:
    """Yield what the build assumed: the span, the slices, the zone, and where yearless stamps' year came from."""
    from .slicing import slice_text

    timeline = result.timeline
    first, last = timeline.start, timeline.end
    zone_name = first.strftime("%Z") or first.strftime("%z")
    slices = len(timeline.slices)
    yield (
        f"span {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} {zone_name}: "
        f"{slices:,} slice{'' if slices == 1 else 's'} of {slice_text(timeline.slice_seconds)}"
    )
    if year is not None:
        yield f"yearless timestamps read as {year} (--year)"
    for name, placed in sorted(result.years.items()):
        yield f"yearless timestamps of {name} read as {placed} (the file's modification time; --year to change it)"

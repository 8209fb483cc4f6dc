"""What a finished build tells: the counts, what was assumed, the files, and what to paste into a wiki."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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
    if result.defences:
        stdout.print(defences_line(result.defences), markup=False, soft_wrap=True)
    networks = [(key, count) for key, count in timeline.network_totals.most_common() if key.startswith("AS")][:3]
    if networks:
        names = timeline.network_names
        shown = ", ".join(" ".join(filter(None, (key, names.get(key), f"{count:,}"))) for key, count in networks)
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


def defences_line(found: dict[str, Any]) -> str:
    """Return the build's line on what the bans among its logs did."""
    banned, attacking = found["banned_addresses"], found["attacking_addresses"]
    share = 100 * found["banned_attempts"] / max(found["attempts"], 1)
    text = (
        f"defences ({', '.join(found['tools'])}): {banned:,} of {attacking:,} attacking addresses banned, "
        f"{share:.0f} % of attempts from them"
    )
    if found["median_seconds_to_ban"] is not None:
        text += f"; median time to ban {duration_text(found['median_seconds_to_ban'])}"
    if found["leaked_attempts"]:
        text += (
            f"; {found['leaked_attempts']:,} attempts from {found['leaked_addresses']:,} addresses got through "
            "while they were banned"
        )
    if found["came_back_attempts"]:
        text += f"; {found['came_back_attempts']:,} from {found['came_back_addresses']:,} after their ban ended"
    return text


def duration_text(seconds: float) -> str:
    """Return a duration as people read it: ``45 s``, ``3 min 20 s``, ``2 h 5 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s" if whole % 60 else f"{whole // 60} min"
    return f"{whole // 3600} h {whole % 3600 // 60} min" if whole % 3600 // 60 else f"{whole // 3600} h"

"""The pipeline: read logs, locate, count, then render and write the site into place."""

from __future__ import annotations

import os
import shutil
import time
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

from . import tails
from .archive import FOLDER, INDEX, read_history, write_history
from .cores import no_collection
from .defences import (
    Earlier,
    blocks_of,
    by_day,
    covering,
    defences_document,
    defended,
    standing_after,
    summarize,
    unread,
)
from .errors import InputError, NothingNew, OutputError, UsageError
from .events import EventKind
from .geo import GeoDatabaseInfo, Geolocator
from .history import History, add_defences, add_timeline, day_defences, hidden_names, kept_address, zone_name
from .networks import Networks, network_map
from .privacy import Privacy, publishable, shown_address
from .scan import ReadOptions, Reporter, SilentReporter, attempt_times, tally_logs
from .site import SiteMeta, slices_document, write_site
from .slicing import AUTO, AUTO_LENGTHS, auto_slice, slice_text
from .sources import expand, is_url
from .staging import STAGING, check_out, hold, move_into_place, staging_folder
from .stopwatch import Stopwatch
from .tally import Tally, digest
from .timeline import Timeline, timeline_of


@dataclass(frozen=True, slots=True)
class BuildOptions:
    read: ReadOptions
    out: Path
    slice_seconds: int = AUTO
    """The length of a slice in seconds, or ``AUTO`` to choose it from the span the logs cover."""
    title: str = "SSH brute-force attempts"
    size: tuple[int, int] = (1280, 720)
    fps: float | None = None
    """Frames a second of the time-lapse; by default a day of any slice length plays in about 12 s."""
    theme: str = "dark"
    afterglow: int = 30
    """Minutes a hit country keeps glowing afterwards; 0 turns it off."""
    frames: bool = True
    gif: bool = False
    webm: bool = False
    force: bool = False
    workers: int | None = None
    privacy: Privacy = field(default_factory=Privacy)
    append: bool = False
    """Add to the history kept in ``out`` rather than start a new one."""
    base_url: str | None = None
    """Where the site will be published (``https://…/``), for absolute links, link previews and oEmbed."""


def default_fps(slices: int) -> float:
    """Return the frame rate that plays ``slices`` in about twelve seconds (1 to 30 frames a second)."""
    return float(min(30, max(1, round(slices / 12))))


@dataclass(slots=True)
class BuildResult:
    timeline: Timeline
    out: Path
    geoip: GeoDatabaseInfo
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    years: dict[str, int] = field(default_factory=dict)
    """Per input, the year its yearless stamps were placed in from its modification time."""
    history_days: int = 0
    """Days the site's history keeps."""
    replaced_history: bool = False
    """The build replaced a site that kept a history (without --append)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds each stage took (``stopwatch.STAGES``)."""
    defences: dict[str, Any] | None = None
    """What fail2ban's and sshguard's bans among the logs did (``defences_document``), or None without any."""


MAX_SLICES = 20_000
"""More slices than this (139 days of ten-minute maps, 55 years of days) is a wrong timestamp or --slice."""
MANY_SLICES = 1_000
"""More maps than anyone watches (a week of ten-minute slices is 1,008): worth a warning."""
FAILURE_KINDS = frozenset(
    {
        EventKind.FAILED,
        EventKind.PAM_FAILURE,
        EventKind.PAM_MORE,
        EventKind.MAX_ATTEMPTS,
        EventKind.TOO_MANY_FAILURES,
        EventKind.INVALID_USER,
    }
)
"""Lines that say an authentication failed: if some were read and nothing was counted, something is off."""


def build(options: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build the whole site; on failure the previous contents of ``out`` are left as they were.

    Python's cyclic collector is held off until the site is written: the records of every address and slice are
    kept to the end, none of them garbage, and each collection of the oldest objects walked them all (in a
    1 M-line build, 100 ms of collections that found a few dozen objects).
    """
    with no_collection():
        return _build(options, reporter or SilentReporter())


def _build(options: BuildOptions, reporter: Reporter) -> BuildResult:
    began = time.monotonic()
    clock = Stopwatch()
    if str(options.out) == "-":
        raise UsageError("OUT '-': a site is a folder; standard output cannot hold one (name a folder)")
    out = options.out if options.out.name not in ("", "..") else options.out.resolve()  # `.`: beside it is its parent
    if out.is_symlink():  # written where the link points, the link left as it is
        out = out.resolve()
    check_out(out, options.force)
    _check_inputs_outside(options.read.logs, out)
    with Geolocator(options.read.geoip_db) as geo:  # a wrong --geoip-db fails now, before the logs are read
        geo_info = geo.info
    with Networks(options.read.asn_db) as networks:  # and a wrong --asn-db
        network_info = networks.info
    tz = options.read.tz
    with clock.stage("history"):
        history = read_history(out, options.slice_seconds, zone_name(tz)) if options.append and out.is_dir() else None
    read = replace(options.read, hand_on=True)  # what is open at the end: the history keeps it for the next night
    if history is not None:
        left_open = tuple(one for found in history.open.values() for one in found)
        read = replace(read, covered=history.spans(tz), left_open=left_open)
    fine = history.slice_seconds if history is not None else options.slice_seconds or AUTO_LENGTHS[0]
    replaced = not options.append and (out / FOLDER / INDEX).is_file()
    if history is None:
        history = History(fine, zone_name(tz))
    with clock.stage("read"):
        counted_fine = tally_logs(read, fine, reporter)
    with clock.stage("count"):
        hidden_names(counted_fine)
        earlier = history.attack_tally(counted_fine)  # attacks that began before this build's logs
        counted_fine.update(earlier)
        if earlier.earlier:
            counted_fine.count_logins()  # with the failures earlier builds counted
        tally = _sliced(counted_fine, options, reporter, appended=bool(read.covered))
        reporter.check()  # with --strict, every input problem found is reported now, before anything is written
        located = network_map(counted_fine.country_of, options.read.asn_db)
        counted = timeline_of(tally, networks=located)
        assert counted is not None  # _sliced refused a tally without slices
        # The history keeps only slices with counts: years of sparse lines need not be walked ten minutes at a time.
        kept = counted if counted_fine is tally else timeline_of(counted_fine, empty_slices=False, networks=located)
        del located  # an entry per address: millions of them, perhaps
        assert kept is not None
        privacy = replace(options.privacy, named_hosts=frozenset(options.read.named_hosts()))  # shown as given
        timeline = publishable(counted, privacy)
        defences, defence_days = _defences(counted_fine, counted, history, read, privacy, reporter)
        daily = timeline if kept is counted else publishable(kept, privacy)

    fps = options.fps or default_fps(len(timeline.slices))
    meta = SiteMeta(
        title=options.title, fps=fps, width=options.size[0], height=options.size[1], geoip=geo_info,
        frames=options.frames, base_url=options.base_url, gif=options.gif, webm=options.webm, networks=network_info,
        defences=defences,
    )  # fmt: skip
    staging = staging_folder(out)
    held = hold(staging)

    def write_the_rest(world: dict[str, object], style: dict[str, object]) -> None:
        """Write the site and the history: while the video encoders finish their files."""
        with clock.stage("history"):
            history.keep_open(counted_fine, counted.owners, privacy)  # before the spans read now are added
            with Networks(options.read.asn_db) as networks:  # of the few addresses of the slices a tail keeps
                shown = kept_address(counted_fine, counted.owners, privacy)
                members = tails.members(counted_fine, shown, networks.networks)
                add_timeline(history, daily, counted_fine.spans, privacy.host, members)
            add_defences(history, defence_days, tz)
            history.keep_attacks(counted_fine, counted.owners, privacy)
        site_meta = replace(meta, style=style)
        with clock.stage("site"):
            write_site(staging, slices_document(timeline, site_meta), site_meta, world)
        with clock.stage("history"):
            write_history(staging, history)

    try:
        names = _render(timeline, meta, options, staging, reporter, clock, write_the_rest)
        with clock.stage("site"):
            move_into_place(staging, out)
            (out / STAGING).unlink(missing_ok=True)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{out}: cannot write: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if held is not None:
            os.close(held)
    outputs = [out / "index.html", out / "data" / "slices.json"] + [out / name for name in names]
    if options.base_url is not None:
        outputs.append(out / "oembed.json")
    return BuildResult(
        timeline=timeline,
        out=out,
        geoip=geo_info,
        outputs=outputs,
        seconds=time.monotonic() - began,
        years=dict(tally.years),
        history_days=history.day_count(),
        replaced_history=replaced,
        stages=clock.seconds,
        defences=defences,
    )


def _defences(
    tally: Tally, counted: Timeline, history: History, read: ReadOptions, privacy: Privacy, reporter: Reporter
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """Return what the bans among the logs did to the attacks counted (``defences_document``), or None where the
    logs hold none, and what each day of the history gains of it; keep in ``history`` what a later build goes on
    from. The times of the banned addresses' attempts come from reading the logs again."""
    standing = history.defences
    if not (tally.defences or standing.blocks or standing.first_blocked):
        return None, {}
    if "-" in read.logs:
        what = "bans found among the logs" if tally.defences else "the site's history keeps bans"
        reporter.warn(f"standard input: {what}, but standard input cannot be read twice for the times of the "
                      "attempts they answer; no defences shown (give the log as a file)")  # fmt: skip
        return None, {}
    reporter.stage("Reading the logs again for the banned addresses' attempts")
    new = unread(tally.defences, standing)
    blocks = blocks_of(new, standing.blocks)
    blocks_of_address = covering(blocks)
    first_blocked = standing.first_blocked
    wanted: dict[str, bool] = {}

    def blocked(address: str) -> bool:
        found = wanted.get(address)
        if found is None:
            found = wanted[address] = bool(blocks_of_address(address)) or digest(address) in first_blocked
        return found

    def earlier(address: str) -> Earlier:
        known = history.attackers.get(digest(address))
        first = datetime.fromisoformat(known[0]) if known is not None and known[1] and known[0] else None
        return Earlier(first_blocked.get(digest(address)), first)

    attempts = attempt_times(read, blocked)
    # An address blocked here whose attempts were all in an earlier build's logs: blocked after its last.
    returning: dict[str, list[tuple[datetime, int]]] = {
        address: [] for one in blocks if not one.carried and one.network.num_addresses == 1
        if (address := str(one.network.network_address)) not in attempts and earlier(address).first_attempt
    }  # fmt: skip

    tz = read.tz

    def day_of(moment: datetime) -> str:
        return moment.astimezone(tz).date().isoformat()

    found = defended(blocks, {**attempts, **returning}, earlier, day_of)
    attacking = counted.sources
    tools = {one.tool for one in tally.defences} | {name.split()[0] for name in standing.read_to}
    summary = summarize(tools, blocks, found, attacking)
    ends = [one.last for spans in tally.spans.values() for one in spans] + [one.time for one in new]
    keeps = kept_address(tally, counted.owners, privacy)
    history.defences = standing_after(standing, blocks, new, max(ends, default=None), keeps)
    country_of: Mapping[str, str] = counted.country_of
    if returning:  # a few addresses this build did not count: located now, beside the millions it did
        with Geolocator(read.geoip_db) as geo:
            located = {address: geo.country(address) for address in returning}
            country_of = ChainMap(located, cast("MutableMapping[str, str]", counted.country_of))  # read, not written

    def shown(address: str) -> str:
        return shown_address(address, country_of.get(address), privacy)

    kept = [one for one in found if one.address in attacking or one.address in returning]
    days = {day: day_defences(one, shown, country_of) for day, one in by_day(blocks, kept, day_of).items()}
    return defences_document(summary, country_of, shown), days


def _sliced(tally: Tally, options: BuildOptions, reporter: Reporter, appended: bool = False) -> Tally:
    """Return the tally in the slices the build will draw, refusing a span too long before any slice is made."""
    named = ", ".join(options.read.logs)
    span = tally.span()
    if span is None and appended:
        raise NothingNew(
            f"{named}: nothing new: every line was counted by an earlier build; {options.out} is as it was"
        )
    if span is None:
        raise InputError(_nothing_found(options.read.logs, tally.sshd_lines))
    length = options.slice_seconds or auto_slice(*span)
    if length % tally.slice_seconds:  # --slice auto over a history kept in longer slices: the history's
        length = tally.slice_seconds
    tally = tally.coarsened(length)
    needed = tally.slices_needed()
    first, last = (moment.astimezone(options.read.tz) for moment in span)
    if needed > MAX_SLICES:
        raise InputError(
            f"{named}: events span {first:%Y-%m-%d} to {last:%Y-%m-%d}, {needed:,} slices of "
            f"{slice_text(tally.slice_seconds)}; use a longer --slice, or check the timestamps (--year, --tz)"
        )
    if needed > MANY_SLICES:
        reporter.warn(
            f"{named}: events span {first:%Y-%m-%d} to {last:%Y-%m-%d}: {needed:,} maps of "
            f"{slice_text(tally.slice_seconds)}; --slice auto or a longer --slice makes fewer"
        )
    failures = sum(tally.kinds[kind] for kind in FAILURE_KINDS)
    counted = sum(sum(part.sources.values()) + sum(part.probes.values()) for part in tally.slices.values())
    if failures and not counted:
        reporter.warn(
            f"{named}: {failures:,} failed-login line{'s' if failures != 1 else ''} read, but no attempt or probe "
            "could be counted (see README: What counts as an attempt)"
        )
    return tally


def _nothing_found(logs: list[str], sshd_lines: int) -> str:
    named = ", ".join(logs)
    if sshd_lines:
        return f"{named}: {sshd_lines:,} sshd lines, but none names a client address"
    return (
        f"{named}: no sshd lines found (read as classic syslog, RFC 3339, RFC 5424 and journalctl -o json; "
        "programs sshd, sshd-session)"
    )


def _render(
    timeline: Timeline,
    meta: SiteMeta,
    options: BuildOptions,
    staging: Path,
    reporter: Reporter,
    clock: Stopwatch,
    then: Callable[[dict[str, object], dict[str, object]], None],
) -> list[str]:
    """Write the frames, videos, poster and summary chart into ``staging``; return their names.

    Once every frame is sent to the encoders, and while they finish their files, the poster and chart are drawn
    and ``then`` is called with the map outline for the viewer and the maps' style.
    """
    began = time.perf_counter()
    from .charts import render_summary
    from .layout import frame_layout, gif_size
    from .look import Look
    from .mapcache import map_layer, world_outline
    from .png import save_png
    from .render import credit_line, look_layout, render_frames, render_poster, viewer_style
    from .video import gif, mp4, webm, write_videos

    look = Look(
        title=meta.title, credit=meta.geoip.credit, size=(meta.width, meta.height), theme=options.theme,
        afterglow=options.afterglow,
    )  # fmt: skip
    layout = look_layout(look)
    layer = map_layer(look.size, look.theme, layout.axes)
    layers = [(layer, layout)]
    written = ["timelapse.mp4", "poster.png", "summary.png"]
    frames_dir = staging / "frames" if options.frames else None
    if frames_dir is not None:
        frames_dir.mkdir()
        written.append("frames")
    videos = [mp4(staging / "timelapse.mp4")]
    if options.webm:
        videos.append(webm(staging / "timelapse.webm"))
        written.append("timelapse.webm")
    if options.gif:
        size = gif_size(len(timeline.slices), credit_line(look))
        small = frame_layout(size, credit_line(look), look.afterglow)
        layers.append((map_layer(size, look.theme, small.axes), small))
        videos.append(gif(staging / "timelapse.gif", stream=1))
        written.append("timelapse.gif")
    reporter.stage("Rendering maps", total=len(timeline.slices))
    clock.add("frames", time.perf_counter() - began)

    def counted(frames: Iterator[tuple[np.ndarray, ...]]) -> Iterator[tuple[np.ndarray, ...]]:
        while True:
            began = time.perf_counter()
            frame = next(frames, None)
            clock.add("frames", time.perf_counter() - began)
            if frame is None:
                return
            reporter.advance()
            yield frame

    def meanwhile() -> None:
        with clock.stage("frames"):
            save_png(render_poster(timeline, layer, look), staging / "poster.png")
            save_png(render_summary(timeline, look, layer.ramp), staging / "summary.png")
        with clock.stage("site"):
            world = world_outline()
        then(world, viewer_style(layer, look, timeline.peak, timeline.slice_seconds))

    began, staged = time.perf_counter(), sum(clock.seconds.values())
    frames = render_frames(timeline, layers, look, frames_dir, workers=options.workers)
    try:
        count = write_videos(counted(frames), videos, meta.fps, meanwhile)
    finally:
        frames.close()  # stops the frame workers before a failed build removes the folder they write into
    # Sending the frames and waiting for the encoders: what no other stage took of the time.
    clock.add("video", time.perf_counter() - began - (sum(clock.seconds.values()) - staged))
    if count != len(timeline.slices):
        raise OutputError(f"{staging}: wrote {count} video frames for {len(timeline.slices)} slices")
    return written


def _check_inputs_outside(logs: list[str], out: Path) -> None:
    """Refuse inputs inside OUT: the build replaces what is there, and a log must never be lost with it."""
    inside = out.resolve()
    for name in expand(logs):
        if is_url(name) and not name.startswith("file://"):
            continue  # on another machine
        path = Path(name.removeprefix("file://")).resolve()
        if name != "-" and (inside == path or inside in path.parents):
            raise InputError(f"{name}: lies inside the output folder {out}; move it out or choose another OUT")

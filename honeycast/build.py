"""The pipeline: read logs, locate, count, then render and write the site into place."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

import numpy as np

from .errors import InputError, NothingNew, OutputError
from .events import EventKind
from .geo import GeoDatabaseInfo, Geolocator
from .history import FOLDER, INDEX, History, add_timeline, hidden_names, read_history, write_history, zone_name
from .privacy import Privacy, publishable
from .scan import ReadOptions, Reporter, SilentReporter, tally_logs
from .site import MARKER, SiteMeta, slices_document, write_site
from .slicing import AUTO, AUTO_LENGTHS, auto_slice, slice_text
from .sources import expand, is_url
from .stopwatch import Stopwatch
from .tally import Tally
from .timeline import Timeline, timeline_of

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: builds into one OUT at once are not kept apart there
    fcntl = None


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
MANIFEST = ".honeycast-files"
"""In a folder honeycast shares with other files (--force): the files it wrote there."""
STAGING = ".honeycast-staging"
"""Marks a build's temporary folder, so a later build may remove one an interrupted build left behind."""


def build(options: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build the whole site; on failure the previous contents of ``out`` are left as they were."""
    reporter = reporter or SilentReporter()
    began = time.monotonic()
    clock = Stopwatch()
    out = options.out if options.out.name not in ("", "..") else options.out.resolve()  # `.`: beside it is its parent
    _check_out(out, options.force)
    _check_inputs_outside(options.read.logs, out)
    with Geolocator(options.read.geoip_db) as geo:  # a wrong --geoip-db fails now, before the logs are read
        geo_info = geo.info
    tz = options.read.tz
    with clock.stage("history"):
        history = read_history(out, options.slice_seconds, zone_name(tz)) if options.append and out.is_dir() else None
    read = options.read if history is None else replace(options.read, covered=history.spans(tz))
    fine = history.slice_seconds if history is not None else options.slice_seconds or AUTO_LENGTHS[0]
    replaced = not options.append and (out / FOLDER / INDEX).is_file()
    if history is None:
        history = History(fine, zone_name(tz))
    with clock.stage("read"):
        counted_fine = tally_logs(read, fine, reporter)
    with clock.stage("count"):
        hidden_names(counted_fine)
        counted_fine.update(history.attack_tally(counted_fine))  # attacks that began before this build's logs
        tally = _sliced(counted_fine, options, reporter, appended=bool(read.covered))
        reporter.check()  # with --strict, every input problem found is reported now, before anything is written
        counted = timeline_of(tally)
        assert counted is not None  # _sliced refused a tally without slices
        privacy = replace(options.privacy, named_hosts=frozenset(options.read.named_hosts()))  # shown as given
        timeline = publishable(counted, privacy)
        # The history keeps only slices with counts: years of sparse lines need not be walked ten minutes at a time.
        kept = timeline if counted_fine is tally else timeline_of(counted_fine, empty_slices=False)
        assert kept is not None
        daily = timeline if kept is timeline else publishable(kept, privacy)

    fps = options.fps or default_fps(len(timeline.slices))
    meta = SiteMeta(
        title=options.title, fps=fps, width=options.size[0], height=options.size[1], geoip=geo_info,
        frames=options.frames, base_url=options.base_url, gif=options.gif, webm=options.webm,
    )  # fmt: skip
    staging = _staging(out)
    held = _hold(staging)

    def write_the_rest(world: dict[str, object], style: dict[str, object]) -> None:
        """Write the site and the history: while the video encoders finish their files."""
        with clock.stage("history"):
            add_timeline(history, daily, counted_fine.spans, privacy.host)
            history.keep_attacks(counted_fine, counted.owners, privacy)
        site_meta = replace(meta, style=style)
        with clock.stage("site"):
            write_site(staging, slices_document(timeline, site_meta), site_meta, world)
        with clock.stage("history"):
            write_history(staging, history)

    try:
        names = _render(timeline, meta, options, staging, reporter, clock, write_the_rest)
        with clock.stage("site"):
            _move_into_place(staging, out)
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
    )


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
    tally = tally.coarsened(options.slice_seconds or auto_slice(*span))
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


def _staging(out: Path) -> Path:
    """Return a new temporary folder beside ``out``, after removing any an interrupted build left there."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for retired in out.parent.glob(f".{out.name}.*.tmp.old"):
            # A build stopped between moving the old site aside and the new one in: put the old one back.
            if (retired / MARKER).exists():
                if out.exists():
                    shutil.rmtree(retired, ignore_errors=True)
                else:
                    retired.rename(out)
        for stale in out.parent.glob(f".{out.name}.*.tmp"):
            if _held_by_another(stale):
                raise OutputError(f"{out}: another honeycast build is writing it; run this one when it has finished")
            # Ours if marked, or a finished site a build was stopped from moving, or stopped before it was marked.
            if stale.is_dir() and ((stale / STAGING).exists() or (stale / MARKER).exists() or not any(stale.iterdir())):
                # Moved out of the way first: an ffmpeg that outlived a killed build may still finish its file
                # there, and must find no folder to write it into, rather than one this removal just emptied.
                removed = stale.with_name(stale.name + ".removed")
                stale.rename(removed)
                shutil.rmtree(removed, ignore_errors=True)
        for removed in out.parent.glob(f".{out.name}.*.tmp.removed"):  # what a late writer put back in time
            shutil.rmtree(removed, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            staging.chmod(0o755)  # mkdtemp makes it private; a published site must be readable by the web server
            (staging / STAGING).write_text("")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as error:
        raise OutputError(f"{out}: cannot write beside it: {error.strerror or error}") from None
    return staging


def _hold(staging: Path) -> int | None:
    """Lock a build's staging marker for as long as the build runs, and return the lock (None without fcntl).

    A POSIX record lock belongs to this process alone: forked frame workers do not inherit it, and it ends
    when the process does, however it ends.
    """
    if fcntl is None:
        return None
    handle = os.open(staging / STAGING, os.O_RDWR)
    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _held_by_another(folder: Path) -> bool:
    """Whether a running build holds this staging folder."""
    if fcntl is None or not (folder / STAGING).is_file():
        return False
    handle = os.open(folder / STAGING, os.O_RDWR)
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(handle)
    return False


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
    from .look import Look
    from .mapcache import map_layer, world_outline
    from .png import save_png
    from .render import render_frames, render_poster, viewer_style
    from .video import gif, gif_width, mp4, webm, write_videos

    look = Look(
        title=meta.title, credit=meta.geoip.credit, size=(meta.width, meta.height), theme=options.theme,
        afterglow=options.afterglow,
    )  # fmt: skip
    layer = map_layer(look.size, look.theme)
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
        videos.append(gif(staging / "timelapse.gif", gif_width(len(timeline.slices), look.size)))
        written.append("timelapse.gif")
    reporter.stage("Rendering maps", total=len(timeline.slices))
    clock.add("frames", time.perf_counter() - began)

    def counted(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
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
    frames = render_frames(timeline, layer, look, frames_dir, workers=options.workers)
    try:
        count = write_videos(counted(frames), videos, look.size, meta.fps, meanwhile)
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


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise OutputError(f"{out}: folder is not empty and was not written by honeycast (use --force to write into it)")


def _move_into_place(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging``; a folder honeycast did not write is merged into, never removed."""
    if not out.exists():
        staging.rename(out)
        return
    if (out / MARKER).exists():
        retired = staging.with_name(staging.name + ".old")
        out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
        return
    if not any(out.iterdir()):
        # An empty folder (perhaps the current one, `.`) is kept, and the site moved into it.
        for entry in staging.iterdir():
            entry.rename(out / entry.name)
        staging.rmdir()
        return
    # --force into a foreign folder: write honeycast's files over it and leave everything else. Files an
    # earlier --force build wrote there (listed in MANIFEST) and this one did not are removed; nothing else is.
    written = sorted(str(path.relative_to(staging)) for path in staging.rglob("*") if path.is_file())
    written.remove(MARKER)
    written.remove(STAGING)
    manifest = out / MANIFEST
    earlier = _manifest(manifest) if manifest.is_file() else []
    for name in written:
        _no_link_on_the_way(out, out / name)
    (staging / MANIFEST).write_text(json.dumps(written, indent=0) + "\n", encoding="utf-8")
    inside = out.resolve()
    stale = [  # only files still inside OUT: never through a link that leads out of it
        name
        for name in set(earlier) - set(written)
        if (out / name).is_file() and not (out / name).is_symlink() and inside in (out / name).resolve().parents
    ]
    _swap_in(staging, out, [*written, MANIFEST], sorted(stale))
    shutil.rmtree(staging)


def _swap_in(staging: Path, out: Path, names: list[str], stale: list[str]) -> None:
    """Move ``names`` from ``staging`` into ``out`` and ``stale`` out of it, all or nothing.

    Each file ``out`` held is first renamed aside (a link is moved, never followed), then the new one renamed
    into its place: renames need no space, so a full disk cannot leave a truncated file. If anything fails,
    every file is put back as it was.
    """
    aside = staging.with_name(staging.name + ".aside")
    done: list[tuple[Path, Path | None]] = []  # (a file in out, where its old version waits, if it had one)
    made: list[Path] = []
    try:
        for name, fresh in [*((name, True) for name in names), *((name, False) for name in stale)]:
            target = out / name
            for folder in reversed(target.relative_to(out).parents[:-1]):
                if not (out / folder).is_dir():
                    (out / folder).mkdir()
                    made.append(out / folder)
            old = None
            if target.exists() or target.is_symlink():
                old = aside / name
                old.parent.mkdir(parents=True, exist_ok=True)
                os.rename(target, old)
            done.append((target, old))
            if fresh:
                _place(staging / name, target)
    except BaseException:
        for target, old in reversed(done):
            if old is None or target.exists() or target.is_symlink():
                target.unlink(missing_ok=True)  # a file of this build
            if old is not None:
                os.rename(old, target)
        for folder in reversed(made):
            folder.rmdir()
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _place(source: Path, target: Path) -> None:
    """Rename a staged file to its place; across file systems (OUT is a mount), copy beside it and rename."""
    try:
        os.rename(source, target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    fresh = target.with_name(f".{target.name}.honeycast-new")
    try:
        shutil.copy2(source, fresh)
        os.replace(fresh, target)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise


def _manifest(manifest: Path) -> list[str]:
    """Return the files an earlier --force build listed, or refuse a list that cannot be read."""
    try:
        earlier = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        earlier = None
    if not isinstance(earlier, list) or not all(isinstance(name, str) for name in earlier):
        raise OutputError(
            f"{manifest}: damaged (not the list of files honeycast wrote); remove it to build into this folder again"
        )
    return earlier


def _no_link_on_the_way(out: Path, target: Path) -> None:
    """Refuse to write below a symbolic link inside OUT: it may lead out of OUT."""
    current = out
    for part in target.relative_to(out).parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise OutputError(f"{current}: is a symbolic link; honeycast writes no file through one")

"""The pipeline: read logs, locate, count, then render and write the site into place."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from .errors import InputError, OutputError
from .geo import GeoDatabaseInfo, Geolocator
from .scan import ReadOptions, Reporter, SilentReporter, count
from .site import FRAME_PATTERN, MARKER, SiteMeta, slices_document, write_site
from .timeline import Timeline


@dataclass(frozen=True, slots=True)
class BuildOptions:
    read: ReadOptions
    out: Path
    slice_seconds: int = 600
    title: str = "SSH brute-force attempts"
    size: tuple[int, int] = (1280, 720)
    fps: float = 12.0
    force: bool = False


@dataclass(slots=True)
class BuildResult:
    timeline: Timeline
    out: Path
    geoip: GeoDatabaseInfo
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def build(options: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build the whole site; on failure the previous contents of ``out`` are left as they were."""
    reporter = reporter or SilentReporter()
    began = time.monotonic()
    out = options.out
    _check_out(out, options.force)
    with Geolocator(options.read.geoip_db) as geo:
        geo_info = geo.info
    timeline = count(options.read, options.slice_seconds, reporter).timeline()
    if timeline is None:
        raise InputError(f"{', '.join(options.read.logs)}: no sshd authentication events found")

    meta = SiteMeta(title=options.title, fps=options.fps, width=options.size[0], height=options.size[1], geoip=geo_info)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        _render(timeline, meta, staging, reporter)
        write_site(staging, slices_document(timeline, meta), meta)
        _move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    outputs = [out / "index.html", out / "timelapse.mp4", out / "data" / "slices.json", out / "frames"]
    return BuildResult(timeline=timeline, out=out, geoip=geo_info, outputs=outputs, seconds=time.monotonic() - began)


def _render(timeline: Timeline, meta: SiteMeta, staging: Path, reporter: Reporter) -> None:
    from .render import MapRenderer
    from .shapes import load_countries
    from .video import write_mp4

    renderer = MapRenderer(
        timeline, load_countries(), title=meta.title, credit=meta.geoip.credit, size=(meta.width, meta.height)
    )
    frames_dir = staging / "frames"
    frames_dir.mkdir()
    reporter.stage("Rendering maps", total=len(timeline.slices))

    def saved_frames() -> Iterator[object]:
        for index, pixels in enumerate(renderer.frames()):
            Image.fromarray(pixels).save(staging / FRAME_PATTERN.format(index=f"{index:04d}"), compress_level=6)
            reporter.advance()
            yield pixels

    written = write_mp4(saved_frames(), staging / "timelapse.mp4", (meta.width, meta.height), meta.fps)  # type: ignore[arg-type]
    if written != len(timeline.slices):
        raise OutputError(f"{staging}: wrote {written} video frames for {len(timeline.slices)} slices")


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
    if (out / MARKER).exists() or not any(out.iterdir()):
        retired = staging.with_name(staging.name + ".old")
        out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
        return
    # --force into a foreign folder: write honeycast's files over it, leave everything else.
    for item in staging.iterdir():
        target = out / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    shutil.rmtree(staging)

"""World maps of attempts: the static map is drawn once with Basemap, then only recoloured per slice.

The only module that imports matplotlib and Basemap.

How a frame is made
    Basemap and matplotlib draw the map once: ocean, graticule, every country in the land
    colour with its border, markers for countries too small to see, title, credits and colour
    bar. A second drawing of the same axes paints each country in a colour that encodes its
    index, without antialiasing: a raster that says which country every pixel belongs to.
    A frame is then a copy of the static pixels with the interior pixels of lit countries
    replaced through a per-slice palette (numpy fancy indexing, a few milliseconds), plus the
    caption drawn with Pillow in the same DejaVu Sans matplotlib uses. Frames are made in
    worker processes forked after the static layers exist, so no worker draws the map again.
"""

from __future__ import annotations

import multiprocessing
import struct
import zlib
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache
from multiprocessing.pool import AsyncResult
from pathlib import Path

import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PatchCollection, PathCollection
from matplotlib.colors import ListedColormap, LogNorm, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from mpl_toolkits.basemap import Basemap
from PIL import Image, ImageDraw, ImageFont

from .cores import ignore_interrupts, usable_cores
from .shapes import NATURAL_EARTH_CREDIT, CountryShape, country_names
from .timeline import Slice, Timeline, per_slice_text

MAX_SIZE = (3840, 2160)
MARKER_AREA = 40.0
"""Countries smaller than this many pixels (at 1280×720) get a marker at their centre."""


@dataclass(frozen=True, slots=True)
class Theme:
    background: str
    ocean: str
    land: str
    border: str
    grid: str
    text: str
    muted: str
    colormap: str
    ramp: tuple[float, float]
    """The part of the colour map used, so one attempt still stands out from the land."""


THEMES = {
    "dark": Theme(
        background="#0b1020", ocean="#101a2e", land="#27324a", border="#3f4b66", grid="#1b2740",
        text="#e8ecf4", muted="#8e9ab3", colormap="inferno", ramp=(0.28, 1.0),
    ),
    "light": Theme(
        background="#f7f7f2", ocean="#dfe9f1", land="#f4f1e8", border="#b9b4a6", grid="#cfdbe6",
        text="#1d2433", muted="#5d6677", colormap="magma_r", ramp=(0.08, 0.85),
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Look:
    """What a build chooses about its maps."""

    title: str
    credit: str
    size: tuple[int, int] = (1280, 720)
    theme: str = "dark"
    afterglow: int = 3
    """Slices a hit country keeps fading after it was last hit; 0 turns the afterglow off."""


def slice_label(one: Slice, seconds: int) -> str:
    """Return a slice's time range with its zone, e.g. ``Sun 29 Nov 2026 · 06:20–06:30 UTC``."""
    zone = one.start.strftime("%Z") or one.start.strftime("%z")
    if seconds >= 86400:
        return f"{one.start:%a %d %b %Y} {zone}".rstrip()
    clock = "%H:%M:%S" if seconds % 60 else "%H:%M"
    return f"{one.start:%a %d %b %Y} · {one.start.strftime(clock)}–{one.end.strftime(clock)} {zone}".rstrip()


def colour_ticks(top: float) -> list[float]:
    """Return readable ticks for a logarithmic scale from 1 to ``top``: 1, 2, 5, 10, … and the top itself."""
    steps = [step * 10**power for power in range(9) for step in (1, 2, 5) if step * 10**power <= top]
    if len(steps) > 7:
        steps = [step for step in steps if str(int(step))[0] == "1"]
    if top / steps[-1] > 1.4:
        steps.append(top)
    return [float(step) for step in steps]


class MapCanvas:
    """The static map at one size and theme: its pixels, and which country each pixel shows."""

    def __init__(self, countries: Sequence[CountryShape], look: Look, *, peak: int, legend: str) -> None:
        theme = THEMES[look.theme]
        self.size = look.size
        height = look.size[1]
        self.theme = theme
        self.scale = height / 720
        self.codes = [country.code for country in countries]
        self.norm = LogNorm(vmin=1, vmax=max(peak, 2))
        self.cmap = ListedColormap(colormaps[theme.colormap](np.linspace(*theme.ramp, 256)))
        self.land = _rgb255(theme.land)

        figure, axes, projection = self._figure(theme.background)
        projection.drawmapboundary(fill_color=theme.ocean, color=theme.border, linewidth=0.8 * self.scale)
        for draw, values in (
            (projection.drawparallels, range(-60, 90, 30)),
            (projection.drawmeridians, range(-180, 180, 30)),
        ):
            draw(list(values), color=theme.grid, linewidth=0.5 * self.scale, dashes=[1, 0], labels=[0, 0, 0, 0])
        paths = [_country_path(projection, country) for country in countries]
        markers = self._markers(paths, axes)
        axes.add_collection(
            PathCollection(paths, facecolors=theme.land, edgecolors=theme.border, linewidths=0.3 * self.scale, zorder=3)
        )
        axes.add_collection(
            PatchCollection(
                [Circle(center, radius) for center, radius, _ in markers],
                facecolors=theme.land, edgecolors=theme.border, linewidths=0.6 * self.scale, zorder=4,
            ),
            autolim=False,
        )  # fmt: skip
        self._decorate(figure, look, legend)
        self.base = _pixels(figure)

        labels_figure, labels_axes, _ = self._figure("#000000")
        index_colours = [_index_colour(index + 1) for index in range(len(paths))]
        collection = PathCollection(paths, facecolors=index_colours, edgecolors="none", zorder=3)
        collection.set_antialiased(False)
        labels_axes.add_collection(collection)
        dots = PatchCollection(
            [Circle(center, radius) for center, radius, _ in markers],
            facecolors=[index_colours[index] for _, _, index in markers], edgecolors="none", zorder=4,
        )  # fmt: skip
        dots.set_antialiased(False)
        labels_axes.add_collection(dots, autolim=False)
        raster = _pixels(labels_figure).astype(np.int32)
        labels = raster[..., 0] + (raster[..., 1] << 8)
        # Paint only pixels that show plain land: borders, coasts and their antialiased edges stay as drawn.
        interior = (labels > 0) & (self.base == self.land).all(axis=2)
        pixels = np.flatnonzero(interior)
        owners = labels.ravel()[pixels]
        order = np.argsort(owners, kind="stable")
        self._pixels = pixels[order]
        # Country index i owns self._pixels[self._bounds[i]:self._bounds[i + 1]].
        self._bounds = np.searchsorted(owners[order], np.arange(len(paths) + 2))

    def _figure(self, background: str) -> tuple[Figure, Axes, Basemap]:
        width, height = self.size
        figure = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor=background)
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0.02, 0.13, 0.96, 0.77))
        axes.set_axis_off()
        projection = Basemap(projection="robin", lon_0=0, resolution=None, ax=axes)
        projection.set_axes_limits(ax=axes)
        return figure, axes, projection

    def _markers(self, paths: list[MplPath], axes: Axes) -> list[tuple[tuple[float, float], float, int]]:
        """Return (centre, radius, index) of a marker for every country too small to see."""
        to_pixels = axes.transData
        markers = []
        radius_px = 4.0 * self.scale
        unit = abs(to_pixels.inverted().transform((radius_px, 0))[0] - to_pixels.inverted().transform((0, 0))[0])
        for index, (path, code) in enumerate(zip(paths, self.codes, strict=True)):
            if not code:
                continue
            centre = _marker_centre(_rings(to_pixels.transform(path.vertices), path.codes), MARKER_AREA * self.scale**2)
            if centre is not None:
                x, y = to_pixels.inverted().transform(centre)
                markers.append(((float(x), float(y)), unit, index))
        return markers

    def _decorate(self, figure: Figure, look: Look, legend: str) -> None:
        theme, scale = self.theme, self.scale
        figure.text(
            0.02, 0.955, look.title, color=theme.text, fontsize=20 * scale, weight="bold", va="center", parse_math=False
        )
        figure.text(
            0.98, 0.955, f"{NATURAL_EARTH_CREDIT} · {look.credit}", color=theme.muted,
            fontsize=7.5 * scale, ha="right", va="center",
        )  # fmt: skip
        bar_axes = figure.add_axes((0.62, 0.07, 0.34, 0.025))
        bar = figure.colorbar(ScalarMappable(self.norm, self.cmap), cax=bar_axes, orientation="horizontal")
        bar.outline.set_edgecolor(theme.border)  # type: ignore[operator]
        bar.ax.xaxis.set_major_locator(FixedLocator(colour_ticks(float(self.norm.vmax or 2))))
        bar.ax.xaxis.set_minor_locator(NullLocator())
        bar.ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        bar.ax.tick_params(colors=theme.muted, labelsize=9 * scale, which="both")
        bar.set_label(legend, color=theme.muted, fontsize=9 * scale)

    def colour(self, values: np.ndarray) -> np.ndarray:
        """Return RGB (0–255) for counts on this map's scale."""
        return (np.asarray(self.cmap(self.norm(np.maximum(values, 1))))[..., :3] * 255).round()

    def paint(self, palette: np.ndarray) -> np.ndarray:
        """Return a copy of the static map with every country painted in ``palette[index + 1]``."""
        frame = self.base.copy()
        flat = frame.reshape(-1, 3)
        for label in np.flatnonzero((palette != self.land).any(axis=1)):
            flat[self._pixels[self._bounds[label] : self._bounds[label + 1]]] = palette[label]
        return frame


def palettes(canvas: MapCanvas, timeline: Timeline, afterglow: int) -> np.ndarray:
    """Return one palette per slice (slices × countries+1 × RGB), afterglow applied.

    A country hit in a slice takes its colour on the day's fixed scale. With afterglow, a country
    not hit keeps the colour of its last hit for ``afterglow`` slices, fading linearly to land.
    """
    codes = canvas.codes
    counts = np.array([[one.counts.get(code, 0) if code else 0 for code in codes] for one in timeline.slices], float)
    land = np.array(canvas.land, dtype=float)
    result = np.empty((len(counts), len(codes) + 1, 3), dtype=np.uint8)
    result[:, 0] = canvas.land
    last = np.zeros(len(codes))
    age = np.full(len(codes), afterglow + 1)
    for index, row in enumerate(counts):
        hit = row > 0
        last[hit] = row[hit]
        age[hit] = 0
        strength = np.clip(1 - age / (afterglow + 1), 0, 1)[:, None]
        lit = canvas.colour(last)
        result[index, 1:] = np.where(strength > 0, land + (lit - land) * strength, land).round().astype(np.uint8)
        age += 1
    return result


class Captioner:
    """Writes a frame's caption with Pillow, in the font and colours of the static map."""

    def __init__(self, size: tuple[int, int], theme: Theme) -> None:
        width, height = size
        self.scale = height / 720
        self.theme = theme
        self.big = _font(round(15 * 100 / 72 * self.scale))
        self.small = _font(round(11 * 100 / 72 * self.scale))
        self.left = round(0.02 * width)
        self.top = round(height - 0.085 * height)
        self.second = round(height - 0.04 * height)

    def write(self, frame: np.ndarray, first: str, second: str) -> np.ndarray:
        """Draw the two caption lines into ``frame`` (in place, only the strip they occupy) and return it."""
        top = self.top - round(0.03 * frame.shape[0])
        strip = Image.fromarray(frame[top:, : frame.shape[1] * 3 // 5])
        draw = ImageDraw.Draw(strip)
        draw.text((self.left, self.top - top), first, font=self.big, fill=self.theme.text, anchor="lm")
        draw.text((self.left, self.second - top), second, font=self.small, fill=self.theme.muted, anchor="lm")
        frame[top:, : frame.shape[1] * 3 // 5] = np.asarray(strip)
        return frame


def captions(timeline: Timeline) -> list[tuple[str, str]]:
    """Return each slice's caption: its time, then attempts, the running total and the top country."""
    names = country_names()
    running = 0
    lines = []
    for one in timeline.slices:
        running += one.attempts
        top = max(one.counts.items(), key=lambda item: (item[1], item[0]), default=None)
        top_text = f" · top: {names.get(top[0], top[0])} {top[1]:,}" if top else ""
        lines.append(
            (
                slice_label(one, timeline.slice_seconds),
                f"{one.attempts:,} attempts in this slice · {running:,} so far{top_text}",
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class _Job:
    canvas: MapCanvas
    captioner: Captioner
    palettes: np.ndarray
    captions: list[tuple[str, str]]
    frames_dir: Path | None
    slots: np.ndarray | None = None


_JOB: _Job | None = None
"""The frame job, set before worker processes are forked so they inherit it instead of redrawing the map."""


def render_frames(
    timeline: Timeline,
    countries: Sequence[CountryShape],
    look: Look,
    frames_dir: Path | None,
    workers: int | None = None,
) -> Generator[np.ndarray]:
    """Yield every slice's frame in order (RGB, height × width × 3), writing ``frames_dir/NNNN.png`` too."""
    global _JOB
    canvas = MapCanvas(
        countries, look, peak=timeline.peak,
        legend=f"failed login attempts per country per {per_slice_text(timeline.slice_seconds)}",
    )  # fmt: skip
    job = _Job(
        canvas, Captioner(look.size, THEMES[look.theme]), palettes(canvas, timeline, look.afterglow),
        captions(timeline), frames_dir,
    )  # fmt: skip
    count = len(timeline.slices)
    workers = min(workers or usable_cores(), count)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for index in range(count):
            yield _frame(job, index)
        return
    # Workers write frames into shared slots (no pickling of 2.7 MB a frame); at most `slots` are in flight,
    # so a slot is reused only after its frame was handed on.
    height, width = look.size[1], look.size[0]
    slots = 2 * workers + 2
    shared = multiprocessing.RawArray("B", slots * height * width * 3)
    _JOB = replace(job, slots=np.frombuffer(shared, dtype=np.uint8).reshape(slots, height, width, 3))
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=ignore_interrupts) as pool:
            pending: deque[AsyncResult[None]] = deque()
            submitted = 0
            for index in range(count):
                while submitted < min(count, index + slots):
                    pending.append(pool.apply_async(_frame_into_slot, (submitted,)))
                    submitted += 1
                pending.popleft().get()
                yield _JOB.slots[index % slots]  # type: ignore[index]
    finally:
        _JOB = None


def _frame_into_slot(index: int) -> None:
    assert _JOB is not None and _JOB.slots is not None
    _JOB.slots[index % len(_JOB.slots)] = _frame(_JOB, index)


def _frame(job: _Job, index: int) -> np.ndarray:
    frame = job.captioner.write(job.canvas.paint(job.palettes[index]), *job.captions[index])
    if job.frames_dir is not None:
        save_png(frame, job.frames_dir / f"{index:04d}.png")
    return frame


def save_png(pixels: np.ndarray, path: Path) -> None:
    """Write RGB pixels as a PNG, fast: no row filters and zlib level 1.

    The maps are large areas of flat colour, which zlib compresses well without PNG's adaptive
    filters; choosing those filters is what makes a general encoder (Pillow's) four times slower
    here, for files that come out larger.
    """
    height, width, _ = pixels.shape
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none"
    rows[:, 1:] = pixels.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_poster(timeline: Timeline, countries: Sequence[CountryShape], look: Look) -> np.ndarray:
    """Return the whole span on one map: each country coloured by its attempts over all slices."""
    totals = timeline.totals
    canvas = MapCanvas(
        countries, look, peak=max(totals.values(), default=1), legend="failed login attempts per country"
    )
    values = np.array([totals.get(code, 0) if code else 0 for code in canvas.codes], dtype=float)
    palette = np.vstack([canvas.land, np.where((values > 0)[:, None], canvas.colour(values), canvas.land)])
    first, last = timeline.start, timeline.end - timedelta(seconds=1)
    span = (
        f"{first:%a %d %b %Y %H:%M}–{last:%H:%M}"
        if first.date() == last.date()
        else f"{first:%d %b %Y}–{last:%d %b %Y}"
    )
    zone = first.strftime("%Z") or first.strftime("%z")
    names = country_names()
    top = ", ".join(f"{names.get(code, code)} {count:,}" for code, count in totals.most_common(3))
    return Captioner(look.size, THEMES[look.theme]).write(
        canvas.paint(palette.astype(np.uint8)),
        f"{span} {zone}",
        f"{sum(totals.values()):,} attempts from {timeline.countries_hit} countries · top: {top}",
    )


def render_summary(timeline: Timeline, look: Look, top: int = 12) -> np.ndarray:
    """Return a chart of the day's top origins and top targeted user names, as sorted bars."""
    theme, (width, height) = THEMES[look.theme], look.size
    scale = height / 720
    figure = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor=theme.background)
    FigureCanvasAgg(figure)
    names = country_names()
    origins = [(names.get(code, code), count) for code, count in timeline.totals.most_common(top)]
    users = [(_plain(user or "(empty)"), count) for user, count in timeline.users.most_common(top)]
    figure.text(
        0.03, 0.94, look.title, color=theme.text, fontsize=20 * scale, weight="bold", va="center", parse_math=False
    )
    colour = to_rgb(colormaps[theme.colormap](0.7))
    for position, (label, rows) in enumerate((("Top origins", origins), ("Top user names tried", users))):
        axes = figure.add_axes((0.2 + position * 0.48, 0.08, 0.28, 0.76))
        axes.set_facecolor(theme.background)
        labels = [name for name, _ in rows][::-1]
        values = [value for _, value in rows][::-1]
        axes.barh(range(len(rows)), values, color=colour, height=0.7)
        axes.set_yticks(range(len(rows)), labels, color=theme.text, fontsize=10 * scale)
        axes.tick_params(axis="x", colors=theme.muted, labelsize=9 * scale)
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.set_title(label, color=theme.text, fontsize=13 * scale, loc="left")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color(theme.border)
        for row, value in enumerate(values):
            axes.text(value, row, f" {value:,}", va="center", color=theme.muted, fontsize=9 * scale)
    return _pixels(figure)


def viewer_style(look: Look, peak: int) -> dict[str, object]:
    """Return the maps' colours for the viewer: theme, the 256-step colour ramp, afterglow and scale top."""
    theme = THEMES[look.theme]
    ramp = colormaps[theme.colormap](np.linspace(*theme.ramp, 256))[:, :3]
    return {
        "theme": look.theme,
        "colors": {
            name: getattr(theme, name) for name in ("background", "ocean", "land", "border", "grid", "text", "muted")
        },
        "ramp": [to_hex(colour) for colour in ramp],
        "afterglow": look.afterglow,
        "peak": max(peak, 2),
    }


def world_outline(countries: Sequence[CountryShape], width: int = 1000, tolerance: float = 0.9) -> dict[str, object]:
    """Return the map as SVG path data for the viewer: the frames' own Robinson projection, simplified once.

    Coordinates are pixels of a ``width`` wide view box; points closer than ``tolerance`` pixels to the last
    kept point are dropped. Countries too small to see get a marker, as on the frames.
    """
    projection = Basemap(projection="robin", lon_0=0, resolution=None)
    scale = width / projection.urcrnrx
    height = round(projection.urcrnry * scale, 1)

    def to_view(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        x, y = projection(lons, lats)
        return np.column_stack([np.asarray(x) * scale, height - np.asarray(y) * scale])

    edge = np.linspace(-90, 90, 91)
    boundary = to_view(np.r_[np.full(91, -179.999), np.full(91, 179.999)], np.r_[edge, edge[::-1]])
    graticule = [to_view(np.linspace(-180, 180, 73), np.full(73, lat)) for lat in range(-60, 90, 30)] + [
        to_view(np.full(61, lon), np.linspace(-90, 90, 61)) for lon in range(-150, 180, 30)
    ]
    shapes = []
    for country in countries:
        rings = [_simplify(to_view(ring[:, 0], ring[:, 1]), tolerance) for ring in country.rings]
        rings = [ring for ring in rings if len(ring) >= 3]
        if len(rings) > 1:  # islands below a pixel add bytes, not information; the largest ring always stays
            areas = _ring_areas(rings)
            rings = [ring for ring, area in zip(rings, areas, strict=True) if area >= min(1.0, areas.max())]
        shape: dict[str, object] = {"code": country.code, "d": "".join(_svg_ring(ring, close=True) for ring in rings)}
        if country.code:
            # The frames' rule, at this view box's scale (the frames' map is 1229 px wide at 1280x720).
            centre = _marker_centre(
                rings or [to_view(country.rings[0][:, 0], country.rings[0][:, 1])], MARKER_AREA * (width / 1229) ** 2
            )
            if centre is not None:
                shape["marker"] = [round(centre[0], 1), round(centre[1], 1)]
        shapes.append(shape)
    return {
        "width": width,
        "height": height,
        "boundary": _svg_ring(boundary, close=True),
        "graticule": "".join(_svg_ring(line, close=False) for line in graticule),
        "countries": shapes,
    }


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    kept = [points[0]]
    for point in points[1:-1]:
        if abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) >= tolerance:
            kept.append(point)
    kept.append(points[-1])
    return np.array(kept)


def _svg_ring(points: np.ndarray, close: bool) -> str:
    """Return SVG path data for a ring, in relative moves of tenths of a pixel (small and exact to draw)."""
    tenths = np.round(points * 10).astype(np.int64)
    steps = np.diff(tenths, axis=0)
    steps = steps[(steps != 0).any(axis=1)]
    x, y = tenths[0]
    moves = " ".join(f"{dx / 10:g},{dy / 10:g}" for dx, dy in steps)
    return f"M{x / 10:g},{y / 10:g}l{moves}{'z' if close else ''}"


def _plain(text: str, limit: int = 24) -> str:
    """Return attacker-chosen text safe to show in matplotlib: no mathtext, no control characters, short."""
    shown = "".join(char if char.isprintable() else "\ufffd" for char in text)
    shown = shown if len(shown) <= limit else shown[: limit - 1] + "…"
    return shown.replace("\\", "\\\\").replace("$", r"\$")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def _rgb255(colour: str) -> tuple[int, int, int]:
    red, green, blue = (round(part * 255) for part in to_rgb(colour))
    return red, green, blue


def _index_colour(index: int) -> tuple[float, float, float]:
    return ((index & 0xFF) / 255, ((index >> 8) & 0xFF) / 255, 0.0)


def _pixels(figure: Figure) -> np.ndarray:
    canvas = figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()  # type: ignore[attr-defined]


def _country_path(projection: Basemap, country: CountryShape) -> MplPath:
    vertices = []
    codes = []
    for ring in country.rings:
        x, y = projection(ring[:, 0], ring[:, 1])
        vertices.append(np.column_stack([x, y]))
        ring_codes = np.full(len(ring), MplPath.LINETO, dtype=MplPath.code_type)
        ring_codes[0] = MplPath.MOVETO
        ring_codes[-1] = MplPath.CLOSEPOLY
        codes.append(ring_codes)
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _rings(vertices: np.ndarray, codes: object) -> list[np.ndarray]:
    """Split a compound path's vertices into its rings."""
    vertices = np.asarray(vertices)
    starts = np.flatnonzero(np.asarray(codes) == MplPath.MOVETO)
    return [vertices[a:b] for a, b in zip(starts, [*starts[1:], len(vertices)], strict=True)]


def _ring_areas(rings: list[np.ndarray]) -> np.ndarray:
    """Return each ring's area (shoelace), all rings at once."""
    points = np.concatenate(rings)
    starts = np.cumsum([0] + [len(ring) for ring in rings[:-1]])
    x, y = points[:, 0], points[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[starts[1:] - 1] = 0.0  # no edge from one ring's last point to the next ring's first
    return np.asarray(np.abs(np.add.reduceat(np.append(cross, 0.0), starts)) / 2, dtype=float)


def _marker_centre(rings: list[np.ndarray], limit: float) -> tuple[float, float] | None:
    """Return where a country gets a marker (the centre of its largest ring) if its rings cover less than ``limit``."""
    areas = _ring_areas(rings)
    if areas.sum() >= limit:
        return None
    biggest = rings[int(np.argmax(areas))]
    return float(biggest[:, 0].mean()), float(biggest[:, 1].mean())

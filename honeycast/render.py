"""World maps of attempts: the static map is drawn once with Basemap, then only recoloured per slice.

The frames, their video stream and the poster; charts.py draws the summary chart, world.py the viewer's map,
png.py writes the PNG files, look.py holds the themes and sizes they share.

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

from . import png
from .cores import ignore_interrupts, usable_cores
from .look import MAP_AXES, MARKER_AREA, THEMES, Look, Theme, afterglow_slices, glow_legend
from .shapes import NATURAL_EARTH_CREDIT, CountryShape, country_names, marker_centre
from .timeline import Slice, Timeline, per_slice_text


def slice_label(one: Slice, seconds: int) -> str:
    """Return a slice's time range with its zone, e.g. ``Sun 29 Nov 2026 · 06:20–06:30 UTC``."""
    zone = one.start.strftime("%Z") or one.start.strftime("%z")
    if seconds >= 86400:
        return f"{one.start:%a %d %b %Y} {zone}".rstrip()
    clock = "%H:%M:%S" if seconds % 60 else "%H:%M"
    return f"{one.start:%a %d %b %Y} · {one.start.strftime(clock)}–{one.end.strftime(clock)} {zone}".rstrip()


TICK_GAP = 0.12
"""The least distance between two tick labels on the logarithmic colour bar, as a share of its length."""


def colour_ticks(top: float) -> list[float]:
    """Return readable ticks for a logarithmic scale from 1 to ``top``: 1, 2, 5, 10, … and the top itself.

    The top is always labelled; a regular tick too close to it to read beside it gives way.
    """
    top = max(top, 2.0)
    steps = [step * 10**power for power in range(9) for step in (1, 2, 5) if step * 10**power <= top]
    if len(steps) > 7:
        steps = [step for step in steps if str(int(step))[0] == "1"]
    span = np.log10(top)
    while steps and np.log10(top / steps[-1]) < TICK_GAP * span:
        steps.pop()
    return [float(step) for step in [*steps, top]]


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
                facecolors=theme.land, edgecolors="none", zorder=4,
            ),
            autolim=False,
        )  # fmt: skip
        self._decorate(figure, look, legend)
        self.base = figure_pixels(figure)

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
        raster = figure_pixels(labels_figure).astype(np.int32)
        labels = raster[..., 0] + (raster[..., 1] << 8)
        # Paint only pixels that show plain land: borders, coasts and their antialiased edges stay as drawn.
        interior = (labels > 0) & (self.base == self.land).all(axis=2)
        pixels = np.flatnonzero(interior)
        owners = labels.ravel()[pixels]
        order = np.argsort(owners, kind="stable")
        self._pixels = pixels[order]
        # Country index i owns self._pixels[self._bounds[i]:self._bounds[i + 1]].
        self._bounds = np.searchsorted(owners[order], np.arange(len(paths) + 2))
        # A lit marker is drawn larger than the faint dot of the map, with a ring, over whatever lies there.
        self._lit_markers = {
            index + 1: _disc_and_ring(axes.transData.transform(center), height, look.size[0], self.scale)
            for center, _, index in markers
        }
        self._ring = np.array(_rgb255(theme.text), dtype=np.uint8)

    def _figure(self, background: str) -> tuple[Figure, Axes, Basemap]:
        width, height = self.size
        figure = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor=background)
        FigureCanvasAgg(figure)
        axes = figure.add_axes(MAP_AXES)
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
        centres = [
            marker_centre(_rings(to_pixels.transform(path.vertices), path.codes), MARKER_AREA * self.scale**2)
            if code
            else None
            for path, code in zip(paths, self.codes, strict=True)
        ]
        large = {code for code, centre in zip(self.codes, centres, strict=True) if code and centre is None}
        for index, (centre, code) in enumerate(zip(centres, self.codes, strict=True)):
            if centre is not None and code not in large:
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
        if look.afterglow:  # the glow's own key, left of the scale it is not part of
            glow_axes = figure.add_axes((0.62, 0.07, 0.03, 0.025))
            glow_axes.set_facecolor(theme.glow)
            glow_axes.set_xticks([])
            glow_axes.set_yticks([])
            for spine in glow_axes.spines.values():
                spine.set_edgecolor(theme.border)
            glow_axes.set_xlabel(glow_legend(look.afterglow), color=theme.muted, fontsize=9 * scale, loc="left")
        bar_axes = figure.add_axes((0.74, 0.07, 0.22, 0.025))
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
            marker = self._lit_markers.get(int(label))
            if marker is not None:
                disc, ring = marker
                flat[disc] = palette[label]
                flat[ring] = self._ring
        return frame


def palettes(canvas: MapCanvas, timeline: Timeline, afterglow: int) -> np.ndarray:
    """Return one palette per slice (slices × countries+1 × RGB), afterglow applied.

    A country hit in a slice takes its colour on the day's fixed scale. With afterglow, a country
    not hit glows in the theme's grey for ``afterglow`` slices after its last hit, fading to land:
    a colour the scale does not have, so it never reads as a count.
    """
    codes = canvas.codes
    counts = np.array([[one.counts.get(code, 0) if code else 0 for code in codes] for one in timeline.slices], float)
    land = np.array(canvas.land, dtype=float)
    glow = np.array(_rgb255(canvas.theme.glow), dtype=float)
    result = np.empty((len(counts), len(codes) + 1, 3), dtype=np.uint8)
    result[:, 0] = canvas.land
    age = np.full(len(codes), afterglow + 1)
    for index, row in enumerate(counts):
        hit = row > 0
        age[hit] = 0
        strength = np.clip(1 - age / (afterglow + 1), 0, 1)[:, None]
        fading = land + (glow - land) * strength
        result[index, 1:] = np.where(hit[:, None], canvas.colour(row), fading).round().astype(np.uint8)
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
        canvas, Captioner(look.size, THEMES[look.theme]),
        palettes(canvas, timeline, afterglow_slices(look.afterglow, timeline.slice_seconds)),
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
        png.save_png(frame, job.frames_dir / f"{index:04d}.png")
    return frame


def render_poster(timeline: Timeline, countries: Sequence[CountryShape], look: Look) -> np.ndarray:
    """Return the whole span on one map: each country coloured by its attempts over all slices."""
    totals = timeline.totals
    canvas = MapCanvas(  # no afterglow on a map of totals, so no key for it
        countries, replace(look, afterglow=0), peak=max(totals.values(), default=1),
        legend="failed login attempts per country",
    )  # fmt: skip
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


def viewer_style(look: Look, peak: int, slice_seconds: int) -> dict[str, object]:
    """Return the maps' colours for the viewer: theme, the 256-step colour ramp, afterglow and scale top."""
    theme = THEMES[look.theme]
    ramp = colormaps[theme.colormap](np.linspace(*theme.ramp, 256))[:, :3]
    names = ("background", "ocean", "land", "border", "grid", "text", "muted", "glow")
    return {
        "theme": look.theme,
        "colors": {name: getattr(theme, name) for name in names},
        "ramp": [to_hex(colour) for colour in ramp],
        "afterglow": afterglow_slices(look.afterglow, slice_seconds),
        "afterglow_minutes": look.afterglow,
        "glow_legend": glow_legend(look.afterglow) if look.afterglow else "",
        "peak": max(peak, 2),
    }


def plain_text(text: str, limit: int = 24) -> str:
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


def figure_pixels(figure: Figure) -> np.ndarray:
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


LIT_MARKER = (5.5, 1.3)
"""Radius and ring width, in pixels at 1280×720, of a small country's marker while it is lit."""


def _disc_and_ring(centre: np.ndarray, height: int, width: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the flat pixel indices of a lit marker's disc and of its ring, around a centre in display points."""
    radius, ring = LIT_MARKER[0] * scale, LIT_MARKER[1] * scale
    reach = int(np.ceil(radius + ring)) + 1
    cx, cy = float(centre[0]), height - float(centre[1])  # display points count up from the bottom
    xs = np.arange(int(cx) - reach, int(cx) + reach + 1)
    ys = np.arange(int(cy) - reach, int(cy) + reach + 1)
    grid_x, grid_y = np.meshgrid(xs, ys)
    inside = (grid_x >= 0) & (grid_x < width) & (grid_y >= 0) & (grid_y < height)
    distance = np.hypot(grid_x + 0.5 - cx, grid_y + 0.5 - cy)
    flat = grid_y * width + grid_x
    return flat[inside & (distance <= radius)], flat[inside & (distance > radius) & (distance <= radius + ring)]

"""World maps of attempts: the map is drawn once (or found in the cache), then only recoloured per slice.

The frames, their video stream and the poster; charts.py draws the summary chart, projection.py the map itself,
png.py writes the PNG files, paint.py the text and the colour scale, look.py holds the themes and sizes.

How a frame is made
    The map layer (mapcache.py) holds the static pixels, drawn once per size and theme with Basemap and
    matplotlib, and which country each pixel shows. A canvas adds the title, credits and colour scale with
    Pillow. A frame is then a copy of the canvas with the interior pixels of lit countries replaced through a
    per-slice palette (numpy fancy indexing, a few milliseconds), plus the caption drawn with Pillow in the
    same DejaVu Sans. Frames are made in worker processes forked after the canvas exists, so no worker draws
    the map again.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from multiprocessing.pool import AsyncResult
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import png
from .cores import ignore_interrupts, usable_cores
from .layout import FrameLayout, frame_layout
from .look import THEMES, Look, Theme, afterglow_slices, glow_legend, rgb255
from .mapcache import MapLayer
from .paint import LINE, Scale, colour_bar, colour_ticks, font, hex_colour
from .shapes import NATURAL_EARTH_CREDIT, country_names
from .slicing import day_text, per_slice_text, period_text
from .timeline import Slice, Timeline


def slice_label(one: Slice, seconds: int) -> str:
    """Return a slice's time range with its zone, e.g. ``Sun 29 Nov 2026 · 06:20–06:30 UTC``."""
    zone = one.start.strftime("%Z") or one.start.strftime("%z")
    if seconds >= 86400:
        return f"{day_text(one.start)} {zone}".rstrip()
    clock = "%H:%M:%S" if seconds % 60 else "%H:%M"
    return f"{day_text(one.start)} · {one.start.strftime(clock)}–{one.end.strftime(clock)} {zone}".rstrip()


class MapCanvas:
    """The map at one size and theme with its title, credits and colour scale: a frame before it is lit."""

    def __init__(
        self, layer: MapLayer, look: Look, *, peak: int, legend: str, layout: FrameLayout | None = None
    ) -> None:
        theme = THEMES[look.theme]
        self.layout = layout or look_layout(look)
        self.size = self.layout.size
        self.theme = theme
        self.codes = list(layer.codes)
        self.norm = Scale(layer.ramp, peak)
        self.land = rgb255(theme.land)
        self.base = self._decorated(layer.base, look, legend)
        self._pixels = layer.pixels
        # Country index i owns self._pixels[self._bounds[i]:self._bounds[i + 1]].
        self._bounds = layer.bounds
        # A lit marker is drawn larger than the faint dot of the map, with a ring, over whatever lies there.
        self._lit_markers = layer.markers()
        # A lit marker's ring: the theme's text colour or its background, whichever stands out more from the disc,
        # so a small country lit like the large one around it (Hong Kong on China) stays told apart.
        self._rings = np.array([rgb255(theme.text), rgb255(theme.background)], dtype=np.uint8)
        self._ring_of: dict[bytes, np.ndarray] = {}
        """The ring chosen for each disc colour, once: a frame's colours come from the scale's 256 and the glow."""

    def _decorated(self, base: np.ndarray, look: Look, legend: str) -> np.ndarray:
        """Return the map with the title and credits above it and the keys to its colours below it."""
        theme, layout = self.theme, self.layout
        image = Image.fromarray(base)
        draw = ImageDraw.Draw(image)
        room = layout.size[0] - 2 * layout.title.x
        for line, at in layout.credit:
            face = font(at.points)
            draw.text((at.x, at.y), line, font=face, fill=theme.muted, anchor=at.anchor)
            if at.y == layout.title.y:  # beside the title: the title keeps a space's width from it
                room = min(room, draw.textbbox((at.x, at.y), line, font=face, anchor=at.anchor)[0] - layout.title.x)
                room -= 2 * draw.textlength(" ", font=face)
        title, face = layout.title, font(layout.title.points, bold=True)
        draw.text((title.x, title.y), fitted(draw, look.title, face, room), font=face, fill=theme.text, anchor="lm")
        if look.afterglow:  # the glow's own key, apart from the scale it is not part of
            draw.rectangle(layout.glow, fill=theme.glow, outline=theme.border, width=LINE)
            at = layout.glow_label
            draw.text(
                (at.x, at.y), glow_legend(look.afterglow), font=font(at.points), fill=theme.muted, anchor=at.anchor
            )
        colour_bar(
            draw, layout.key, self.norm, colour_ticks(self.norm.top), (theme.border, theme.muted), layout.key_points,
            legend, centred=not layout.compact,
        )  # fmt: skip
        return np.asarray(image).copy()

    def colour(self, values: np.ndarray) -> np.ndarray:
        """Return RGB (0–255) for counts on this map's scale."""
        return self.norm.colour(values)

    def paint(self, palette: np.ndarray) -> np.ndarray:
        """Return a copy of the static map with every country painted in ``palette[index + 1]``."""
        frame = self.base.copy()
        flat = frame.reshape(-1, 3)
        lit = np.flatnonzero((palette != self.land).any(axis=1))
        for label in lit:
            flat[self._pixels[self._bounds[label] : self._bounds[label + 1]]] = palette[label]
        for label in lit:  # over every country's fill: a marker lies over its neighbour's land
            marker = self._lit_markers.get(int(label))
            if marker is not None:
                disc, ring = marker
                flat[disc] = palette[label]
                flat[ring] = self._ring(palette[label])
        return frame

    def _ring(self, colour: np.ndarray) -> np.ndarray:
        """Return the ring of a lit marker of ``colour``: of the text colour and the background, the one that
        stands out more from it."""
        key = colour.tobytes()
        found = self._ring_of.get(key)
        if found is None:
            found = self._ring_of[key] = self._rings[np.argmax([contrast(colour, one) for one in self._rings])]
        return found


def palettes(canvas: MapCanvas, timeline: Timeline, afterglow: int) -> np.ndarray:
    """Return one palette per slice (slices × countries+1 × RGB), afterglow applied.

    A country hit in a slice takes its colour on the day's fixed scale. With afterglow, a country
    not hit glows in the theme's grey for ``afterglow`` slices after its last hit, fading to land:
    a colour the scale does not have, so it never reads as a count.
    """
    codes = canvas.codes
    counts = np.array([[one.counts.get(code, 0) if code else 0 for code in codes] for one in timeline.slices], float)
    land = np.array(canvas.land, dtype=float)
    glow = np.array(rgb255(canvas.theme.glow), dtype=float)
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

    def __init__(self, layout: FrameLayout, theme: Theme) -> None:
        self.layout = layout
        self.theme = theme
        first, second = layout.captions
        self.faces = (font(first.points), font(second.points))

    def write(self, frame: np.ndarray, first: str, second: str) -> np.ndarray:
        """Draw the two caption lines into ``frame`` (in place, only the strip they occupy) and return it."""
        top, right = self.layout.caption_box
        strip = Image.fromarray(frame[top:, :right])
        draw = ImageDraw.Draw(strip)
        for text, at, face, colour in zip(
            (first, second), self.layout.captions, self.faces, (self.theme.text, self.theme.muted), strict=True
        ):
            shown = fitted(draw, text, face, right - 2 * at.x)
            draw.text((at.x, at.y - top), shown, font=face, fill=colour, anchor=at.anchor)
        frame[top:, :right] = np.asarray(strip)
        return frame


def fitted(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """Return ``text`` as it fits ``width`` pixels: its last `` · `` parts left out, else cut short with "…"."""
    parts = text.split(" · ")
    while len(parts) > 1 and draw.textlength(" · ".join(parts), font=face) > width:
        parts.pop()
    shown = " · ".join(parts)
    while len(shown) > 1 and draw.textlength(shown, font=face) > width:
        shown = shown[:-2] + "…"
    return shown


def look_layout(look: Look) -> FrameLayout:
    """Return the layout of the frames of ``look``."""
    return frame_layout(look.size, credit_line(look), look.afterglow)


def credit_line(look: Look) -> str:
    return f"{NATURAL_EARTH_CREDIT} · {look.credit}"


def captions(timeline: Timeline, compact: bool = False) -> list[tuple[str, str]]:
    """Return each slice's caption: its time, then attempts, the running total and the top country (shorter
    for a frame laid out in rows)."""
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
                f"{one.attempts:,} attempts{'' if compact else ' in this slice'} · {running:,} so far{top_text}",
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class _View:
    """The frames at one size: the map made ready, its captioner and its captions."""

    canvas: MapCanvas
    captioner: Captioner
    captions: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class _Job:
    views: tuple[_View, ...]
    palettes: np.ndarray
    frames_dir: Path | None
    slots: tuple[np.ndarray, ...] = ()


_JOB: _Job | None = None
"""The frame job, set before worker processes are forked so they inherit it instead of redrawing the map."""


def render_frames(
    timeline: Timeline,
    layers: Sequence[tuple[MapLayer, FrameLayout]],
    look: Look,
    frames_dir: Path | None,
    workers: int | None = None,
) -> Generator[tuple[np.ndarray, ...]]:
    """Yield every slice's frames in order, one per map of ``layers`` (RGB, height × width × 3); the first
    map's frames are written to ``frames_dir/NNNN.png`` too."""
    global _JOB
    legend = f"failed login attempts per country per {per_slice_text(timeline.slice_seconds)}"
    views = []
    for layer, layout in layers:
        canvas = MapCanvas(layer, look, peak=timeline.peak, legend=legend, layout=layout)
        views.append(_View(canvas, Captioner(layout, THEMES[look.theme]), captions(timeline, layout.compact)))
    job = _Job(
        tuple(views), palettes(views[0].canvas, timeline, afterglow_slices(look.afterglow, timeline.slice_seconds)),
        frames_dir,
    )  # fmt: skip
    count = len(timeline.slices)
    workers = min(workers or usable_cores(), count)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for index in range(count):
            yield _frames(job, index)
        return
    # Workers write frames into shared slots (no pickling of 2.7 MB a frame); at most `slots` are in flight,
    # so a slot is reused only after its frame was handed on.
    slots = 2 * workers + 2
    shared = []
    for _, layout in layers:
        width, height = layout.size
        room = multiprocessing.RawArray("B", slots * height * width * 3)
        shared.append(np.frombuffer(room, dtype=np.uint8).reshape(slots, height, width, 3))
    _JOB = replace(job, slots=tuple(shared))
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=ignore_interrupts) as pool:
            pending: deque[AsyncResult[None]] = deque()
            submitted = 0
            for index in range(count):
                while submitted < min(count, index + slots):
                    pending.append(pool.apply_async(_frames_into_slot, (submitted,)))
                    submitted += 1
                pending.popleft().get()
                yield tuple(room[index % slots] for room in _JOB.slots)
    finally:
        _JOB = None


def _frames_into_slot(index: int) -> None:
    assert _JOB is not None and _JOB.slots
    for room, frame in zip(_JOB.slots, _frames(_JOB, index), strict=True):
        room[index % len(room)] = frame


def _frames(job: _Job, index: int) -> tuple[np.ndarray, ...]:
    made = tuple(
        view.captioner.write(view.canvas.paint(job.palettes[index]), *view.captions[index]) for view in job.views
    )
    if job.frames_dir is not None:
        png.save_png(made[0], job.frames_dir / f"{index:04d}.png")
    return made


def render_poster(timeline: Timeline, layer: MapLayer, look: Look) -> np.ndarray:
    """Return the whole span on one map: each country coloured by its attempts over all slices."""
    totals = timeline.totals
    canvas = MapCanvas(  # no afterglow on a map of totals, so no key for it
        layer, replace(look, afterglow=0), peak=max(totals.values(), default=1),
        legend="failed login attempts per country",
    )  # fmt: skip
    values = np.array([totals.get(code, 0) if code else 0 for code in canvas.codes], dtype=float)
    palette = np.vstack([canvas.land, np.where((values > 0)[:, None], canvas.colour(values), canvas.land)])
    first, last = timeline.start, timeline.end - timedelta(seconds=1)
    span = f"{day_text(first)} {first:%H:%M}–{last:%H:%M}" if first.date() == last.date() else period_text(first, last)
    zone = first.strftime("%Z") or first.strftime("%z")
    names = country_names()
    top = ", ".join(f"{names.get(code, code)} {count:,}" for code, count in totals.most_common(3))
    return Captioner(canvas.layout, THEMES[look.theme]).write(
        canvas.paint(palette.astype(np.uint8)),
        f"{span} {zone}",
        f"{sum(totals.values()):,} attempts from {timeline.countries_hit} countries · top: {top}",
    )


def viewer_style(layer: MapLayer, look: Look, peak: int, slice_seconds: int) -> dict[str, object]:
    """Return the maps' colours for the viewer: theme, the 256-step colour ramp, afterglow and scale top."""
    theme = THEMES[look.theme]
    names = ("background", "ocean", "land", "border", "grid", "text", "muted", "glow")
    return {
        "theme": look.theme,
        "colors": {name: getattr(theme, name) for name in names},
        "ramp": [hex_colour(colour) for colour in layer.ramp],
        "afterglow": afterglow_slices(look.afterglow, slice_seconds),
        "afterglow_minutes": look.afterglow,
        "glow_legend": glow_legend(look.afterglow) if look.afterglow else "",
        "peak": max(peak, 2),
    }


def plain_text(text: str, limit: int = 24) -> str:
    """Return attacker-chosen text to show on an image: control and invisible characters made visible, short."""
    shown = "".join(char if char.isprintable() else "\ufffd" for char in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def contrast(first: np.ndarray, second: np.ndarray) -> float:
    """Return the contrast ratio (WCAG) of two RGB colours (0–255): 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(rgb: np.ndarray) -> float:
    share = np.asarray(rgb, dtype=float) / 255
    linear = np.where(share <= 0.03928, share / 12.92, ((share + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))

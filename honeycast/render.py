"""Draw the world map once with Basemap, then recolour its countries for each slice.

The only module that imports matplotlib and Basemap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PathCollection
from matplotlib.colors import ListedColormap, LogNorm, to_rgba
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, LogLocator
from mpl_toolkits.basemap import Basemap

from .shapes import CountryShape, country_names
from .timeline import Slice, Timeline

NATURAL_EARTH_CREDIT = "Borders: Natural Earth"


@dataclass(frozen=True, slots=True)
class Theme:
    background: str = "#0b1020"
    ocean: str = "#101a2e"
    land: str = "#27324a"
    border: str = "#3f4b66"
    grid: str = "#1b2740"
    text: str = "#e8ecf4"
    muted: str = "#8e9ab3"
    colormap: str = "inferno"


def slice_label(one: Slice, seconds: int) -> str:
    """Return a slice's time range with its zone, e.g. ``Sun 29 Nov 2026 · 06:20–06:30 UTC``."""
    end = one.start + timedelta(seconds=seconds)
    return f"{one.start:%a %d %b %Y} · {one.start:%H:%M}–{end:%H:%M} {one.start:%Z}".rstrip()


class MapRenderer:
    """A figure holding the static world map; ``frame`` recolours it for one slice."""

    def __init__(
        self,
        timeline: Timeline,
        countries: tuple[CountryShape, ...],
        *,
        title: str,
        credit: str,
        size: tuple[int, int] = (1280, 720),
        theme: Theme = Theme(),
    ) -> None:
        self.timeline = timeline
        self.theme = theme
        width, height = size
        self.size = size
        scale = height / 720
        self.figure = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor=theme.background)
        self.canvas = FigureCanvasAgg(self.figure)
        axes = self.figure.add_axes((0.02, 0.13, 0.96, 0.77))
        axes.set_axis_off()
        projection = Basemap(projection="robin", lon_0=0, resolution=None, ax=axes)
        projection.drawmapboundary(fill_color=theme.ocean, color=theme.border, linewidth=0.8 * scale)
        for draw, values in (
            (projection.drawparallels, range(-60, 90, 30)),
            (projection.drawmeridians, range(-180, 180, 30)),
        ):
            draw(list(values), color=theme.grid, linewidth=0.5 * scale, dashes=[1, 0], labels=[0, 0, 0, 0])

        self.codes = [country.code for country in countries]
        paths = [_country_path(projection, country) for country in countries]
        self.collection = PathCollection(
            paths, facecolors=theme.land, edgecolors=theme.border, linewidths=0.3 * scale, zorder=3
        )
        axes.add_collection(self.collection)

        base = ListedColormap(_colour_ramp(theme.colormap))
        self.norm = LogNorm(vmin=1, vmax=max(timeline.peak, 2))
        self.cmap = base
        self.land = np.array(to_rgba(theme.land))

        self.figure.text(0.02, 0.955, title, color=theme.text, fontsize=20 * scale, weight="bold", va="center")
        self.time_text = self.figure.text(0.02, 0.085, "", color=theme.text, fontsize=15 * scale, va="center")
        self.stats_text = self.figure.text(0.02, 0.04, "", color=theme.muted, fontsize=11 * scale, va="center")
        self.figure.text(
            0.98,
            0.955,
            f"{NATURAL_EARTH_CREDIT} · {credit}",
            color=theme.muted,
            fontsize=7.5 * scale,
            ha="right",
            va="center",
        )
        bar_axes = self.figure.add_axes((0.62, 0.07, 0.34, 0.025))
        bar = self.figure.colorbar(ScalarMappable(self.norm, base), cax=bar_axes, orientation="horizontal")
        bar.outline.set_edgecolor(theme.border)  # type: ignore[operator]
        bar.ax.xaxis.set_major_locator(LogLocator(base=10))
        bar.ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(2, 5)))
        bar.ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        bar.ax.tick_params(colors=theme.muted, labelsize=9 * scale, which="both")
        minutes = timeline.slice_seconds // 60
        per = f"{minutes} min" if minutes < 60 else f"{minutes // 60} h"
        bar.set_label(f"failed login attempts per country per {per}", color=theme.muted, fontsize=9 * scale)

    def colours(self, counts: dict[str, int]) -> np.ndarray:
        """Return one RGBA face colour per country for a slice's counts."""
        values = np.array([counts.get(code, 0) if code else 0 for code in self.codes], dtype=float)
        colours = np.tile(self.land, (len(values), 1))
        hit = values > 0
        if hit.any():
            colours[hit] = self.cmap(self.norm(values[hit]))
        return colours

    def frame(self, index: int, running_total: int) -> np.ndarray:
        """Return the RGB pixels (height × width × 3, uint8) of one slice's map."""
        one = self.timeline.slices[index]
        self.collection.set_facecolor(self.colours(one.counts))  # type: ignore[arg-type]
        self.time_text.set_text(slice_label(one, self.timeline.slice_seconds))
        top = max(one.counts.items(), key=lambda item: (item[1], item[0]), default=None)
        top_text = f" · top: {country_names().get(top[0], top[0])} {top[1]:,}" if top else ""
        self.stats_text.set_text(f"{one.attempts:,} attempts in this slice · {running_total:,} so far today{top_text}")
        self.canvas.draw()  # type: ignore[no-untyped-call]
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()  # type: ignore[no-untyped-call]

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every slice's pixels in order."""
        running = 0
        for index, one in enumerate(self.timeline.slices):
            running += one.attempts
            yield self.frame(index, running)


def _colour_ramp(name: str) -> np.ndarray:
    from matplotlib import colormaps

    # Start above the ramp's near-black end so one attempt still stands out from the land.
    return colormaps[name](np.linspace(0.25, 1.0, 256))


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

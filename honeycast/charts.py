"""The summary chart: the span's top origins and user names tried, as bars in the maps' colours."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .look import THEMES, Look
from .render import colour_ticks, figure_pixels, plain_text
from .shapes import country_names
from .timeline import Timeline


def render_summary(timeline: Timeline, look: Look, top: int = 12) -> np.ndarray:
    """Return a chart of the span's top origins and top targeted user names, as sorted bars.

    Bars are on a logarithmic axis (one user name tried thousands of times must not flatten the rest) and take
    the maps' colour for their value.
    """
    theme, (width, height) = THEMES[look.theme], look.size
    scale = height / 720
    figure = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor=theme.background)
    FigureCanvasAgg(figure)
    names = country_names()
    origins = [(names.get(code, code), count) for code, count in timeline.totals.most_common(top)]
    users = [(plain_text(user or "(empty)"), count) for user, count in timeline.users.most_common(top)]
    figure.text(
        0.03, 0.94, look.title, color=theme.text, fontsize=20 * scale, weight="bold", va="center", parse_math=False
    )
    attempts = sum(timeline.totals.values())
    zone = timeline.start.strftime("%Z") or timeline.start.strftime("%z")
    figure.text(
        0.97, 0.94, f"{timeline.period} ({zone}) · {attempts:,} failed login attempts from "
        f"{timeline.countries_hit} countries", color=theme.muted, fontsize=10 * scale, ha="right", va="center",
    )  # fmt: skip
    cmap = ListedColormap(colormaps[theme.colormap](np.linspace(*theme.ramp, 256)))
    for position, (label, rows) in enumerate((("Top origins", origins), ("Top user names tried", users))):
        axes = figure.add_axes((0.2 + position * 0.48, 0.08, 0.28, 0.76))
        axes.set_facecolor(theme.background)
        axes.set_title(label, color=theme.text, fontsize=13 * scale, loc="left")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color(theme.border)
        if not rows:  # nothing to chart: say so, with no scale at all
            axes.set_xticks([])
            axes.set_yticks([])
            axes.text(0.5, 0.5, "none", transform=axes.transAxes, ha="center", color=theme.muted, fontsize=11 * scale)
            continue
        labels = [name for name, _ in rows][::-1]
        values = [value for _, value in rows][::-1]
        norm = LogNorm(vmin=1, vmax=max(max(values), 2))
        axes.set_xscale("log")
        axes.barh(range(len(rows)), values, left=0.8, color=cmap(norm(values)), height=0.7)
        axes.set_xlim(0.8, max(values) * 4)
        axes.set_yticks(range(len(rows)), labels, color=theme.text, fontsize=10 * scale)
        axes.tick_params(axis="x", colors=theme.muted, labelsize=9 * scale)
        axes.xaxis.set_major_locator(FixedLocator([tick for tick in colour_ticks(max(values)) if tick < max(values)]))
        axes.xaxis.set_minor_locator(NullLocator())
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        for row, value in enumerate(values):
            axes.text(value, row, f" {value:,}", va="center", color=theme.muted, fontsize=9 * scale)
    return figure_pixels(figure)

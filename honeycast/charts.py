"""The summary chart: the span's top origins and user names tried, as bars in the maps' colours."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .look import THEMES, Look, rgb255
from .paint import LINE, POINT, TICK, Scale, colour_ticks, font, hex_colour, tick
from .render import plain_text
from .shapes import country_names
from .timeline import Timeline

PANELS = ((0.2, 0.48), (0.68, 0.96))
"""Where each chart's axes run across the image (left, right, as shares of its width)."""
ROWS = (0.16, 0.92)
"""Where the axes run down the image (top, bottom)."""
AXIS_LABEL = "attempts (logarithmic scale)"


def render_summary(timeline: Timeline, look: Look, ramp: np.ndarray, top: int = 12) -> np.ndarray:
    """Return a chart of the span's top origins and top targeted user names, as sorted bars.

    Bars are on a logarithmic axis (one user name tried thousands of times must not flatten the rest) and take
    the maps' colour for their value (``ramp``: the theme's colour scale).
    """
    theme, (width, height) = THEMES[look.theme], look.size
    scale = height / 720
    image = Image.new("RGB", (width, height), rgb255(theme.background))
    draw = ImageDraw.Draw(image)
    names = country_names()
    origins = [(names.get(code, code), count) for code, count in timeline.totals.most_common(top)]
    users = [(plain_text(user or "(empty)"), count) for user, count in timeline.users.most_common(top)]
    heading = 0.06 * height
    draw.text((0.03 * width, heading), look.title, font=font(20 * scale, bold=True), fill=theme.text, anchor="lm")
    attempts = sum(timeline.totals.values())
    zone = timeline.start.strftime("%Z") or timeline.start.strftime("%z")
    draw.text(
        (0.97 * width, heading),
        f"{timeline.period} ({zone}) · {attempts:,} failed login attempts from {timeline.countries_hit} countries",
        font=font(10 * scale), fill=theme.muted, anchor="rm",
    )  # fmt: skip
    top_y, bottom_y = ROWS[0] * height, ROWS[1] * height
    for (left_share, right_share), (label, rows) in zip(
        PANELS, (("Top origins", origins), ("Top user names tried", users)), strict=True
    ):
        left, right = left_share * width, right_share * width
        draw.text((left, top_y - 6 * POINT), label, font=font(13 * scale), fill=theme.text, anchor="ls")
        if not rows:  # nothing to chart: say so, with no scale at all
            middle = ((left + right) / 2, (top_y + bottom_y) / 2)
            draw.text(middle, "none", font=font(11 * scale), fill=theme.muted, anchor="mm")
            _spines(draw, left, right, top_y, bottom_y, theme.border)
            continue
        values = np.array([value for _, value in rows], dtype=float)
        colours = Scale(ramp, float(values.max())).colour(values)
        panel = _Panel((left, top_y, right, bottom_y), float(values.max()), len(rows))
        for place, ((name, value), colour) in enumerate(zip(rows, colours, strict=True)):
            row = len(rows) - 1 - place  # the largest on top
            box = (left, panel.y(row + 0.35), max(left, panel.x(value)), panel.y(row - 0.35))
            draw.rectangle(box, fill=hex_colour(colour / 255))
            draw.text((left - 2 * TICK, panel.y(row)), name, font=font(10 * scale), fill=theme.text, anchor="rm")
            draw.text(
                (panel.x(value), panel.y(row)), f" {value:,}", font=font(9 * scale), fill=theme.muted, anchor="lm"
            )
        ends = [
            tick(draw, (panel.x(mark), bottom_y), mark, font(9 * scale), theme.muted)
            for mark in colour_ticks(values.max())
            if mark < values.max()
        ]
        # The bars do not start at zero: the axis says how it is scaled, so small counts are not read as large.
        below = max(ends, default=bottom_y + 2 * TICK) + POINT
        draw.text((right, below), AXIS_LABEL, font=font(9 * scale), fill=theme.muted, anchor="rt")
        _spines(draw, left, right, top_y, bottom_y, theme.border)
    return np.asarray(image).copy()


class _Panel:
    """Where values and rows of one chart fall in the image: values on a logarithmic axis from 0.8 to four times
    the largest, rows 1 apart with bars 0.7 high and 5 % of the span to spare at each end, as matplotlib lays
    out bars."""

    def __init__(self, box: tuple[float, float, float, float], largest: float, rows: int) -> None:
        self.left, self.top, self.right, self.bottom = box
        self.low, self.high = float(np.log10(0.8)), float(np.log10(largest * 4))
        span = rows - 1 + 0.7
        self.first, self.last = -0.35 - 0.05 * span, rows - 1 + 0.35 + 0.05 * span

    def x(self, value: float) -> float:
        return self.left + (float(np.log10(value)) - self.low) / (self.high - self.low) * (self.right - self.left)

    def y(self, row: float) -> float:
        return self.bottom - (row - self.first) / (self.last - self.first) * (self.bottom - self.top)


def _spines(draw: ImageDraw.ImageDraw, left: float, right: float, top: float, bottom: float, colour: str) -> None:
    """Draw the axes' left and bottom lines, over the bars that start on them."""
    draw.line([(left, top), (left, bottom)], fill=colour, width=LINE)
    draw.line([(left, bottom), (right, bottom)], fill=colour, width=LINE)

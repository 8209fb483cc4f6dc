"""Text and scales drawn with Pillow onto pixels: what the frames, the poster and the summary chart share.

Sizes are given in points at 100 pixels an inch, as the maps were first laid out, times the frame's scale
(its height over 720). The font is the DejaVu Sans matplotlib ships, found without importing matplotlib.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
from PIL import ImageDraw, ImageFont

POINT = 100 / 72
"""Pixels a point."""
LINE = max(1, round(0.8 * POINT))
"""The width, in whole pixels, of an axis line, an outline or a tick."""
TICK = 3.5 * POINT
"""The length of a tick, and the gap between a tick and its label."""


@cache
def _fonts() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib is not installed: its DejaVu Sans font is what honeycast writes with")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


@cache
def font(points: float, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Return DejaVu Sans (bold) at ``points`` points."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_fonts() / name), max(1, round(points * POINT)))


def hex_colour(rgba: np.ndarray) -> str:
    """Return an RGB(A) colour of 0–1 components as ``#rrggbb``."""
    return "#" + "".join(format(round(float(part) * 255), "02x") for part in rgba[:3])


class Scale:
    """A logarithmic colour scale from 1 to ``top``: a count's colour, as matplotlib's LogNorm and colour map
    give it (the colour map's 256 steps, equal in the logarithm)."""

    def __init__(self, ramp: np.ndarray, top: float) -> None:
        self.ramp = ramp
        self.top = max(float(top), 2.0)

    def position(self, values: np.ndarray) -> np.ndarray:
        """Return where counts lie on the scale, 0 at 1 and 1 at the top."""
        return np.asarray(np.log10(np.maximum(values, 1)) / np.log10(self.top), dtype=np.float64)

    def colour(self, values: np.ndarray) -> np.ndarray:
        """Return RGB (0–255, as floats) for counts."""
        steps = len(self.ramp)
        index = np.minimum((self.position(values) * steps).astype(np.int64), steps - 1)
        return np.asarray((self.ramp[index][..., :3] * 255).round(), dtype=np.float64)


TICK_GAP = 0.12
"""The least distance between two tick labels on a logarithmic scale, as a share of its length."""


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


def colour_bar(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    scale: Scale,
    marks: list[float],
    colours: tuple[str, str],
    size: float,
    label: str,
    centred: bool = True,
) -> None:
    """Draw a horizontal colour bar in ``box`` (left, top, right, bottom) with ``marks`` labelled below it and
    ``label`` under them (centred, or from the bar's left); ``colours`` are the outline's and the text's, ``size``
    the text's points."""
    left, top, right, bottom = box
    width = right - left
    steps = len(scale.ramp)
    for column in range(left, right):
        index = min(int((column - left + 0.5) / width * steps), steps - 1)
        draw.line([(column, top), (column, bottom - 1)], fill=hex_colour(scale.ramp[index]))
    draw.rectangle(box, outline=colours[0], width=LINE)
    small = font(size)
    lowest = float(bottom)
    for x, mark in _apart(draw, [(left + float(scale.position(np.array([mark]))[0]) * width, mark) for mark in marks],
                          small):  # fmt: skip
        lowest = max(lowest, tick(draw, (x, bottom), mark, small, colours[1]))
    at = (left + width / 2, "mt") if centred else (left, "lt")
    draw.text((at[0], lowest + 4 * POINT), label, font=small, fill=colours[1], anchor=at[1])


def _apart(
    draw: ImageDraw.ImageDraw, marks: list[tuple[float, float]], face: ImageFont.FreeTypeFont
) -> list[tuple[float, float]]:
    """Return the marks (x, value) whose labels keep a space's width from one another: the last (the top of the
    scale) always, the others in order where they fit."""
    gap = draw.textlength(" ", font=face)

    def span(x: float, mark: float) -> tuple[float, float]:
        width = draw.textlength(f"{mark:,.0f}", font=face)
        return x - width / 2 - gap, x + width / 2 + gap

    *regular, top = marks
    kept = [top]
    taken = [span(*top)]
    for x, mark in regular:
        start, end = span(x, mark)
        if all(end <= other_start or start >= other_end for other_start, other_end in taken):
            kept.append((x, mark))
            taken.append((start, end))
    return sorted(kept)


def tick(
    draw: ImageDraw.ImageDraw, at: tuple[float, float], mark: float, face: ImageFont.FreeTypeFont, colour: str
) -> float:
    """Draw a tick down from ``at`` on a horizontal axis, its value under it; return where the label ends."""
    x, y = at
    draw.line([(x, y), (x, y + TICK)], fill=colour, width=LINE)
    text = f"{mark:,.0f}"
    draw.text((x, y + 2 * TICK), text, font=face, fill=colour, anchor="mt")
    return float(draw.textbbox((x, y + 2 * TICK), text, font=face, anchor="mt")[3])

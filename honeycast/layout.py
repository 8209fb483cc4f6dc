"""Where the title, credits, captions and keys sit on a frame, and where the map goes: readable at every size.

A frame of 960×540 or more is laid out as the maps were first drawn, everything a share of its size: the title
and credits above the map, the caption and the colour keys side by side below it. A smaller frame (the GIF, a
small ``--size``) would shrink that text below reading, so it is laid out in rows instead: text keeps a least
size in pixels, the rows below the map take the height they need, and the map takes what is left, its
projection's shape kept. The GIF's height is chosen so its map keeps its whole width.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw

from .look import MAP_AXES, ROBINSON_ASPECT, Box, glow_legend
from .paint import POINT, TICK, font

FULL = (960, 540)
"""The smallest frame laid out as the maps were first drawn; a smaller one is laid out in rows."""
LEAST = {"title": 13.0, "caption": 12.0, "text": 10.0, "credit": 9.0}
"""The least size of each kind of text on a frame, in pixels."""
GIF_WIDTH = (320, 640)
"""The narrowest and widest GIF honeycast writes."""
GIF_MAX_AREA = 12_500_000
"""MediaWiki animates a GIF only if its frames hold at most this many pixels in all ($wgMaxAnimatedGifArea)."""


@dataclass(frozen=True, slots=True)
class Text:
    """Where one line of text goes: its anchor point, its size in points and Pillow's anchor."""

    x: float
    y: float
    points: float
    anchor: str = "lm"


@dataclass(frozen=True, slots=True)
class FrameLayout:
    size: tuple[int, int]
    compact: bool
    axes: Box
    """Where the map sits (left, bottom, width, height, as shares of the frame)."""
    title: Text
    credit: tuple[tuple[str, Text], ...]
    """The credit's lines and where each goes (one line in the full layout)."""
    key: tuple[int, int, int, int]
    """The colour bar's box (left, top, right, bottom); its ticks and label go under it."""
    key_points: float
    glow: tuple[int, int, int, int]
    """The afterglow's swatch; its label at ``glow_label``."""
    glow_label: Text
    captions: tuple[Text, Text]
    caption_box: tuple[int, int]
    """The top and right edge of the part of the frame the caption is drawn in (to its bottom, from its left)."""


def _points(pixels: float) -> float:
    return pixels / POINT


def _size(points: float, scale: float, least: str) -> float:
    """Return ``points`` scaled to the frame, in points, not under the least size of its kind of text."""
    return max(points * scale, _points(LEAST[least]))


@cache
def frame_layout(size: tuple[int, int], credit: str, afterglow: int) -> FrameLayout:
    """Return the layout of a frame of ``size`` whose credit line is ``credit``."""
    width, height = size
    if width >= FULL[0] and height >= FULL[1]:
        return _full(size, credit)
    return _rows(size, credit, afterglow)


def _full(size: tuple[int, int], credit: str) -> FrameLayout:
    width, height = size
    scale = height / 720
    title_y = (1 - 0.955) * height
    key_top, key_bottom = round((1 - 0.095) * height), round((1 - 0.07) * height)
    key_points = _size(9, scale, "text")
    return FrameLayout(
        size=size, compact=False, axes=MAP_AXES,
        title=Text(0.02 * width, title_y, _size(20, scale, "title")),
        credit=((credit, Text(0.98 * width, title_y, _size(7.5, scale, "credit"), "rm")),),
        key=(round(0.74 * width), key_top, round(0.96 * width), key_bottom), key_points=key_points,
        glow=(round(0.62 * width), key_top, round(0.65 * width), key_bottom),
        glow_label=Text(round(0.62 * width), key_bottom + 4 * POINT, key_points, "lt"),
        captions=(
            Text(round(0.02 * width), round(height - 0.085 * height), _size(15, scale, "caption")),
            Text(round(0.02 * width), round(height - 0.04 * height), _size(11, scale, "text")),
        ),
        caption_box=(round(height - 0.085 * height) - round(0.03 * height), width * 3 // 5),
    )  # fmt: skip


def _line(points: float) -> float:
    """The height of a row of text of ``points`` points, in pixels."""
    return 1.2 * points * POINT


def _margin(width: int) -> int:
    return max(4, round(0.015 * width))


@cache
def _credit_lines(credit: str, width: int) -> tuple[str, ...]:
    """Break the credit into lines that fit ``width`` pixels (a word longer than that is a line of its own)."""
    points = _points(LEAST["credit"])
    lines: list[str] = []
    for word in credit.split():
        if lines and _text_width(f"{lines[-1]} {word}", points) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return tuple(lines)


def _bands(width: int, credit: str) -> tuple[float, float]:
    """Return the height of the rows above and below the map in the row layout."""
    gap = _margin(width) / 2
    title = _line(_points(LEAST["title"]))
    text, caption = _line(_points(LEAST["text"])), _line(_points(LEAST["caption"]))
    credit_rows = len(_credit_lines(credit, width - 2 * _margin(width))) * _line(_points(LEAST["credit"]))
    return 2 * gap + title + gap, gap + caption + text + gap + _KEY_HEIGHT + gap + credit_rows + 2 * gap


_BAR = round(0.8 * LEAST["text"])
"""The colour bar's height in the row layout."""
_KEY_HEIGHT = _BAR + 2 * TICK + 2 * _line(_points(LEAST["text"])) + 4 * POINT
"""The colour bar's height with its ticks, their labels and the scale's label under them (paint.colour_bar)."""


def _rows(size: tuple[int, int], credit: str, afterglow: int) -> FrameLayout:
    width, height = size
    margin = _margin(width)
    gap = margin / 2
    above, below = _bands(width, credit)
    map_width = max(min(width - 2 * margin, (height - above - below) * ROBINSON_ASPECT), 0.0)
    map_height = map_width / ROBINSON_ASPECT
    spare = height - above - below - map_height  # a frame taller than it needs: the map in the middle
    top = above + spare / 2
    axes = ((width - map_width) / 2 / width, 1 - (top + map_height) / height, map_width / width, map_height / height)
    text_points, caption_points = _points(LEAST["text"]), _points(LEAST["caption"])
    y = top + map_height + spare / 2 + gap
    first = Text(margin, y + _line(caption_points) / 2, caption_points)
    y += _line(caption_points)
    second = Text(margin, y + _line(text_points) / 2, text_points)
    y += _line(text_points) + gap
    bar = _BAR
    glow_width = 2 * bar + gap + _text_width(glow_legend(afterglow), text_points) if afterglow else 0.0
    # The top of the scale is labelled under the bar's end: room for half a long count beyond it.
    reach = _text_width("99,999,999", text_points) / 2
    right = round(width - margin - (glow_width + 2 * margin if afterglow else reach))
    key = (margin, round(y), right, round(y) + bar)
    glow = (round(width - margin - glow_width), key[1], round(width - margin - glow_width) + 2 * bar, key[3])
    y += _KEY_HEIGHT + gap
    credit_points = _points(LEAST["credit"])
    lines = []
    for line in _credit_lines(credit, width - 2 * margin):
        lines.append((line, Text(margin, y + _line(credit_points) / 2, credit_points)))
        y += _line(credit_points)
    return FrameLayout(
        size=size, compact=True, axes=axes,
        title=Text(margin, 2 * gap + _line(_points(LEAST["title"])) / 2, _points(LEAST["title"])),
        credit=tuple(lines), key=key, key_points=text_points, glow=glow,
        glow_label=Text(glow[2] + gap, (glow[1] + glow[3]) / 2, text_points),
        captions=(first, second),
        caption_box=(round(first.y - _line(caption_points) / 2), width),
    )  # fmt: skip


def _text_width(text: str, points: float) -> float:
    return float(_MEASURE.textlength(text, font=font(points)))


_MEASURE = ImageDraw.Draw(Image.new("RGB", (1, 1)))
"""Where text is measured (nothing is drawn on it)."""


def gif_size(frames: int, credit: str) -> tuple[int, int]:
    """Return the GIF's size, laid out in rows: 640 px wide, narrower where its frames would pass MediaWiki's
    area, and at 320 px as tall as that area allows (its map a little narrower), but never so short that the
    map loses more than 15 % of its width (more frames than that pass the area rather than lose the map)."""
    for width in range(GIF_WIDTH[1], GIF_WIDTH[0] - 1, -2):
        height = _gif_height(width, credit)
        if width * height * max(frames, 1) <= GIF_MAX_AREA:
            return width, height
    width = GIF_WIDTH[0]
    allowed = GIF_MAX_AREA // (max(frames, 1) * width)
    height = max(min(allowed, height), _gif_height(width, credit, 0.85))
    return width, height - height % 2


def _gif_height(width: int, credit: str, share: float = 1.0) -> int:
    """Return the height of a GIF ``width`` wide whose map takes ``share`` of the width it could."""
    height = int(-(-(sum(_bands(width, credit)) + share * (width - 2 * _margin(width)) / ROBINSON_ASPECT) // 1))
    return height + height % 2

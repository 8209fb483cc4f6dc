"""What a build chooses about its maps, and where things sit on them: themes, sizes, afterglow.

Plain values only (no matplotlib), so that options are checked without loading the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_SIZE = (3840, 2160)
"""The largest frame size (4K UHD)."""
Box = tuple[float, float, float, float]
MAP_AXES: Box = (0.02, 0.13, 0.96, 0.77)
"""Where the map sits in a frame (left, bottom, width, height, as shares of the frame); it fills that box."""
ROBINSON_ASPECT = 0.8487 * 3.14159265 / 1.3523
"""The world's width over its height in the Robinson projection (its x reaches 0.8487 π, its y 1.3523)."""


MARKER_AREA = 100.0
"""Countries smaller than this many pixels (at 1280×720), too small to read a colour on, get a marker at their
centre: a disc that takes the country's colour. Unlit, it is a faint dot of land without a ring. A country with
a larger shape elsewhere (Australia's Ashmore Islands) gets none: the large shape shows its colour."""

LIT_MARKER = (5.5, 1.3)
"""Radius and ring width, in pixels at 1280×720, of a small country's marker while it is lit."""
LEAST_MARKER = (2.0, 1.0)
"""The least radius and ring width, in pixels, of a lit marker on a small map: still a disc with a ring."""
FAINT_MARKER = 1.5
"""The least radius, in pixels, of an unlit marker's faint dot."""


def map_scale(size: tuple[int, int], axes: Box) -> float:
    """Return the size of a frame's map against the map of a 1280×720 frame: what its lines and markers are
    scaled by."""
    return axes[3] * size[1] / (MAP_AXES[3] * 720)


def lit_marker(scale: float) -> tuple[float, float]:
    """Return the radius and ring width, in pixels, of a lit marker on a map of ``scale``."""
    return max(LIT_MARKER[0] * scale, LEAST_MARKER[0]), max(LIT_MARKER[1] * scale, LEAST_MARKER[1])


def rgb255(colour: str) -> tuple[int, int, int]:
    """Return a ``#rrggbb`` colour as 0–255 components."""
    if len(colour) != 7 or colour[0] != "#":
        raise ValueError(f"expected a colour as #rrggbb, not {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


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
    """The part of the colour map used: its low end stands out from the land (at least 1.75:1 in luminance)."""
    glow: str
    """Afterglow: a grey no count on the scale has, so a country hit a little earlier never reads as a count; it
    stands out from the land less than the lowest count does (1.6:1 against 1.77:1 and 1.91:1)."""


class ThemeName(StrEnum):
    """The themes there are: the maps' and the page's colours."""

    dark = "dark"
    light = "light"


THEMES: dict[str, Theme] = {
    ThemeName.dark: Theme(
        background="#0b1020", ocean="#101a2e", land="#27324a", border="#3f4b66", grid="#1b2740",
        text="#e8ecf4", muted="#8e9ab3", colormap="inferno", ramp=(0.42, 1.0), glow="#465168",
    ),
    ThemeName.light: Theme(
        background="#f7f7f2", ocean="#dfe9f1", land="#f4f1e8", border="#b9b4a6", grid="#cfdbe6",
        text="#1d2433", muted="#5d6677", colormap="magma_r", ramp=(0.22, 0.85), glow="#bdc1c7",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Look:
    """What a build chooses about its maps."""

    title: str
    credit: str
    size: tuple[int, int] = (1280, 720)
    theme: str = "dark"
    afterglow: int = 30
    """Minutes a hit country keeps glowing (grey, fading) after it was last hit; 0 turns the afterglow off."""


def afterglow_slices(minutes: int, slice_seconds: int) -> int:
    """Return how many slices after a hit a country glows: whole slices within ``minutes``."""
    return minutes * 60 // slice_seconds


def glow_legend(minutes: int) -> str:
    return f"hit in the last {minutes} min" if minutes < 120 or minutes % 60 else f"hit in the last {minutes // 60} h"

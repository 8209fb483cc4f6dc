"""The map the viewer draws: every country as SVG path data in the frames' own projection, simplified once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mpl_toolkits.basemap import Basemap

from .look import MAP_AXES, MARKER_AREA
from .shapes import CountryShape, marker_centre, ring_areas


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
    # The frames' rule, at this view box's scale (the frames' map fills MAP_AXES of a 1280x720 frame).
    limit = MARKER_AREA / ((MAP_AXES[2] * 1280 / width) * (MAP_AXES[3] * 720 / height))
    large = {
        country.code
        for country in countries
        if country.code and ring_areas([to_view(ring[:, 0], ring[:, 1]) for ring in country.rings]).sum() >= limit
    }
    for country in countries:
        rings = [_simplify(to_view(ring[:, 0], ring[:, 1]), tolerance) for ring in country.rings]
        rings = [ring for ring in rings if len(ring) >= 3]
        if len(rings) > 1:  # islands below a pixel add bytes, not information; the largest ring always stays
            areas = ring_areas(rings)
            rings = [ring for ring, area in zip(rings, areas, strict=True) if area >= min(1.0, areas.max())]
        shape: dict[str, object] = {"code": country.code, "d": "".join(_svg_ring(ring, close=True) for ring in rings)}
        if country.code and country.code not in large:
            centre = marker_centre([to_view(ring[:, 0], ring[:, 1]) for ring in country.rings], limit)
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

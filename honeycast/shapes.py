"""Country polygons from the packaged Natural Earth shapefile."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from .geo import BUCKETS

NATURAL_EARTH_CREDIT = "Borders: Natural Earth"

BUCKET_NAMES = {
    "loopback": "Loopback addresses",
    "private": "Private networks",
    "link_local": "Link-local addresses",
    "cgnat": "Carrier-grade NAT",
    "documentation": "Documentation addresses",
    "reserved": "Reserved addresses",
    "hostname": "Host names (not resolved)",
    "unknown": "Unknown location",
}
assert set(BUCKET_NAMES) == set(BUCKETS)


@dataclass(frozen=True, slots=True)
class CountryShape:
    code: str
    """ISO 3166 alpha-2, or empty for land no GeoIP database names (e.g. Siachen Glacier)."""
    name: str
    rings: tuple[np.ndarray, ...]
    """Closed lon/lat rings, each an (n, 2) array: outer rings clockwise, holes counter-clockwise."""


def data_dir() -> Path:
    return Path(str(resources.files("honeycast") / "data"))


@cache
def load_countries() -> tuple[CountryShape, ...]:
    """Return every country polygon, antimeridian already cut (see tools/build_shapes.py)."""
    import shapefile  # pyshp: only where the map is drawn

    reader = shapefile.Reader(str(data_dir() / "countries"), encoding="utf-8")
    with reader:
        found = []
        for item in reader.iterShapeRecords():
            points = np.asarray(item.shape.points, dtype=float)
            bounds = [*item.shape.parts, len(points)]
            rings = tuple(points[a:b] for a, b in itertools.pairwise(bounds))
            found.append(CountryShape(code=item.record["ISO_A2"], name=item.record["NAME"], rings=rings))
    return tuple(found)


@cache
def country_names() -> dict[str, str]:
    """Return the English short name of every ISO 3166 country and of honeycast's address buckets."""
    names: dict[str, str] = json.loads((data_dir() / "country_names.json").read_text(encoding="utf-8"))
    return names | BUCKET_NAMES


def ring_areas(rings: list[np.ndarray]) -> np.ndarray:
    """Return each ring's area (shoelace), all rings at once."""
    points = np.concatenate(rings)
    starts = np.cumsum([0] + [len(ring) for ring in rings[:-1]])
    x, y = points[:, 0], points[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[starts[1:] - 1] = 0.0  # no edge from one ring's last point to the next ring's first
    return np.asarray(np.abs(np.add.reduceat(np.append(cross, 0.0), starts)) / 2, dtype=float)


def marker_centre(rings: list[np.ndarray], limit: float) -> tuple[float, float] | None:
    """Return where a country gets a marker (the centre of its largest ring) if its rings cover less than ``limit``."""
    areas = ring_areas(rings)
    if areas.sum() >= limit:
        return None
    biggest = rings[int(np.argmax(areas))]
    return float(biggest[:, 0].mean()), float(biggest[:, 1].mean())


def spread(points: list[tuple[float, float]], apart: float) -> list[tuple[float, float]]:
    """Return the markers' places: each where its country is, or, where that comes within ``apart`` of a marker
    placed before it (Benelux, Hong Kong and Macau), the nearest free place around it, on rings a half ``apart``
    wider each time (the first free of 16 bearings, clockwise from the east); a leader shows where it belongs."""
    placed: list[tuple[float, float]] = []

    def free(x: float, y: float) -> bool:
        return all((x - other_x) ** 2 + (y - other_y) ** 2 >= apart**2 for other_x, other_y in placed)

    bearings = [(float(np.cos(angle)), float(np.sin(angle))) for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False)]
    for x, y in points:
        around = (
            (x + ring * apart / 2 * east, y + ring * apart / 2 * north)
            for ring in itertools.count(1)
            for east, north in bearings
        )
        placed.append((x, y) if free(x, y) else next(place for place in around if free(*place)))
    return placed

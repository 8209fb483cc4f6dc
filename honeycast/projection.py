"""The only module that draws with matplotlib and Basemap: the map in the Robinson projection, for the frames
(pixels) and for the viewer (SVG path data). Both are drawn once and kept in the user's cache (cache.py), so a
build whose map is cached imports neither library."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.path import Path as MplPath
from mpl_toolkits.basemap import Basemap

from .look import FAINT_MARKER, MAP_AXES, MARKER_AREA, THEMES, Box, lit_marker, map_scale, rgb255
from .mapcache import MapLayer
from .shapes import CountryShape, marker_centre, ring_areas, spread


def draw_layer(
    countries: Sequence[CountryShape], size: tuple[int, int], theme_name: str, axes_box: Box = MAP_AXES
) -> MapLayer:
    """Draw the map at one size and theme, and record which country each of its pixels shows.

    Basemap and matplotlib draw ocean, graticule, every country in the land colour with its border, and a
    faint marker for countries too small to see (or hidden by the markers round them). A second drawing of the
    same axes paints each country (not the markers) in a colour that encodes its index, without antialiasing: a
    raster that says which country every pixel belongs to. Only pixels that show land in the first drawing are
    kept (borders and coasts stay as drawn where they cover more than half a pixel).
    """
    theme = THEMES[theme_name]
    width, height = size
    scale = map_scale(size, axes_box)
    figure, axes, paths, labels, (markers, at, places) = _countries_drawn(countries, size, theme_name, axes_box)
    to_data = axes.transData.inverted()
    leaders = [[to_data.transform(one), to_data.transform(place)] for one, place in zip(at, places, strict=True)
               if np.hypot(*(np.asarray(place) - one)) > 0.5]  # fmt: skip
    axes.add_collection(LineCollection(leaders, colors=theme.border, linewidths=0.6 * scale, zorder=4), autolim=False)
    dots = [
        Circle(_xy(to_data.transform(place)), radius) for place, (_, radius, _) in zip(places, markers, strict=True)
    ]
    axes.add_collection(PatchCollection(dots, facecolors=theme.land, edgecolors="none", zorder=5), autolim=False)
    base = figure_pixels(figure)
    land = _lands(base, theme.land, theme.border)
    discs, rings = [], []
    for one, place in zip(at, places, strict=True):  # a lit marker is drawn larger than the faint dot, with a ring
        disc, ring = _disc_and_ring(np.asarray(place), height, width, scale)
        discs.append(disc)
        rings.append(ring)
        _fill_under(labels.ravel(), land.ravel(), np.concatenate(_disc_and_ring(one, height, width, scale)))
    interior = (labels > 0) & land
    pixels = np.flatnonzero(interior)
    owners = labels.ravel()[pixels]
    order = np.argsort(owners, kind="stable")
    ramp = colormaps[theme.colormap](np.linspace(*theme.ramp, 256))
    return MapLayer(
        size=size,
        theme=theme_name,
        codes=tuple(country.code for country in countries),
        base=base,
        pixels=pixels[order].astype(np.int32),
        bounds=np.searchsorted(owners[order], np.arange(len(paths) + 2)).astype(np.int64),
        marker_labels=np.array([index + 1 for _, _, index in markers], dtype=np.int32),
        discs=_packed(discs),
        rings=_packed(rings),
        ramp=np.asarray(ramp, dtype=np.float64),
    )


def _countries_drawn(
    countries: Sequence[CountryShape], size: tuple[int, int], theme_name: str, axes_box: Box
) -> tuple[Figure, Axes, list[MplPath], np.ndarray, tuple[list[Marker], list[np.ndarray], list[Point]]]:
    """Draw ocean, graticule and every country in the land colour with its border; return the figure, its
    axes, the countries' paths, which country each pixel lies in, and the markers (``_settled``)."""
    theme = THEMES[theme_name]
    scale = map_scale(size, axes_box)
    figure, axes, projection = _figure(size, theme.background, axes_box)
    projection.drawmapboundary(fill_color=theme.ocean, color=theme.border, linewidth=_line(0.8, scale))
    for draw, values in (
        (projection.drawparallels, range(-60, 90, 30)),
        (projection.drawmeridians, range(-180, 180, 30)),
    ):
        draw(list(values), color=theme.grid, linewidth=_line(0.5, scale), dashes=[1, 0], labels=[0, 0, 0, 0])
    paths = [_country_path(projection, country) for country in countries]
    codes = [country.code for country in countries]
    labels = _labels(paths, size, axes_box)
    axes.add_collection(
        PathCollection(paths, facecolors=theme.land, edgecolors=theme.border, linewidths=_line(0.3, scale), zorder=3)
    )
    inside = (labels > 0) & _lands(figure_pixels(figure), theme.land, theme.border)
    return figure, axes, paths, labels, _settled(paths, codes, axes, scale, labels, inside)


def _labels(paths: list[MplPath], size: tuple[int, int], axes_box: Box) -> np.ndarray:
    """Return which country (index + 1, 0 for none) each pixel of the map lies in: each country painted in a
    colour that encodes its index, without antialiasing (the faint dots are not in it: a pixel under one stays
    its country's; San Marino's dot never takes Italy's fill away)."""
    figure, axes, _ = _figure(size, "#000000", axes_box)
    collection = PathCollection(
        paths, facecolors=[_index_colour(index + 1) for index in range(len(paths))], edgecolors="none", zorder=3
    )
    collection.set_antialiased(False)
    axes.add_collection(collection)
    raster = figure_pixels(figure).astype(np.int32)
    labels: np.ndarray = raster[..., 0] + (raster[..., 1] << 8)
    return labels


def _settled(
    paths: list[MplPath], codes: list[str], axes: Axes, scale: float, labels: np.ndarray, inside: np.ndarray
) -> tuple[list[Marker], list[np.ndarray], list[Point]]:
    """Return the markers, where their countries are and where they are drawn: every country too small to see,
    and every country none of whose pixels of plain land (``inside``; ``labels`` says whose) would show
    beside the lit markers round it (Senegal round the Gambia, on a GIF), so that each lit country shows."""
    height, width = labels.shape
    counts = np.bincount(labels[inside], minlength=len(paths) + 1)
    drawn = np.bincount(labels.ravel(), minlength=len(paths) + 1)
    also: set[int] = set()
    while True:
        markers = _markers(paths, codes, axes, scale, also)
        at, places = _places(markers, axes, scale)
        covered = np.zeros(inside.size, dtype=bool)
        for place in places:
            covered[np.concatenate(_disc_and_ring(np.asarray(place), height, width, scale))] = True
        shown = counts - np.bincount(labels.ravel()[covered & inside.ravel()], minlength=len(paths) + 1)
        marked = {codes[index] for _, _, index in markers}
        per_code: dict[str, int] = {}
        for index, code in enumerate(codes):
            if code:
                per_code[code] = per_code.get(code, 0) + int(shown[index + 1])
        hidden = {
            max((index for index, one in enumerate(codes) if one == code), key=lambda index: drawn[index + 1])
            for code, pixels in per_code.items()
            if pixels == 0 and code not in marked
        }
        if not hidden:
            return markers, at, places
        also |= hidden


def _lands(base: np.ndarray, land: str, border: str) -> np.ndarray:
    """Return which pixels show land: the land colour, or nearer it than half way to the border's (a pixel a
    border crosses by less than half stays its country's, so a small map keeps its countries' insides)."""
    distance = np.linalg.norm(base.astype(np.float64) - rgb255(land), axis=2)
    half = 0.5 * float(np.linalg.norm(np.subtract(rgb255(border), rgb255(land), dtype=np.float64)))
    lands: np.ndarray = distance <= half
    return lands


def _fill_under(labels: np.ndarray, land: np.ndarray, around: np.ndarray) -> None:
    """Give the land pixels no country drew around a small country's marker (its own shape, too small to draw,
    cut out of its neighbour: San Marino in Italy) to the country most of the land around it is: lit, the
    neighbour shows no hole there; the small country shows by its marker."""
    unowned = around[land[around] & (labels[around] == 0)]
    owned = labels[around[land[around] & (labels[around] > 0)]]
    if len(unowned) and len(owned):
        labels[unowned] = np.bincount(owned).argmax()


def marker_places(
    countries: Sequence[CountryShape], size: tuple[int, int], axes_box: Box = MAP_AXES, theme: str = "dark"
) -> dict[int, tuple[Point, Point]]:
    """Return, per label of a country with a marker, where it is on a map of ``size`` and where its marker is
    drawn (pixels from the top left): apart from every other lit marker."""
    height = size[1]
    _, _, _, _, (markers, at, places) = _countries_drawn(countries, size, theme, axes_box)
    return {
        index + 1: ((float(one[0]), height - float(one[1])), (place[0], height - place[1]))
        for (_, _, index), one, place in zip(markers, at, places, strict=True)
    }


Point = tuple[float, float]
Marker = tuple[Point, float, int]
"""A marker's centre (data coordinates), its faint dot's radius (the same) and its country's index."""


def _places(markers: list[Marker], axes: Axes, scale: float) -> tuple[list[np.ndarray], list[Point]]:
    """Return where each small country is (display points) and where its marker goes: apart from every other lit
    marker (its disc and ring), a pixel between them."""
    at = [axes.transData.transform(centre) for centre, _, _ in markers]
    return at, spread([(float(x), float(y)) for x, y in at], 2 * sum(lit_marker(scale)) + 1)


def _line(points: float, scale: float) -> float:
    """Return a line's width on a map of ``scale``: scaled with it, but not under 60 % of its width on a
    1280×720 frame, so a small map keeps its borders."""
    return points * max(scale, 0.6)


def _xy(values: np.ndarray) -> tuple[float, float]:
    return float(values[0]), float(values[1])


def _packed(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Return arrays of flat pixel indices as one array and the offsets where each begins (and the last ends)."""
    offsets = np.cumsum([0, *(len(part) for part in parts)]).astype(np.int64)
    values = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, dtype=np.int32)
    return values, offsets


def _figure(size: tuple[int, int], background: str, axes_box: Box) -> tuple[Figure, Axes, Basemap]:
    width, height = size
    # Agg's canvas is inches × dpi cut to whole pixels: 4.56 × 100 is 455.99…, so a millionth of a pixel more.
    figure = Figure(figsize=((width + 1e-6) / 100, (height + 1e-6) / 100), dpi=100, facecolor=background)
    FigureCanvasAgg(figure)
    axes = figure.add_axes(axes_box)
    axes.set_axis_off()
    projection = Basemap(projection="robin", lon_0=0, resolution=None, ax=axes)
    projection.set_axes_limits(ax=axes)
    return figure, axes, projection


def _markers(paths: list[MplPath], codes: list[str], axes: Axes, scale: float, also: set[int]) -> list[Marker]:
    """Return a marker for every country too small to see, and for the countries of index ``also``."""
    to_pixels = axes.transData
    markers = []
    radius_px = max(4.0 * scale, FAINT_MARKER)
    unit = abs(to_pixels.inverted().transform((radius_px, 0))[0] - to_pixels.inverted().transform((0, 0))[0])
    centres = [
        marker_centre(
            _rings(to_pixels.transform(path.vertices), path.codes),
            float("inf") if index in also else MARKER_AREA * scale**2,
        )
        if code
        else None
        for index, (path, code) in enumerate(zip(paths, codes, strict=True))
    ]
    large = {code for code, centre in zip(codes, centres, strict=True) if code and centre is None}
    for index, (centre, code) in enumerate(zip(centres, codes, strict=True)):
        if centre is not None and (code not in large or index in also):
            x, y = to_pixels.inverted().transform(centre)
            markers.append(((float(x), float(y)), unit, index))
    return markers


def figure_pixels(figure: Figure) -> np.ndarray:
    canvas = figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()  # type: ignore[attr-defined]


def _index_colour(index: int) -> tuple[float, float, float]:
    return ((index & 0xFF) / 255, ((index >> 8) & 0xFF) / 255, 0.0)


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


def _disc_and_ring(centre: np.ndarray, height: int, width: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the flat pixel indices of a lit marker's disc and of its ring, around a centre in display points."""
    radius, ring = lit_marker(scale)
    reach = int(np.ceil(radius + ring)) + 1
    cx, cy = float(centre[0]), height - float(centre[1])  # display points count up from the bottom
    xs = np.arange(int(cx) - reach, int(cx) + reach + 1)
    ys = np.arange(int(cy) - reach, int(cy) + reach + 1)
    grid_x, grid_y = np.meshgrid(xs, ys)
    inside = (grid_x >= 0) & (grid_x < width) & (grid_y >= 0) & (grid_y < height)
    distance = np.hypot(grid_x + 0.5 - cx, grid_y + 0.5 - cy)
    flat = grid_y * width + grid_x
    return flat[inside & (distance <= radius)], flat[inside & (distance > radius) & (distance <= radius + ring)]


VIEW_MARKER = (4.5, 0.7)
"""The viewer's lit marker in view box units: its radius and half its ring's width (viewer.js, paintMap)."""


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
    # Markers apart from one another as the viewer draws them lit (VIEW_MARKER), a leader from where each belongs.
    marked = [(shape, point) for shape in shapes if isinstance(point := shape.get("marker"), list)]
    places = spread([(point[0], point[1]) for _, point in marked], 2 * sum(VIEW_MARKER) + 1)
    for (shape, point), place in zip(marked, places, strict=True):
        moved = [round(place[0], 1), round(place[1], 1)]
        if moved != point:
            shape["at"], shape["marker"] = point, moved
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

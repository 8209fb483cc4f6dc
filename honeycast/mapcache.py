"""The map drawn once per size and theme, kept between builds in the user's cache folder.

Drawing the map with matplotlib and Basemap takes most of a small build's time, and its result depends only on
the size, the theme, the country shapes and the code and libraries that draw it. Each entry is named by a digest
of all of those, so an entry made by other shapes, another theme's colours, another version of honeycast's
drawing code or of a library that draws is never found, let alone used. What is read back is checked like any
other input; an entry that does not hold together is drawn again and replaced.

``HONEYCAST_CACHE`` names the folder (default: ``$XDG_CACHE_HOME/honeycast``, ``~/.cache/honeycast``); set to
``off`` it turns the cache off. A cache that cannot be written is no error: the map is drawn and used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from .look import LEAST_MARKER, LIT_MARKER, MAP_AXES, MARKER_AREA, THEMES, Box
from .shapes import data_dir, load_countries

FORMAT = 1
"""The layout of an entry; a change to it makes every older entry unused."""
_DRAWING = ("projection.py", "shapes.py", "look.py", "mapcache.py")
"""The modules whose code decides what is drawn and kept."""
_LIBRARIES = ("matplotlib", "basemap", "pyproj", "numpy")
_SHAPES = ("countries.shp", "countries.shx", "countries.dbf")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MapLayer:
    """The map at one size and theme, without title, legend or caption: what every frame and the poster start from."""

    size: tuple[int, int]
    theme: str
    codes: tuple[str, ...]
    """Every country's code, in the order of the shapes; country ``i`` is label ``i + 1``."""
    base: np.ndarray
    """Height × width × RGB: background, ocean, graticule, countries in the land colour, faint markers."""
    pixels: np.ndarray
    """Flat indices of the pixels that show plain land, grouped by label."""
    bounds: np.ndarray
    """Label ``i`` owns ``pixels[bounds[i]:bounds[i + 1]]``."""
    marker_labels: np.ndarray
    """The labels of countries too small to see, which get a marker."""
    discs: tuple[np.ndarray, np.ndarray]
    """A lit marker's disc, per marker: flat pixel indices and the offsets where each marker's begin."""
    rings: tuple[np.ndarray, np.ndarray]
    """A lit marker's ring, likewise."""
    ramp: np.ndarray
    """256 × RGBA (0–1): the theme's colour scale, lowest count first."""

    def markers(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Return each marker's disc and ring pixels, by label."""
        (disc, disc_at), (ring, ring_at) = self.discs, self.rings
        return {
            int(label): (disc[disc_at[index] : disc_at[index + 1]], ring[ring_at[index] : ring_at[index + 1]])
            for index, label in enumerate(self.marker_labels)
        }


def folder() -> Path | None:
    """Return the cache folder, or None when ``HONEYCAST_CACHE=off``."""
    named = os.environ.get("HONEYCAST_CACHE")
    if named is not None:
        return None if named.strip().lower() in ("", "off", "0", "no") else Path(named)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "honeycast" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "honeycast"


@cache
def _drawn_by() -> str:
    """Return a digest of everything but the size and theme that decides what the map looks like."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    here = Path(__file__).parent
    for name in _DRAWING:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    for name in _SHAPES:
        digest.update(name.encode() + b"\0" + (data_dir() / name).read_bytes())
    for library in _LIBRARIES:
        try:
            found = version(library)
        except PackageNotFoundError:
            found = "-"
        digest.update(f"{library} {found}\n".encode())
    return digest.hexdigest()


def key(kind: str, **values: object) -> str:
    """Return the name of a cache entry: a digest of the drawing code, shapes, libraries and ``values``."""
    text = json.dumps({"kind": kind, "drawn_by": _drawn_by(), **values}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def map_layer(size: tuple[int, int], theme: str, axes: Box = MAP_AXES) -> MapLayer:
    """Return the map at ``size`` and ``theme``, placed at ``axes``: from the cache, or drawn (and kept there)."""
    values = {
        "size": list(size),
        "theme": asdict(THEMES[theme]),
        "axes": axes,
        "marker_area": MARKER_AREA,
        "lit_marker": LIT_MARKER,
        "least_marker": LEAST_MARKER,
    }

    def drawn() -> MapLayer:
        from .projection import draw_layer

        layer: MapLayer = draw_layer(load_countries(), size, theme, axes)
        return layer

    return _kept(key("map", **values) + ".npz", lambda path: _read_layer(path, size, theme), drawn, _save_layer)


def world_outline() -> dict[str, object]:
    """Return the viewer's map (SVG path data in the frames' projection): from the cache, or drawn and kept."""

    def drawn() -> dict[str, object]:
        from .projection import world_outline as outline

        return outline(load_countries())

    def save(outline: dict[str, object], path: Path) -> None:
        path.write_text(json.dumps(outline, sort_keys=True, separators=(",", ":")), encoding="utf-8")

    return _kept(key("world") + ".json", _read_outline, drawn, save)


STALE = 90 * 86400
"""Seconds an entry may go unused before a build that writes a new one removes it (entries of earlier versions
of honeycast or of the libraries that draw are never used again)."""
_ENTRIES = ("map-*.npz", "world-*.json", ".map-*", ".world-*")
"""The names honeycast gives what it keeps in the cache folder (the last two, entries being written)."""


def _kept(entry: str, read: Callable[[Path], T | None], make: Callable[[], T], save: Callable[[T, Path], None]) -> T:
    """Return the cache's ``entry`` if ``read`` finds it whole, else what ``make`` makes, kept there with ``save``."""
    where = folder()
    if where is not None:
        found = read(where / entry)
        if found is not None:
            with suppress(OSError):
                os.utime(where / entry)  # in use: not stale
            return found
    made = make()
    if where is not None:
        _write(where / entry, lambda path: save(made, path))
        _prune(where)
    return made


def _prune(where: Path) -> None:
    """Remove the cache's entries unused for ``STALE`` seconds, and nothing else."""
    oldest = time.time() - STALE
    for pattern in _ENTRIES:
        for path in where.glob(pattern):
            with suppress(OSError):
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime < oldest:
                    path.unlink()


def _write(path: Path, save: Callable[[Path], None]) -> None:
    """Write an entry whole or not at all (written beside it, then renamed); a cache that cannot be written is
    left alone."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
        os.close(handle)
        try:
            save(Path(temporary))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass


_ARRAYS = ("codes", "base", "pixels", "bounds", "marker_labels", "discs", "disc_at", "rings", "ring_at", "ramp")


def _save_layer(layer: MapLayer, path: Path) -> None:
    with path.open("wb") as stream:
        np.savez(
            stream,
            codes=np.array(layer.codes, dtype="<U8"),
            base=layer.base,
            pixels=layer.pixels,
            bounds=layer.bounds,
            marker_labels=layer.marker_labels,
            discs=layer.discs[0],
            disc_at=layer.discs[1],
            rings=layer.rings[0],
            ring_at=layer.rings[1],
            ramp=layer.ramp,
        )


def _read_layer(path: Path, size: tuple[int, int], theme: str) -> MapLayer | None:
    """Return the layer kept at ``path`` if there is one and it holds together, else None."""
    try:
        with np.load(path, allow_pickle=False) as entry:
            if sorted(entry.files) != sorted(_ARRAYS):
                return None
            found = {name: entry[name] for name in _ARRAYS}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):
        return None
    width, height = size
    area = width * height
    base, pixels, bounds, labels = found["base"], found["pixels"], found["bounds"], found["marker_labels"]
    codes = found["codes"]
    countries = len(codes)
    packed = [(found["discs"], found["disc_at"]), (found["rings"], found["ring_at"])]
    fits = (
        codes.dtype.kind == "U"
        and base.dtype == np.uint8
        and base.shape == (height, width, 3)
        and _packed_fits(pixels, bounds, countries + 1, area)  # label 0 (no country) owns none, but has bounds
        and labels.dtype == np.int32
        and labels.ndim == 1
        and (labels.size == 0 or (1 <= labels.min() and labels.max() <= countries))
        and found["ramp"].dtype == np.float64
        and found["ramp"].shape == (256, 4)
        and all(_packed_fits(values, offsets, labels.size, area) for values, offsets in packed)
    )
    if not fits:
        return None
    return MapLayer(
        size=size,
        theme=theme,
        codes=tuple(str(code) for code in codes),
        base=base,
        pixels=pixels,
        bounds=bounds,
        marker_labels=labels,
        discs=packed[0],
        rings=packed[1],
        ramp=found["ramp"],
    )


def _packed_fits(values: np.ndarray, offsets: np.ndarray, count: int, area: int) -> bool:
    """Whether ``count`` runs of flat pixel indices, packed as values and the offsets between runs, fit a map."""
    return (
        values.dtype == np.int32
        and values.ndim == 1
        and (values.size == 0 or (0 <= values.min() and values.max() < area))
        and offsets.dtype == np.int64
        and offsets.shape == (count + 1,)
        and offsets[0] == 0
        and offsets[-1] == values.size
        and bool((np.diff(offsets) >= 0).all())
    )


_PATH_DATA = re.compile(r"[MlLz0-9.,\- e]*")


def _read_outline(path: Path) -> dict[str, object] | None:
    """Return the outline kept at ``path`` if there is one and it is what ``world_outline`` makes, else None."""
    try:
        outline = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(outline, dict) or set(outline) != {"width", "height", "boundary", "graticule", "countries"}:
        return None
    numbers = all(isinstance(outline[name], int | float) for name in ("width", "height"))
    paths = [outline["boundary"], outline["graticule"]]
    countries = outline["countries"]
    if not numbers or not isinstance(countries, list):
        return None
    for country in countries:
        if not isinstance(country, dict) or not {"code", "d"} <= set(country) <= {"code", "d", "marker", "at"}:
            return None
        if not isinstance(country["code"], str) or not re.fullmatch(r"[A-Z]{0,2}", country["code"]):
            return None
        for point in (country.get("marker", [0, 0]), country.get("at", [0, 0])):
            if not (isinstance(point, list) and len(point) == 2 and all(isinstance(v, int | float) for v in point)):
                return None
        paths.append(country["d"])
    if not all(isinstance(one, str) and _PATH_DATA.fullmatch(one) for one in paths):
        return None
    return outline

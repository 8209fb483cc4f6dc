"""Convert Natural Earth 50 m country shapes into honeycast's packaged shapefile.

Inputs are the two npm tarballs, fetched with::

    npm pack world-atlas@2.0.2 world-countries@5.1.0

and the output is ``honeycast/data/countries.{shp,shx,dbf,cpg}`` plus
``honeycast/data/country_names.json``. Run it again only when the source data changes::

    python tools/build_shapes.py world-atlas-2.0.2.tgz world-countries-5.1.0.tgz

world-atlas stores the countries as TopoJSON whose rings were stitched across the
antimeridian (Russia, Fiji and Antarctica jump from +180 to -180 inside one ring).
A planar map needs them cut at ±180 again, which is done here once so that every
reader of the shapefile gets plain lon/lat polygons.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tarfile
from pathlib import Path
from typing import Any, cast

import shapefile  # pyshp

Ring = list[tuple[float, float]]

# Features world-atlas ships without an ISO numeric id, mapped to the code a
# GeoIP database reports for addresses there. None keeps the land grey.
UNNUMBERED = {
    "Somaliland": "SO",
    "Kosovo": "XK",
    "N. Cyprus": "CY",
    "Indian Ocean Ter.": None,
    "Siachen Glacier": None,
}


def read_json_member(tgz: Path, name: str) -> object:
    with tarfile.open(tgz) as archive:
        member = archive.extractfile(f"package/{name}")
        if member is None:
            raise SystemExit(f"{tgz}: no package/{name}")
        return json.load(member)


def decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """Undo TopoJSON's delta encoding and quantisation."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_from(indices: list[int], arcs: list[Ring]) -> Ring:
    ring: Ring = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return ring


def unwrap(ring: Ring) -> Ring:
    """Make longitudes continuous, so a ring crossing ±180 runs past it instead of jumping."""
    out = [ring[0]]
    offset = 0.0
    for (lon0, _), (lon1, lat1) in itertools.pairwise(ring):
        step = lon1 - lon0
        if step > 180:
            offset -= 360
        elif step < -180:
            offset += 360
        out.append((lon1 + offset, lat1))
    return out


def clip(ring: Ring, lon: float, keep_below: bool) -> Ring:
    """Sutherland–Hodgman clip of a ring against the meridian ``lon``."""

    def inside(p: tuple[float, float]) -> bool:
        return p[0] <= lon if keep_below else p[0] >= lon

    out: Ring = []
    for a, b in zip(ring, ring[1:] + ring[:1], strict=False):
        if inside(b):
            if not inside(a):
                out.append(crossing(a, b, lon))
            out.append(b)
        elif inside(a):
            out.append(crossing(a, b, lon))
    return out


def crossing(a: tuple[float, float], b: tuple[float, float], lon: float) -> tuple[float, float]:
    t = (lon - a[0]) / (b[0] - a[0])
    return (lon, a[1] + t * (b[1] - a[1]))


def split_antimeridian(ring: Ring) -> list[Ring]:
    """Return the pieces of a ring that fall inside [-180, 180]."""
    ring = unwrap(ring)
    lons = [lon for lon, _ in ring]
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        if max(lons) + shift <= -180 or min(lons) + shift >= 180:
            continue
        moved = [(lon + shift, lat) for lon, lat in ring]
        moved = clip(clip(moved, 180.0, True), -180.0, False)
        if len(moved) >= 3:
            pieces.append(close(moved))
    return pieces


def close(ring: Ring) -> Ring:
    return ring if ring[0] == ring[-1] else [*ring, ring[0]]


def signed_area(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def oriented(ring: Ring, clockwise: bool) -> Ring:
    return ring if (signed_area(ring) < 0) == clockwise else ring[::-1]


def polygons_of(geometry: dict[str, Any]) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return cast(list[list[list[int]]], geometry["arcs"])
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world_atlas", type=Path, help="world-atlas-2.0.2.tgz")
    parser.add_argument("world_countries", type=Path, help="world-countries-*.tgz")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "honeycast" / "data")
    args = parser.parse_args()

    topology = read_json_member(args.world_atlas, "countries-50m.json")
    countries = read_json_member(args.world_countries, "countries.json")
    assert isinstance(topology, dict) and isinstance(countries, list)
    alpha2 = {c["ccn3"]: c["cca2"] for c in countries if c["ccn3"]}
    names = {c["cca2"]: c["name"]["common"] for c in countries}

    arcs = decode_arcs(topology)
    writer = shapefile.Writer(str(args.out / "countries"), shapeType=shapefile.POLYGON, encoding="utf-8")
    writer.field("ISO_A2", "C", size=2)
    writer.field("NAME", "C", size=60)
    records = 0
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        if name == "Antarctica":
            continue  # no attacks come from there, and it fills a sixth of a world map
        code = alpha2[geometry["id"]] if "id" in geometry else UNNUMBERED[name]
        parts: list[Ring] = []
        for polygon in polygons_of(geometry):
            for index, ring_arcs in enumerate(polygon):
                for piece in split_antimeridian(ring_from(ring_arcs, arcs)):
                    # Shapefile convention: outer rings clockwise, holes counter-clockwise.
                    parts.append(oriented(piece, clockwise=index == 0))
        if not parts:
            continue
        writer.poly([[(round(x, 4), round(y, 4)) for x, y in part] for part in parts])
        writer.record(code or "", names.get(code or "", name))
        records += 1
    writer.close()
    (args.out / "countries.cpg").write_text("UTF-8\n")
    (args.out / "country_names.json").write_text(
        json.dumps(dict(sorted(names.items())), ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
    )
    print(f"wrote {records} country records and {len(names)} names to {args.out}")


if __name__ == "__main__":
    main()

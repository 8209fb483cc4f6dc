"""Write the static site: the viewer from ``site_template/`` and the per-slice JSON."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .geo import GeoDatabaseInfo
from .shapes import NATURAL_EARTH_CREDIT, country_names
from .timeline import Timeline, per_slice_text

SCHEMA_VERSION = 1
TOP = 20
"""How many addresses and user names the day's lists keep."""
SLICE_TOP = 5
"""How many a slice's lists keep."""
FRAME_PATTERN = "frames/{index}.png"
"""Where frame N lives, ``{index}`` being N zero-padded to four digits."""
MARKER = ".honeycast"
"""Present in every folder honeycast writes, so a rebuild knows the folder is its own."""


@dataclass(frozen=True, slots=True)
class SiteMeta:
    title: str
    fps: float
    width: int
    height: int
    geoip: GeoDatabaseInfo
    frames: bool = True
    style: dict[str, object] | None = None
    """Colours, colour ramp and afterglow of the maps, so the viewer draws what the frames show."""


def script(name: str, text: str) -> str:
    """Return JSON as a script that sets ``window.NAME``. Every "<" is escaped, so no string in the data
    (a user name such as ``</script>``) can end the script element; JSON parsers read the escape back."""
    return f"window.{name} = " + text.replace("<", "\\u003c") + ";\n"


def template_dir() -> Path:
    """Return ``site_template/``: packaged inside the wheel, at the top of a source checkout otherwise."""
    packaged = Path(str(resources.files("honeycast") / "site_template"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "site_template"


def slices_document(timeline: Timeline, meta: SiteMeta) -> dict[str, object]:
    """Return the versioned JSON document describing the timeline (see README, "slices.json")."""
    totals = timeline.totals
    probes = timeline.probe_totals
    names = country_names()
    return {
        "version": SCHEMA_VERSION,
        "title": meta.title,
        "slice_seconds": timeline.slice_seconds,
        "per_slice": per_slice_text(timeline.slice_seconds),
        "start": timeline.start.isoformat(),
        "end": timeline.end.isoformat(),
        "timezone": timeline.start.strftime("%Z") or timeline.start.strftime("%z"),
        "attempts": sum(totals.values()),
        "slices": [
            {
                "start": one.start.isoformat(),
                "attempts": one.attempts,
                "counts": one.counts,
                "probes": one.probes,
                "addresses": {country: len(addresses) for country, addresses in one.attackers.items()},
                "top_sources": _top(one.sources, SLICE_TOP),
                "top_users": _top(one.users, SLICE_TOP),
            }
            for one in timeline.slices
        ],
        "totals": dict(totals),
        "probes": dict(probes),
        "countries": {code: names.get(code, code) for code in totals.keys() | probes.keys()},
        "events": dict(timeline.events),
        "addresses": timeline.addresses,
        "frames": {
            "pattern": FRAME_PATTERN,
            "count": len(timeline.slices) if meta.frames else 0,
            "width": meta.width,
            "height": meta.height,
        },
        "poster": "poster.png",
        "summary": "summary.png",
        "video": "timelapse.mp4",
        "fps": meta.fps,
        "geoip": {
            "database": meta.geoip.database_type,
            "built": meta.geoip.built.date().isoformat(),
            "credit": meta.geoip.credit,
        },
        "attackers": timeline.attackers,
        "top_sources": [
            [address, timeline.countries.get(address, ""), count] for address, count in _top(timeline.sources, TOP)
        ],
        "top_users": _top(timeline.users, TOP),
        "logins": dict(Counter(login.country for login in timeline.logins)),
        "accepted": [
            {"time": login.time.isoformat(), "address": login.address, "country": login.country, "user": login.user}
            for login in timeline.logins
            if login.address
        ],
        "compromises": [
            {
                "time": one.time.isoformat(),
                "address": one.address,
                "country": one.country,
                "user": one.user,
                "failures": one.failures,
            }
            for one in timeline.compromises
        ],
        "style": meta.style or {},
        "credits": [
            NATURAL_EARTH_CREDIT + " (public domain), via world-atlas",
            f"{meta.geoip.credit} (data of {meta.geoip.built.date().isoformat()})",
        ],
    }


def _top(counts: dict[str, int], size: int) -> list[list[Any]]:
    """Return the largest counts, ties in name order: the same for every order events were counted in."""
    return [[key, value] for key, value in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]]


def dump_json(document: object) -> str:
    """Serialise deterministically: the same timeline always gives the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_PLACEHOLDER = re.compile(r"\{\{ (title|width|height|mode) \}\}")


def _filled(page: str, values: dict[str, str]) -> str:
    """Fill the template's placeholders in one pass, so that text put in (a title) is never read as one."""
    return _PLACEHOLDER.sub(lambda found: html.escape(values[found[1]]), page)


def write_site(out: Path, document: dict[str, object], meta: SiteMeta, world: dict[str, object]) -> None:
    """Copy the viewer into ``out`` (full page and embed view) and write the data it shows."""
    template = template_dir()
    shutil.copytree(template / "assets", out / "assets", dirs_exist_ok=True)
    page = (template / "index.html").read_text(encoding="utf-8")
    values = {"title": meta.title, "width": str(meta.width), "height": str(meta.height)}
    for name, mode in (("index.html", "full"), ("embed.html", "embed")):
        (out / name).write_text(_filled(page, {**values, "mode": mode}), encoding="utf-8")
    data = out / "data"
    data.mkdir(exist_ok=True)
    text = dump_json(document)
    (data / "slices.json").write_text(text + "\n", encoding="utf-8")
    # Scripts, not fetches, so the page also works opened from disk.
    (data / "slices.js").write_text(script("HONEYCAST_DATA", text), encoding="utf-8")
    (out / "assets" / "world.js").write_text(script("HONEYCAST_WORLD", dump_json(world)), encoding="utf-8")
    (out / ".nojekyll").write_text("")
    (out / MARKER).write_text("This folder was written by honeycast; a rebuild replaces it.\n")

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

import orjson

from .geo import GeoDatabaseInfo
from .networks import NetworkDatabaseInfo
from .shapes import NATURAL_EARTH_CREDIT, country_names
from .slicing import day_text, per_slice_text
from .sums import top_counts
from .timeline import Timeline

SCHEMA_VERSION = 2
TOP = 20
"""How many addresses and user names the day's lists keep."""
SLICE_TOP = 5
"""How many a slice's lists keep."""
FRAME_PATTERN = "frames/{index}.png"
"""Where frame N lives, ``{index}`` being N zero-padded to four digits."""
MARKER = ".honeycast"
"""Present in every folder honeycast writes, so a rebuild knows the folder is its own."""


EMBED_SIZE = (640, 420)
"""The size the embed view is made for, and the one the printed iframe asks for."""


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
    base_url: str | None = None
    """Where the site will be published (``https://…/``): absolute links, link previews and oEmbed."""
    gif: bool = False
    webm: bool = False
    networks: NetworkDatabaseInfo | None = None
    """The network (ASN) database the build used."""
    defences: dict[str, object] | None = None
    """What the bans among the logs did (``defences.defences_document``), or None without any."""


def iframe(prefix: str, title: str) -> str:
    """Return the iframe that embeds the site published at ``prefix`` (a URL or a relative folder, ending in /)."""
    width, height = EMBED_SIZE
    return (
        f'<iframe src="{html.escape(prefix + "embed.html", quote=True)}" width="{width}" height="{height}" '
        f'style="border:0" loading="lazy" title="{html.escape(title, quote=True)}"></iframe>'
    )


def _markdown_text(text: str) -> str:
    return re.sub(r"([\\\[\]()*_`<>])", r"\\\1", text)


def _wiki_text(text: str) -> str:
    return text.replace("[", "&#91;").replace("]", "&#93;").replace("|", "&#124;")


def snippets(prefix: str, title: str, gif: bool) -> list[tuple[str, str]]:
    """Return what to paste where the site is to be shown: (where, what), for the site published at ``prefix``."""
    name, wiki = _markdown_text(title), _wiki_text(title)
    found = [
        ("iframe (Confluence, Notion, BookStack, MkDocs, Docusaurus)", iframe(prefix, title)),
        ("Markdown, the poster linking to the viewer (GitHub, Gitea)", f"[![{name}]({prefix}poster.png)]({prefix})"),
        ("GitLab Markdown, the time-lapse playing in place", f"![{name}]({prefix}timelapse.mp4)"),
    ]
    if prefix.startswith(("http://", "https://")):  # MediaWiki links only to absolute addresses
        found.append(("MediaWiki link", f"[{prefix} {wiki}]"))
        if gif:
            found.append(("MediaWiki, after uploading timelapse.gif", f"[[File:timelapse.gif|{wiki}|link={prefix}]]"))
    return found


def head_tags(meta: SiteMeta, description: str) -> str:
    """Return link-preview tags (Open Graph, Twitter card, oEmbed discovery) for a site with a base URL."""
    base = meta.base_url
    if base is None:
        return ""
    tags = [
        ("link", {"rel": "canonical", "href": base}),
        ("meta", {"property": "og:type", "content": "website"}),
        ("meta", {"property": "og:title", "content": meta.title}),
        ("meta", {"property": "og:description", "content": description}),
        ("meta", {"property": "og:url", "content": base}),
        ("meta", {"property": "og:image", "content": base + "poster.png"}),
        ("meta", {"property": "og:image:width", "content": str(meta.width)}),
        ("meta", {"property": "og:image:height", "content": str(meta.height)}),
        ("meta", {"property": "og:image:alt", "content": "World map of failed SSH login attempts by country"}),
        ("meta", {"name": "twitter:card", "content": "summary_large_image"}),
        ("link", {"rel": "alternate", "type": "application/json+oembed", "href": base + "oembed.json"}),
    ]
    return "\n".join(
        f"<{tag} " + " ".join(f'{key}="{html.escape(value, quote=True)}"' for key, value in attributes.items()) + ">"
        for tag, attributes in tags
    )


def oembed_document(meta: SiteMeta) -> dict[str, object]:
    """Return the oEmbed answer for the site (https://oembed.com, type rich): the iframe, sized."""
    assert meta.base_url is not None
    width, height = EMBED_SIZE
    return {
        "version": "1.0",
        "type": "rich",
        "provider_name": "honeycast",
        "title": meta.title,
        "html": iframe(meta.base_url, meta.title),
        "width": width,
        "height": height,
        "thumbnail_url": meta.base_url + "poster.png",
        "thumbnail_width": meta.width,
        "thumbnail_height": meta.height,
    }


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
        "period": timeline.period,
        "end": timeline.end.isoformat(),
        "timezone": timeline.start.strftime("%Z") or timeline.start.strftime("%z"),
        "zone_names": {one.start.isoformat()[19:]: one.start.strftime("%Z") for one in timeline.slices},
        "attempts": sum(totals.values()),
        "slices": [
            {
                "start": one.start.isoformat(),
                "attempts": one.attempts,
                "counts": one.counts,
                "probes": one.probes,
                "addresses": one.addresses,
                "top_sources": top_counts(one.sources, SLICE_TOP),
                "top_users": top_counts(one.users, SLICE_TOP),
                "networks": one.networks,
                "network_addresses": one.network_addresses,
                **({"hosts": _by_host(one.hosts, one.host_probes)} if len(timeline.hosts) > 1 else {}),
            }
            for one in timeline.slices
        ],
        "hosts": list(timeline.hosts),
        "history": "data/history/index.json",
        "totals": dict(totals),
        "probes": dict(probes),
        "countries": {code: names.get(code, code) for code in sorted(names.keys() | totals.keys() | probes.keys())},
        "events": dict(timeline.events),
        "addresses": timeline.distinct_addresses,
        "frames": {
            "pattern": FRAME_PATTERN,
            "count": len(timeline.slices) if meta.frames else 0,
            "width": meta.width,
            "height": meta.height,
        },
        "poster": "poster.png",
        "summary": "summary.png",
        "video": "timelapse.mp4",
        "gif": "timelapse.gif" if meta.gif else None,
        "webm": "timelapse.webm" if meta.webm else None,
        "fps": meta.fps,
        "geoip": {
            "database": meta.geoip.database_type,
            "built": meta.geoip.built.date().isoformat(),
            "credit": meta.geoip.credit,
        },
        "attackers": timeline.attackers,
        "top_sources": [
            [address, timeline.country_of.get(address, ""), count] for address, count in timeline.top_sources(TOP)
        ],
        "top_users": top_counts(timeline.users, TOP),
        "network_names": timeline.network_names,
        "network_totals": dict(sorted(timeline.network_totals.items())),
        "network_attackers": timeline.network_attackers,
        "top_networks": [
            [key, timeline.network_names.get(key, ""), count, timeline.network_attackers.get(key, 0)]
            for key, count in top_counts(timeline.network_totals, TOP)
        ],
        "defences": meta.defences,
        "network_db": None
        if meta.networks is None
        else {
            "database": meta.networks.database_type,
            "built": meta.networks.built.date().isoformat(),
            "credit": meta.networks.credit,
        },
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
            f"{meta.geoip.credit} (data of {day_text(meta.geoip.built)})",
            *([] if meta.networks is None else [f"{meta.networks.credit} (data of {day_text(meta.networks.built)})"]),
        ],
    }


def _by_host(counts: dict[str, dict[str, int]], probes: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """Return a slice's attempts and probes per country, per host."""
    return {
        name: {"counts": counts.get(name, {}), "probes": probes.get(name, {})} for name in sorted({*counts, *probes})
    }


def dump_json(document: object) -> str:
    """Serialise deterministically: the same timeline always gives the same bytes (keys sorted, no spaces, text
    as it is). orjson writes what ``json.dumps`` writes, five to ten times as fast (but for a float under 1e-4,
    ``1e-5`` where json writes ``1e-05``: no document holds one); where it refuses a value (a key that is not text,
    an integer beyond 64 bits, a lone surrogate), ``json.dumps`` writes the document."""
    try:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_PLACEHOLDER = re.compile(r"\{\{ (title|width|height|mode|head|theme) \}\}")
_MARKUP = frozenset({"head"})
"""Placeholders filled with markup made here (every value in it escaped); all others are escaped text."""


def _filled(page: str, values: dict[str, str]) -> str:
    """Fill the template's placeholders in one pass, so that text put in (a title) is never read as one."""

    def value(found: re.Match[str]) -> str:
        text = values[found[1]]
        return text if found[1] in _MARKUP else html.escape(text)

    return _PLACEHOLDER.sub(value, page)


def write_site(out: Path, document: dict[str, object], meta: SiteMeta, world: dict[str, object]) -> None:
    """Copy the viewer into ``out`` (full page and embed view) and write the data it shows."""
    template = template_dir()
    shutil.copytree(template / "assets", out / "assets", dirs_exist_ok=True)
    page = (template / "index.html").read_text(encoding="utf-8")
    description = f"{document['attempts']:,} failed SSH logins by country, {document['period']}"
    values = {
        "title": meta.title,
        "width": str(meta.width),
        "height": str(meta.height),
        "head": head_tags(meta, description),
        "theme": str((meta.style or {}).get("theme", "dark")),
    }
    for name, mode in (("index.html", "full"), ("embed.html", "embed")):
        (out / name).write_text(_filled(page, {**values, "mode": mode}), encoding="utf-8")
    if meta.base_url is not None:
        (out / "oembed.json").write_text(dump_json(oembed_document(meta)) + "\n", encoding="utf-8")
    data = out / "data"
    data.mkdir(exist_ok=True)
    text = dump_json(document)
    (data / "slices.json").write_text(text + "\n", encoding="utf-8")
    # Scripts, not fetches, so the page also works opened from disk.
    (data / "slices.js").write_text(script("HONEYCAST_DATA", text), encoding="utf-8")
    (out / "assets" / "world.js").write_text(script("HONEYCAST_WORLD", dump_json(world)), encoding="utf-8")
    (out / ".nojekyll").write_text("")
    (out / MARKER).write_text("This folder was written by honeycast; a rebuild replaces it.\n")

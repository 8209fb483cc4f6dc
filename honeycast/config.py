"""The commands' options, parsed and checked into the typed options the core takes, before anything runs.

Every refusal here is a ``UsageError`` (exit 2) naming the option; nothing here imports the renderer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .build import BuildOptions
from .errors import UsageError
from .look import MAX_SIZE, ThemeName
from .privacy import Privacy
from .scan import ReadOptions
from .slicing import parse_slice
from .sources import expand


@dataclass(frozen=True, slots=True)
class BuildArguments:
    """``honeycast build`` as typed on the command line: each option's value before it is checked."""

    paths: list[str]
    slice: str
    geoip_db: Path | None
    asn_db: Path | None
    year: int | None
    tz: str | None
    title: str
    size: str
    theme: ThemeName
    afterglow: int
    fps: float | None
    frames: bool
    gif: bool
    webm: bool
    publish_accepted: bool
    show_all_users: bool
    anonymize_ips: bool
    show_internal: bool
    show_hosts: bool
    host: list[str]
    dask: str | None
    append: bool
    force: bool
    base_url: str | None


def build_options(given: BuildArguments) -> BuildOptions:
    """Return the options of a build, each checked."""
    if len(given.paths) < 2:
        raise UsageError("give at least one LOG and the OUT folder, e.g. honeycast build auth.log site/")
    *logs, out = given.paths
    read = read_options(logs, geoip_db=given.geoip_db, asn_db=given.asn_db, year=given.year, tz=given.tz)
    every, each = parse_hosts(given.host)
    return BuildOptions(
        read=replace(read, host=every, hosts=each, dask=given.dask or None),
        out=Path(out),
        slice_seconds=option(parse_slice, given.slice),
        title=given.title,
        size=parse_size(given.size),
        fps=given.fps,
        theme=str(given.theme),
        afterglow=given.afterglow,
        frames=given.frames,
        gif=given.gif,
        webm=given.webm,
        force=given.force,
        privacy=Privacy(
            publish_accepted=given.publish_accepted,
            show_all_users=given.show_all_users,
            anonymize_ips=given.anonymize_ips,
            show_internal=given.show_internal,
            show_hosts=given.show_hosts,
        ),
        append=given.append,
        base_url=parse_base_url(given.base_url),
    )  # fmt: skip


def read_options(
    logs: list[str], *, geoip_db: Path | None, asn_db: Path | None, year: int | None, tz: str | None
) -> ReadOptions:
    """Return what reading the logs needs, checked: the year and the zone."""
    return ReadOptions(logs=logs, year=parse_year(year), tz=zone(tz), geoip_db=geoip_db, asn_db=asn_db)


def zone(name: str | None) -> tzinfo:
    """Return the zone named on the command line, or this machine's."""
    if name is None:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz {name!r}: unknown time zone (use a name such as UTC or Europe/Berlin)") from None


def local_zone() -> tzinfo:
    """Return this machine's zone with its daylight-saving rules ($TZ, else /etc/localtime)."""
    try:
        if os.environ.get("TZ"):
            return ZoneInfo(os.environ["TZ"].lstrip(":"))
        with open("/etc/localtime", "rb") as stream:
            return ZoneInfo.from_file(stream, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        local = datetime.now().astimezone().tzinfo  # a fixed offset: right for today at least
        assert local is not None
        return local


def parse_year(year: int | None) -> int | None:
    """Return ``--year`` checked: a year a date can have (1 to 9999), or None when it was not given."""
    if year is not None and not 1 <= year <= 9999:
        raise UsageError(f"--year {year}: expected a year from 1 to 9999")
    return year


def option(parse: Callable[[str], int], text: str) -> int:
    """Return an option's value as ``parse`` reads it; what it refuses is a usage error (exit 2)."""
    try:
        return parse(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def parse_base_url(text: str | None) -> str | None:
    """Return ``--base-url`` as an absolute http(s) URL of a folder (ending in /), or None when not given."""
    if text is None:
        return None
    found = urlsplit(text.strip())
    if found.scheme not in ("http", "https") or not found.netloc or found.query or found.fragment:
        raise UsageError(
            f"--base-url {text!r}: expected the address the site will have, e.g. https://example.org/site/"
        )
    return found.geturl().rstrip("/") + "/"


def parse_size(text: str) -> tuple[int, int]:
    """Return (width, height) from ``1280x720``: even numbers (the video needs them) up to 3840×2160."""
    found = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", text.lower())
    if found is None:
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT such as 1280x720")
    width, height = int(found[1]), int(found[2])
    if not (320 <= width <= MAX_SIZE[0] and 180 <= height <= MAX_SIZE[1]) or width % 2 or height % 2:
        raise UsageError(f"--size {text!r}: width and height must be even, from 320x180 up to 3840x2160")
    return width, height


def parse_hosts(values: list[str]) -> tuple[str | None, dict[str, str]]:
    """Return ``--host`` values: the NAME for every log, and per log the NAME given as NAME=LOG."""
    every: str | None = None
    each: dict[str, str] = {}
    for value in values:
        name, given, pattern = value.partition("=")
        if not name.strip() or (given and not pattern):
            raise UsageError(f"--host {value!r}: expected NAME, or NAME=LOG")
        if given:
            each.update(dict.fromkeys(expand([pattern]), name))
        elif every is not None and every != name:
            raise UsageError("--host: one NAME for every log, and NAME=LOG for each other log")
        else:
            every = name
    return every, each

"""The slices a build ended in, kept in the site's history (``tail.json``) with who was counted in them, by digest.

A night's build usually ends within a slice the next night's build adds to. Attempts and probes add up across
the two builds as they are; a slice's distinct addresses and its top lists do not: an address counted by both
builds is one address, and an address sixth in the first build's part may lead the slice once the second adds
its attempts. So a build keeps, for the slices the next build may add to, every address counted there (by
digest, with its country) and the attempts of every source and user name as published (by digest of what is
shown), and the next build adds to those slices exactly as one build of both nights' lines would.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from . import schema
from .site import SLICE_TOP
from .slicing import slice_key
from .spans import Span
from .sums import top_counts
from .tally import Tally, digest

REACH = timedelta(days=1)
"""Hosts whose lines ended longer than this before the newest host's are taken to be done: their last slices
are not kept."""
MAX_MEMBERS = 1_000_000
"""The most entries a kept slice holds in each of its maps; a slice with more is not kept (its distinct addresses
and top lists then add up across builds, as they did before tails were kept)."""


@dataclass(slots=True)
class Tail:
    """Who was counted in one slice a build ended in."""

    addresses: dict[str, str] = field(default_factory=dict)
    """Digest of each address that made an attempt or a probe → its country (or bucket). Not the owner's, nor
    the addresses the history keeps no digest of (``history.kept_address``): those add up across builds."""
    sources: dict[str, int] = field(default_factory=dict)
    """Digest of each source as published (an address, a bucket, a truncated address) → its attempts."""
    users: dict[str, int] = field(default_factory=dict)
    """Digest of each user name as published → its attempts."""


def first_kept(covered: Iterable[list[Span]], slice_seconds: int, tz: tzinfo) -> datetime | None:
    """Return the start (an instant) of the first slice a later build may add to: the slice of the last line of
    the host that ended first, among the hosts whose lines ended within ``REACH`` of the newest."""
    ends = [max(one.last for one in spans) for spans in covered if spans]
    if not ends:
        return None
    newest = max(ends)
    return slice_key(min(end for end in ends if newest - end <= REACH), slice_seconds, tz)


@dataclass(frozen=True, slots=True)
class Members:
    """The addresses counted in a slice that a tail keeps, by digest: each one's country, and its network."""

    addresses: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)


Locate = Callable[[list[str], list[str]], list[str]]
"""The networks of addresses, given their countries (``networks.Networks.networks``)."""


def members(tally: Tally, shown: Callable[[str], bool], locate: Locate | None = None) -> Callable[[datetime], Members]:
    """Return, for a slice's start, the addresses counted in it that a tail keeps (``Members``); each slice's once
    (a slice both ended the build before and ends this one is asked twice)."""

    @functools.cache
    def of(start: datetime) -> Members:
        part = tally.slices.get(start)
        if part is None:
            return Members()
        country = tally.country_of
        kept = [one for one in part.sources.keys() | part.probes.keys() if shown(one)]
        digests = [digest(one) for one in kept]
        countries = [country[one] for one in kept]
        networks = dict(zip(digests, locate(kept, countries), strict=True)) if locate is not None else {}
        return Members(dict(zip(digests, countries, strict=True)), networks)

    return of


def new_addresses(counted: dict[str, int], found: dict[str, str], before: Tail) -> dict[str, int]:
    """Return a slice's distinct addresses per country or network (``counted``) less those an earlier build counted
    in it (``found``: the slice's addresses by digest → country or network, as ``members`` gives them)."""
    again = Counter(country for key, country in found.items() if key in before.addresses)
    return {place: number - again[place] for place, number in counted.items() if number > again[place]}


def top_with(top: list[list[Any]], more: dict[str, int], before: dict[str, int]) -> list[list[Any]]:
    """Return the top of a slice an earlier build kept a tail of: its kept top list plus ``more``, each name of
    ``more`` with the attempts the earlier build counted for it (``before``, by digest)."""
    kept = {key: value for key, value in top}
    totals = dict(kept)
    for key, value in more.items():
        totals[key] = kept.get(key, before.get(digest(key), 0)) + value
    return top_counts(totals, SLICE_TOP)


def grown(tail: Tail | None, found: dict[str, str], sources: dict[str, int], users: dict[str, int]) -> Tail | None:
    """Return a slice's tail with what a build counted in it added, or None if it grew past ``MAX_MEMBERS``."""
    tail = tail or Tail()
    tail.addresses.update(found)
    for kept, more in ((tail.sources, sources), (tail.users, users)):
        for key, value in more.items():
            name = digest(key)
            kept[name] = kept.get(name, 0) + value
    if max(len(tail.addresses), len(tail.sources), len(tail.users)) > MAX_MEMBERS:
        return None
    return tail


def record(tail: Tail) -> dict[str, Any]:
    """Return a tail as ``tail.json`` keeps it."""
    return {"addresses": tail.addresses, "sources": tail.sources, "users": tail.users}


def checked(document: dict[str, Any]) -> dict[str, Tail]:
    """Return the tails ``tail.json`` keeps, checked field by field (``schema.Invalid`` naming the first that is not
    what honeycast writes)."""
    tails = {}
    for key, value in document.items():
        where = schema.at("", schema.text(key, "(a key)"))
        schema.moment(key, where)
        entry = schema.mapping(value, where)
        maps = {}
        for name in ("addresses", "sources", "users"):
            found = schema.mapping(schema.field(entry, name, f"{where}."), f"{where}.{name}")
            if len(found) > MAX_MEMBERS:
                raise schema.Invalid(
                    f"{where}.{name}", f"expected at most {MAX_MEMBERS:,} entries, found {len(found):,}"
                )
            for one in found:
                schema.matching(one, f"{where}.{name}", schema.DIGEST, "digests (16 hexadecimal digits) as keys")
            maps[name] = found
        tails[key] = Tail(
            {key: schema.text(one, f"{where}.addresses.{key}") for key, one in maps["addresses"].items()},
            schema.counts(maps["sources"], f"{where}.sources"),
            schema.counts(maps["users"], f"{where}.users"),
        )
    return tails

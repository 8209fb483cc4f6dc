"""Sums over counts by address: running sums slice by slice, for the failures before each login
(``Tally.count_logins``), and a slice's counts by country (``timeline``).

In C where the scanner is built (``_scan/sums.c``): a day of one connection a line holds millions of (slice,
address) counts, and Python reads each at about a tenth of a microsecond. ``reference`` and
``by_country_reference`` are the same sums in Python, used where the scanner is not built; tests hold each pair
to one answer.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import chain, compress
from typing import Any

Slices = Sequence[Sequence[Mapping[str, int]]]
"""Each slice's counts, in slice order: a ``{address: count}`` per host (for the scanner: lists of dictionaries)."""
Ask = tuple[int, int]
"""(position, column): the sum of the column's address's counts in the slices before ``position``."""


def reference(slices: Slices, columns: dict[str, int], asks: list[Ask]) -> list[int]:
    """Return, for each ask (by position), its column's counts summed over the slices before its position."""
    running = [0] * len(columns)
    answers: list[int] = []
    asked = iter(asks)
    ask = next(asked, None)
    last = 0
    for position in range(len(slices) + 1):
        while ask is not None and (ask[0] <= position or position == len(slices)):
            if ask[0] < last or not 0 <= ask[1] < len(columns):
                raise ValueError("asks are (position, column) by position, of the columns given")
            last = ask[0]
            answers.append(running[ask[1]])
            ask = next(asked, None)
        if position < len(slices):
            for counts in slices[position]:
                for address in columns.keys() & counts.keys():
                    running[columns[address]] += counts[address]
    return answers


Places = tuple[dict[str, int], dict[str, int], dict[str, int]]
"""Attempts, probes and distinct addresses per country (or bucket)."""


def by_country_reference(
    sources: Mapping[str, int], probes: Mapping[str, int], country_of: Mapping[str, str]
) -> Places:
    """Return a slice's attempts (``sources`` summed by each address's country), probes (likewise) and how many
    distinct addresses made either, per country."""
    attempts: dict[str, int] = {}
    probed: dict[str, int] = {}
    addresses: dict[str, int] = {}
    for address, count in sources.items():
        place = country_of[address]
        attempts[place] = attempts.get(place, 0) + count
        addresses[place] = addresses.get(place, 0) + 1
    for address, count in probes.items():
        place = country_of[address]
        probed[place] = probed.get(place, 0) + count
        if address not in sources:
            addresses[place] = addresses.get(place, 0) + 1
    return attempts, probed, addresses


def added_reference(parts: Iterable[Mapping[str, int]]) -> Counter[str]:
    """Return counts added up, key by key."""
    total: Counter[str] = Counter()
    for part in parts:
        total.update(part)
    return total


def top_reference(counts: Mapping[str, int], size: int) -> list[list[Any]]:
    """Return the ``size`` largest counts as [key, value] lists, ties in name order: the same for every order
    events were counted in."""
    if len(counts) > 4 * size:  # only counts as large as the size-th largest can be among them
        least = heapq.nlargest(size, counts.values())[-1] if size > 0 else 0
        counts = dict(compress(counts.items(), map(least.__le__, counts.values())))  # value >= least, in C
    return [[key, value] for key, value in sorted(counts.items(), key=_largest_first)[: max(size, 0)]]


def _largest_first(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _native() -> (
    tuple[
        Callable[..., list[int]],
        Callable[..., tuple[Places, ...]],
        Callable[..., None],
        Callable[[dict[str, int], int], list[list[Any]]],
    ]
    | None
):
    try:
        from ._scan import add_into, by_country, running_counts, top
    except ImportError:
        return None
    return running_counts, by_country, add_into, top


_NATIVE = _native()


def by_country(sources: Mapping[str, int], probes: Mapping[str, int], *maps: Mapping[str, str]) -> tuple[Places, ...]:
    """Return, for each map from address to place (a country, a network), a slice's attempts, probes and distinct
    addresses per place (``by_country_reference``): each address looked at once for all of them (in C where the
    scanner is built)."""
    if _NATIVE is None:
        return tuple(by_country_reference(sources, probes, place_of) for place_of in maps)
    return _NATIVE[1](sources, probes, maps)


def top_counts(counts: Mapping[str, int], size: int) -> list[list[Any]]:
    """Return the ``size`` largest counts as [key, value] lists, ties in name order (``top_reference``): in C where
    the scanner is built, from a heap of ``size`` (a slice's thousands of addresses are never sorted)."""
    if _NATIVE is None or not isinstance(counts, dict):
        return top_reference(counts, size)
    return _NATIVE[3](counts, size)


def running_counts(slices: Slices, columns: dict[str, int], asks: list[Ask]) -> list[int]:
    """Return, for each ask (by position), its column's counts summed over the slices before its position."""
    return reference(slices, columns, asks) if _NATIVE is None else _NATIVE[0](slices, columns, asks)


def add_to(total: dict[str, int], more: dict[str, int]) -> None:
    """Add ``more`` into ``total``, key by key (in C where the scanner is built)."""
    if _NATIVE is None:
        for key, value in more.items():
            total[key] = total.get(key, 0) + value
    else:
        _NATIVE[2](total, [more])


def added(parts: Iterable[Mapping[str, int]]) -> Counter[str]:
    """Return counts added up, key by key (``added_reference``)."""
    if _NATIVE is None:
        return added_reference(parts)
    total: Counter[str] = Counter()
    _NATIVE[2](total, list(parts))
    return total


def top_of_added(
    parts: Sequence[Mapping[str, int]],
    size: int,
    small: int = 100_000,
    hashing: Callable[[str], int] = hash,
    distinct: int | None = None,
) -> list[tuple[str, int]]:
    """Return the ``size`` largest of the counts ``parts`` add up to, ties in name order (as ``site.top_counts``
    gives them), without adding every key up: millions of addresses of one slice each need no second map.
    Where the parts hold at most ``distinct`` keys, and those are below ``small``, they are added up in one
    map (a day of a few thousand addresses, each in every slice: a twentieth of the sorting's time).

    Keys are grouped by their hash in arrays; a group's total bounds each of its keys' (only a collision puts two
    keys in one group). Groups above the ``size``-th largest total are added up key by key; of the keys at that
    total, the least names are taken. Where fewer than ``size`` keys are at or above it (fewer keys than asked for,
    or collisions), every key is added up after all, as it is below ``small`` keys in all (``hashing``: for tests).
    """
    parts = [part for part in parts if part]
    total = sum(len(part) for part in parts)
    if size <= 0:
        return []
    if len(parts) < 2 or total <= small or (distinct is not None and distinct <= small):
        return _largest(added(parts) if len(parts) != 1 else parts[0], size)
    import numpy as np

    hashed = np.fromiter(map(hashing, chain.from_iterable(parts)), np.int64, total)
    order = np.argsort(hashed, kind="stable")
    hashed = hashed[order]
    values = np.fromiter(chain.from_iterable(part.values() for part in parts), np.int64, total)[order]
    starts = np.flatnonzero(np.concatenate(([True], hashed[1:] != hashed[:-1])))
    del hashed
    sums = np.add.reduceat(values, starts)
    least = int(np.partition(sums, len(sums) - size)[len(sums) - size]) if len(sums) > size else int(sums.min())
    ends = np.append(starts[1:], total)
    chosen = np.flatnonzero(sums >= least).tolist()
    keys = list(chain.from_iterable(parts))
    exact: dict[str, int] = {}
    tied: list[str] = []
    for group in chosen:
        members = order[starts[group] : ends[group]].tolist()
        if sums[group] == least and all(keys[index] == keys[members[0]] for index in members):
            tied.append(keys[members[0]])  # one key: its total is the group's
            continue
        for index, value in zip(members, values[starts[group] : ends[group]].tolist(), strict=True):
            exact[keys[index]] = exact.get(keys[index], 0) + value
    tied += [key for key, value in exact.items() if value == least]
    above = {key: value for key, value in exact.items() if value > least}
    if len(above) + len(tied) < size:  # fewer keys than asked for, or collisions made the bound too loose
        return _largest(added(parts), size)
    found = _largest(above, size)
    return found + [(key, least) for key in heapq.nsmallest(size - len(found), tied)]


def missing(
    keys: Collection[str], parts: Sequence[Collection[str]], small: int = 100_000, hashing: Callable[[str], int] = hash
) -> set[str]:
    """Return the ``keys`` in none of ``parts``, every key of which is one of ``keys``, without a set of every key
    the parts hold: millions of addresses need no second map to find the few that were never counted.

    Keys are compared by hash in sorted arrays. That is exact where no two of ``keys`` share a hash: a part's key of
    a key's hash is then that key. Where two do (or below ``small`` keys), the parts' keys are gathered into a set
    after all (``hashing``: for tests).
    """
    total = sum(len(part) for part in parts)
    if len(keys) <= small:
        return _missing(keys, parts)
    import numpy as np

    hashed = np.fromiter(map(hashing, keys), np.int64, len(keys))
    ordered = np.sort(hashed)
    if bool((ordered[1:] == ordered[:-1]).any()):
        return _missing(keys, parts)
    del ordered
    if not total:
        return set(keys)
    counted = np.fromiter(map(hashing, chain.from_iterable(parts)), np.int64, total)
    counted.sort()
    absent = np.empty(len(hashed), np.bool_)
    step = 1 << 18  # a block of places at a time: two arrays of them are 4 MB, not 32 for 2 M keys
    for start in range(0, len(hashed), step):
        block = hashed[start : start + step]
        at = np.searchsorted(counted, block)
        np.minimum(at, total - 1, out=at)
        np.not_equal(counted[at], block, out=absent[start : start + step])
    return set(compress(keys, absent.tolist()))


def _missing(keys: Collection[str], parts: Sequence[Collection[str]]) -> set[str]:
    found = set(chain.from_iterable(parts))
    return {key for key in keys if key not in found}


def _largest(counts: Mapping[str, int], size: int) -> list[tuple[str, int]]:
    return [(key, value) for key, value in top_counts(counts, size)]

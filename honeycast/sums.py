"""Sums over counts by address: running sums slice by slice, for the failures before each login
(``Tally.count_logins``), and a slice's counts by country (``timeline``).

In C where the scanner is built (``_scan/sums.c``): a day of one connection a line holds millions of (slice,
address) counts, and Python reads each at about a tenth of a microsecond. ``reference`` and
``by_country_reference`` are the same sums in Python, used where the scanner is not built; tests hold each pair
to one answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

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


def _native() -> tuple[Callable[..., list[int]], Callable[..., Places], Callable[..., None]] | None:
    try:
        from ._scan import add_into, by_country, running_counts
    except ImportError:
        return None
    return running_counts, by_country, add_into


_NATIVE = _native()


def by_country(sources: Mapping[str, int], probes: Mapping[str, int], country_of: Mapping[str, str]) -> Places:
    """Return a slice's attempts, probes and distinct addresses per country (``by_country_reference``)."""
    if _NATIVE is None:
        return by_country_reference(sources, probes, country_of)
    return _NATIVE[1](sources, probes, country_of)


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

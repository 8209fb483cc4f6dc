"""Running sums of counts slice by slice, for the failures before each login (``Tally.count_logins``).

In C where the scanner is built (``running_counts`` in ``_scan/sums.c``): a day of one connection a line holds
millions of (slice, address) counts, and Python reads each at about a tenth of a microsecond. ``reference`` is the
same sum in Python, used where the scanner is not built; a test holds the two to one answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

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


def _native() -> Callable[[Slices, dict[str, int], list[Ask]], list[int]] | None:
    try:
        from ._scan import running_counts
    except ImportError:
        return None
    return running_counts


_RUNNING = _native()


def running_counts(slices: Slices, columns: dict[str, int], asks: list[Ask]) -> list[int]:
    """Return, for each ask (by position), its column's counts summed over the slices before its position."""
    return reference(slices, columns, asks) if _RUNNING is None else _RUNNING(slices, columns, asks)

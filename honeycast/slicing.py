"""Slices of time: their lengths (``--slice``), where each begins in the build's zone, and how they are named."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

_SLICE = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
AUTO = 0
"""``--slice auto``: the length is chosen from the span the logs cover (``auto_slice``)."""
AUTO_LENGTHS = (600, 3600, 6 * 3600, 86400)
"""The lengths ``--slice auto`` chooses from, shortest first; each is a whole number of the first."""
AUTO_MOST = 400
"""``--slice auto`` takes the shortest length that covers the span in at most this many slices."""
DAY = 86400


def parse_slice(text: str) -> int:
    """Return the seconds in a slice length such as ``10m``, ``1h``, ``90s`` or ``1d``; ``auto`` is ``AUTO``."""
    if text.strip().lower() == "auto":
        return AUTO
    found = _SLICE.match(text.lower())
    if found is None:
        raise ValueError(f"--slice {text!r}: expected auto or a length such as 10m, 1h, 90s or 1d")
    seconds = int(found[1]) * _UNIT_SECONDS[found[2] or "m"]
    if not 60 <= seconds <= DAY or DAY % seconds:
        raise ValueError(f"--slice {text!r}: must divide a day evenly, between 1m and 1d")
    return seconds


def auto_slice(first: datetime, last: datetime) -> int:
    """Return the slice length ``--slice auto`` picks for events from ``first`` to ``last``.

    A day stays in ten-minute slices (144 maps), a week takes hours, a month six hours, longer spans days.
    """
    span = (last - first).total_seconds()
    for seconds in AUTO_LENGTHS:
        if span // seconds + 1 <= AUTO_MOST:
            return seconds
    return AUTO_LENGTHS[-1]


def slice_text(seconds: int) -> str:
    """Return a slice length as people write it: ``90 s``, ``10 min``, ``1 h``, ``1 day``."""
    if seconds % DAY == 0:
        return f"{seconds // DAY} day" + ("s" if seconds > DAY else "")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def day_text(moment: datetime) -> str:
    """Return a day as honeycast writes one everywhere (frames, page, output): ``Sun 29 Nov 2026``."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def period_text(first: datetime, last: datetime) -> str:
    """Return the days from ``first`` to ``last`` as people write them: ``Sun 29 Nov 2026``, ``23–29 Nov 2026``,
    ``28 Nov – 3 Dec 2026``, ``28 Dec 2026 – 3 Jan 2027``."""
    if first.date() == last.date():
        return day_text(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def per_slice_text(seconds: int) -> str:
    """Return what "per" a slice reads as in a legend: ``minute``, ``10 min``, ``90 s``, ``hour``, ``day``."""
    text = slice_text(seconds)
    return {"1 min": "minute", "1 h": "hour", "1 day": "day"}.get(text, text)


def slice_floor(time: datetime, seconds: int, tz: tzinfo | None = None) -> datetime:
    """Return the start of the slice holding ``time``, in ``tz`` (default: the time's own zone).

    Slices are aligned to midnight of the local clock in ``tz``, so the maps of a day begin at 00:00 there.
    Where clocks go back, the hour that happens twice is two sets of slices (``fold`` tells them apart);
    where they go forward, the hour that never happens has none.
    """
    local = time if tz is None else time.astimezone(tz)
    if local.fold:  # the second of a repeated hour, or a fold that says nothing (where no hour repeats): told apart
        local = local.astimezone(UTC).astimezone(local.tzinfo)
    of_day = local.hour * 3600 + local.minute * 60 + local.second
    start = of_day - of_day % seconds
    return local.replace(hour=start // 3600, minute=start // 60 % 60, second=start % 60, microsecond=0)


def slice_key(time: datetime, seconds: int, tz: tzinfo) -> datetime:
    """Return the instant (in UTC) the slice holding ``time`` starts at, in the build's zone ``tz``."""
    return slice_floor(time, seconds, tz).astimezone(UTC)


def next_slice(key: datetime, seconds: int, tz: tzinfo) -> datetime:
    """Return the instant the slice after the one starting at instant ``key`` starts."""
    later = key + timedelta(seconds=seconds)
    following = slice_key(later, seconds, tz)
    while following <= key:  # the clocks went back within the slice: it is longer than its length
        later += timedelta(seconds=seconds)
        following = slice_key(later, seconds, tz)
    return following

"""The spans of time a host's lines were read in, and which lines were read at a span's last instant: what a site's
history keeps so that ``--append`` counts each line once (README, "History")."""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import datetime
from typing import NamedTuple


class Span(NamedTuple):
    """A span of time a host's lines were read in: its first and last line's time, and the lines read at that last
    instant (the log may go on within that second after it was read)."""

    first: datetime
    last: datetime
    at_last: tuple[str, ...]
    """Each line read at the last instant by its ``line_key``, sorted (a line read twice is there twice). A history
    written before lines had keys gives ``ANY_LINE`` for each line it read there."""


ANY_LINE = "*"
"""A line at a span's last instant known only by number: it stands for whichever line is read there first."""


def line_key(
    pid: int | None, kind_index: int, source: str | None, port: int | None, user: str | None, count: int
) -> str:
    """Return the key of an sshd line among its host's lines at one instant: CRC-32 of its own fields (pid, kind by
    its index in ``EventKind``, address or host name and port as the line gives them, user, repeat count), as eight
    hex digits. Both readers make it alike (``line_key`` in _scan/count.c)."""
    text = "\x1f".join(
        (
            "" if pid is None else str(pid),
            str(kind_index),
            source or "",
            "" if port is None else str(port),
            user or "",
            str(count),
        )
    )
    return f"{zlib.crc32(text.encode('utf-8', 'surrogatepass')):08x}"


def both_spans(one: Span, other: Span) -> Span:
    """Return the span of the lines of two spans read in one go (each line in one of them): from the first to the
    last, with the lines at that last instant of both."""
    if one.last > other.last:
        at_last = one.at_last
    elif other.last > one.last:
        at_last = other.at_last
    else:
        at_last = tuple(sorted((*one.at_last, *other.at_last)))
    return Span(min(one.first, other.first), max(one.last, other.last), at_last)


def joined_lines(one: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """Return the lines at one instant that two reads of it found, each as often as the read that found it most
    often (the same log read twice holds its lines once)."""
    counts = Counter(one) | Counter(other)
    return tuple(sorted(counts.elements()))

"""What a build takes up of the build before it (``--append``): the connections it left open where its lines ended,
kept in the site's history (``parts.Kept``), as this build's lines name them. A night is a part of one log, read on
from the night before as ``scan.join`` reads on from a part before."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .parts import Carried, Kept, taken_up
from .readers import Segment
from .sshd import SshdParser
from .tally import Tally, digest

if TYPE_CHECKING:
    from .scan import ReadOptions


def left_open(
    segments: list[Segment], read: ReadOptions
) -> tuple[list[Carried], dict[str, datetime], list[tuple[str, Kept]]]:
    """Return the connections an earlier build left open (``read.left_open``) that lines here may go on, their hosts'
    clocks, and those no line here names (``taken_up``). Where a host's lines here all come after those that build
    counted (the night's new log), it left every one and its clock where it ended; where they begin within them
    (the rotated log read again), those lines make their connections anew, and it left only those whose lines all
    came before."""
    if not read.left_open:
        return [], {}, []
    first: dict[str, datetime] = {}
    for segment in segments:
        if segment.first is None:  # no line with a time
            continue
        for host in segment.hosts:
            first[host] = min(first.get(host, segment.first), segment.first)
    clocks, before = {}, {}
    for host, begins in first.items():
        ended = max((span.last for span in read.covered.get(digest(host), ())), default=None)
        if ended is None:
            continue
        if begins > ended or (begins == ended and not read_again(segments, host, ended, read)):
            clocks[host] = ended
        else:
            clocks[host] = before[digest(host)] = begins
    left = [one for one in read.left_open if one.host not in before or one.last < before[one.host]]
    heads = [key for segment in segments for key in segment.head_keys]
    taken, unnamed = taken_up(left, clocks, heads)
    return taken, clocks, unnamed


def read_again(segments: list[Segment], host: str, ended: datetime, read: ReadOptions) -> bool:
    """Whether a host's lines here begin with a line an earlier build counted, at the instant its lines ended (a log
    cut within a second, read again)."""
    for segment in segments:
        if segment.first != ended or host not in segment.hosts:
            continue
        tally = Tally(1, read.tz, host=read.host_of(segment.job.path), covered=read.covered, rules=read.rules)
        parser = SshdParser(
            read.tz,
            year=segment.year,
            reference=segment.job.reference,
            covers=tally.covers,
            rules=read.rules,
            host=tally.host,
        )
        for line in segment.head:
            event = parser.parse(line)
            if event is not None and event.time > ended:
                break
            if event is not None and event.host == host and event.covered:
                return True
    return False

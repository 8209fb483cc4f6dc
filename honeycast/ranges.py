"""Cut large files into byte ranges read side by side, and read an input or a range as lines or blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from .sources import LINE_LIMIT, TEXT_CHUNK, LogSource
from .sshd import SshdParser

PARALLEL_MIN_BYTES = 64 << 20
"""Plain files at least this large are cut into ranges counted side by side; smaller ones are not worth it."""
BLOCK_BYTES = 4 << 20
WHOLE = -1
"""The end of a job that reads its whole file, as LogSource does (compressed files cannot be cut)."""


def splittable(source: LogSource) -> bool:
    """Whether an input is worth cutting into ranges read side by side (a large plain file)."""
    if source.is_stdin or source.compressed or source.is_url:
        return False
    return Path(source.name).stat().st_size >= PARALLEL_MIN_BYTES


@dataclass(frozen=True, slots=True)
class Job:
    """What one reader call counts: a whole input (``end`` is ``WHOLE``), or the lines that start in a byte range
    of a file, with the year its first yearless stamp is in."""

    path: str
    start: int
    end: int
    year: int | None
    reference: datetime


def cut(source: LogSource, parser: SshdParser, parts: int) -> list[Job]:
    """Cut a file into ``parts`` ranges and find the year each starts in.

    A range owns the lines that start inside it. Yearless timestamps need the year the range
    begins in: one parser walks the first sshd line of every range in order, so a New Year
    between ranges is seen just as it would be reading the whole file.
    """
    size = Path(source.name).stat().st_size
    cuts = [size * index // parts for index in range(parts)] + [size]
    ranges = []
    with open(source.name, "rb") as stream:
        for start, end in pairwise(cuts):
            seek_line(stream, start)
            year = parser.year
            while stream.tell() < end:
                event = parser.parse(stream.readline().decode("utf-8", "replace"))
                if event is not None:
                    year = event.time.year if parser.year is not None else None
                    break
            ranges.append(Job(source.name, start, end, year, parser.reference))
    return ranges


def seek_line(stream: BinaryIO, offset: int) -> None:
    """Move to the first line that starts at or after ``offset``."""
    stream.seek(max(offset - 1, 0))
    if offset:
        stream.readline()  # the rest of the line before (just its line feed if one ends at offset - 1)


def file_blocks(source: LogSource) -> Iterator[bytes]:
    """Yield a whole input's bytes in large blocks."""
    with source.open_binary() as stream:
        if source.compressed:
            # In the steps the text reader takes, so a file cut short yields the same lines either way.
            while block := stream.read1(TEXT_CHUNK):  # type: ignore[attr-defined]
                yield block
        else:
            while block := stream.read(BLOCK_BYTES):
                yield block


def range_blocks(job: Job) -> Iterator[bytes]:
    """Yield the bytes of the lines that start inside a byte range, in large blocks."""
    with open(job.path, "rb") as stream:
        seek_line(stream, job.start)
        position = stream.tell()
        ended = True
        while position < job.end:
            block = stream.read(min(BLOCK_BYTES, job.end - position))
            if not block:
                break
            position += len(block)
            ended = block.endswith(b"\n")
            yield block
        # The line that starts before the end of the range belongs to it, even if it ends after.
        if not ended:
            yield stream.readline()


def range_lines(job: Job) -> Iterator[str]:
    """Yield the lines that start inside a byte range, as LogSource.lines does for a whole file."""
    carry = b""
    skipping = False
    for block in range_blocks(job):
        if skipping:  # inside a line too long to keep: drop it up to its end
            end = block.find(b"\n")
            if end < 0:
                continue
            skipping, block = False, block[end + 1 :]
        data = carry + block
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        # Split on line feeds only, as the file reader does: never on characters a user name may hold.
        for line in data[:cut].decode("utf-8", "replace").split("\n")[:-1]:
            yield line.rstrip("\r")
        if len(carry) > 4 * LINE_LIMIT:  # more characters than MAX_LINE however it decodes
            yield carry[: 4 * LINE_LIMIT].decode("utf-8", "replace")  # skipped as too long, counted as one line
            carry, skipping = b"", True
    if carry:
        yield carry.decode("utf-8", "replace").rstrip("\r")

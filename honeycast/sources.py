"""Open log inputs and yield their text lines; nothing here knows sshd."""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .errors import InputError

_OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


@dataclass(frozen=True, slots=True)
class LogSource:
    """One input: a path, or ``-`` for standard input."""

    name: str

    @property
    def is_stdin(self) -> bool:
        return self.name == "-"

    def modified(self) -> datetime:
        """Return when the file was last written: yearless syslog lines lie before it."""
        if self.is_stdin:
            return datetime.now().astimezone()
        return datetime.fromtimestamp(Path(self.name).stat().st_mtime).astimezone()

    def lines(self) -> Iterator[str]:
        """Yield the file's lines without line endings; bad bytes become U+FFFD."""
        with self._open() as stream:
            try:
                for line in stream:
                    yield line.rstrip("\r\n")
            except (OSError, EOFError, lzma.LZMAError) as error:
                raise InputError(f"{self.name}: cannot read: {error}") from None

    def _open(self) -> IO[str]:
        if self.is_stdin:
            return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
        path = Path(self.name)
        if not path.exists():
            raise InputError(f"{self.name}: no such file")
        if path.is_dir():
            raise InputError(f"{self.name}: is a directory, not a log file")
        opener = _OPENERS.get(path.suffix)
        try:
            if opener is None:
                return open(path, encoding="utf-8", errors="replace", newline="\n")
            return io.TextIOWrapper(opener(path, "rb"), encoding="utf-8", errors="replace", newline="\n")
        except OSError as error:
            raise InputError(f"{self.name}: cannot open: {error.strerror or error}") from None


def sources(names: list[str]) -> list[LogSource]:
    """Return the inputs named on the command line, checking that each can be opened.

    A name that is not a file but a shell pattern (``'/var/log/auth.log*'``, quoted so the
    shell left it alone) stands for the files it matches.
    """
    if not names:
        raise InputError("no log file given")
    found: list[LogSource] = []
    for name in names:
        if name != "-" and not Path(name).exists() and glob.has_magic(name):
            matches = sorted(glob.glob(name))
            if not matches:
                raise InputError(f"{name}: no file matches")
            found.extend(LogSource(match) for match in matches)
        else:
            found.append(LogSource(name))
    for source in found:
        if not source.is_stdin:
            source._open().close()
    return found

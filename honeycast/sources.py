"""Open log inputs and yield their text lines; nothing here knows sshd."""

from __future__ import annotations

import bz2
import codecs
import glob
import gzip
import io
import lzma
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .errors import InputError

MAX_LINE = 64 * 1024
"""Longer lines are skipped: syslog caps a message at a few kilobytes, and no sshd line comes near this."""
LINE_LIMIT = MAX_LINE + 2
"""Characters read of one line at most (with its CR LF): a longer line is known to be too long."""
TEXT_CHUNK = 8192
"""Compressed input is read in steps of this many decompressed bytes by both readers, so that a file cut
short ends at the same line for both."""
PLAIN_CHUNK = 1 << 20
"""The Python reader reads other input in steps of this many bytes."""
READ_ERRORS = (EOFError, lzma.LZMAError, zlib.error, OSError)
"""What reading a damaged (often compressed) file can raise."""

_OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def is_url(name: str) -> bool:
    """Return whether an input names a file by an fsspec URL (``s3://bucket/auth.log.gz``, ``file:///var/log``)."""
    scheme, found, _ = name.partition("://")
    return bool(found) and scheme.replace("+", "").replace("-", "").isalnum() and not Path(name).exists()


def _filesystem(url: str) -> tuple[Any, str]:
    """Return the fsspec file system of a URL and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise InputError(f"{url}: reading URLs needs fsspec (pip install 'honeycast[dask]')") from None
    try:
        filesystem, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as error:  # no backend for the scheme (s3fs, gcsfs, adlfs, …)
        raise InputError(f"{url}: {error}") from None
    return filesystem, str(path)


@dataclass(frozen=True, slots=True)
class LogSource:
    """One input: a path, an fsspec URL, or ``-`` for standard input."""

    name: str

    @property
    def is_stdin(self) -> bool:
        return self.name == "-"

    @property
    def is_url(self) -> bool:
        return is_url(self.name)

    @property
    def compressed(self) -> bool:
        return not self.is_stdin and Path(self.name).suffix in _OPENERS

    def modified(self) -> datetime:
        """Return when the file was last written: yearless syslog lines lie before it."""
        if self.is_stdin:
            return datetime.now().astimezone()
        if self.is_url:
            filesystem, path = _filesystem(self.name)
            try:
                return filesystem.modified(path).astimezone()  # type: ignore[no-any-return]
            except (NotImplementedError, OSError, ValueError):
                return datetime.now().astimezone()
        return datetime.fromtimestamp(Path(self.name).stat().st_mtime).astimezone()

    def size(self) -> int:
        """Return the file's size in bytes (as stored: compressed files compressed)."""
        if self.is_url:
            filesystem, path = _filesystem(self.name)
            return int(filesystem.size(path))
        return Path(self.name).stat().st_size

    def lines(self, warn: Callable[[str], None]) -> Iterator[str]:
        """Yield the file's lines without line endings; bad bytes become U+FFFD.

        A compressed file cut short (a rotation caught mid-write, a partial copy) yields what
        decodes and warns; it is not an error. A line longer than ``LINE_LIMIT`` characters is
        passed on cut to that length (it is then skipped as too long); the rest is dropped as it
        is read, so no line holds more memory than that.
        """
        count = 0
        decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        held: list[str] = []  # the start of a line that runs on into the next block
        size = 0
        with self.open_binary() as stream:
            step = TEXT_CHUNK if self.compressed else PLAIN_CHUNK
            read = stream.read1 if self.compressed else stream.read  # type: ignore[attr-defined]
            try:
                while block := read(step):
                    text = decode(block)
                    start = 0
                    while (end := text.find("\n", start)) >= 0:
                        line = text[start:end]
                        if held:  # the line began in an earlier block
                            held.append(line)
                            line = "".join(held)
                            held.clear()
                            size = 0
                        count += 1
                        yield line[:LINE_LIMIT].rstrip("\r")
                        start = end + 1
                    if size < LINE_LIMIT and start < len(text):  # beyond the limit the rest is dropped
                        held.append(text[start : start + LINE_LIMIT - size])
                        size += len(held[-1])
                held.append(decode(b"", final=True))
                if any(held):
                    count += 1
                    yield "".join(held)[:LINE_LIMIT].rstrip("\r")
            except READ_ERRORS as error:
                warn(self.read_failure(error, count))

    def read_failure(self, error: Exception, lines: int) -> str:
        """Return the warning for a compressed file cut short, or raise for a plain file that fails mid-read."""
        if not self.compressed:
            raise InputError(f"{self.name}: cannot read after line {lines}: {error}") from None
        return f"{self.name}: compressed data ends early ({error}); using the {lines:,} lines before it"

    def problem(self) -> tuple[str, bool] | None:
        """Return what is wrong with this input and whether to skip it, or None.

        An empty file and a binary systemd journal are skipped; other binary-looking data is still
        read (a text log that a crash filled with NUL bytes is mostly good lines), with a warning.
        """
        if self.is_stdin:
            return None
        if self.size() == 0:
            return f"{self.name}: empty file, skipped", True
        if self.compressed:
            return None
        with self.open_binary() as stream:
            head = stream.read(4096)
        if head.startswith(b"LPKSHHRH"):
            return f"{self.name}: a binary systemd journal file, skipped; pipe `journalctl -o json` instead", True
        control = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
        if b"\0" in head or control > len(head) * 0.1:
            return f"{self.name}: looks like binary data, not a text log; reading it anyway", False
        return None

    def _open(self) -> IO[str]:
        return io.TextIOWrapper(self.open_binary(), encoding="utf-8", errors="replace", newline="\n")

    def open_binary(self) -> IO[bytes]:
        """Open the file for reading its bytes, decompressed."""
        if self.is_stdin:
            return sys.stdin.buffer
        if self.is_url:
            return self._open_url()
        path = Path(self.name)
        if not path.exists():
            raise InputError(f"{self.name}: no such file")
        if path.is_dir():
            raise InputError(f"{self.name}: is a directory, not a log file")
        opener = _OPENERS.get(path.suffix)
        try:
            return opener(path, "rb") if opener is not None else open(path, "rb")
        except OSError as error:
            raise InputError(f"{self.name}: cannot open: {error.strerror or error}") from None

    def _open_url(self) -> IO[bytes]:
        filesystem, path = _filesystem(self.name)
        try:
            if filesystem.isdir(path):
                raise InputError(f"{self.name}: is a directory, not a log file")
            raw = filesystem.open(path, "rb")
        except FileNotFoundError:
            raise InputError(f"{self.name}: no such file") from None
        except OSError as error:
            raise InputError(f"{self.name}: cannot open: {error.strerror or error}") from None
        opener = _OPENERS.get(Path(path).suffix)
        return opener(raw, "rb") if opener is not None else raw  # type: ignore[no-any-return]


def expand(names: list[str]) -> list[str]:
    """Return the inputs named on the command line, each shell pattern replaced by the files it matches."""
    found: list[str] = []
    for name in names:
        if is_url(name) and glob.has_magic(name):
            filesystem, path = _filesystem(name)
            matches = sorted(filesystem.unstrip_protocol(one) for one in filesystem.glob(path))
            if not matches:
                raise InputError(f"{name}: no file matches")
            found.extend(matches)
        elif name != "-" and not Path(name).exists() and glob.has_magic(name):
            matches = sorted(glob.glob(name))
            if not matches:
                raise InputError(f"{name}: no file matches")
            found.extend(matches)
        else:
            found.append(name)
    return found


def sources(names: list[str]) -> list[LogSource]:
    """Return the inputs named on the command line, checking that each can be opened.

    A name that is not a file but a shell pattern (``'/var/log/auth.log*'``, quoted so the
    shell left it alone) stands for the files it matches.
    """
    if not names:
        raise InputError("no log file given")
    found = [LogSource(name) for name in expand(names)]
    for source in found:
        if not source.is_stdin:
            source._open().close()
    return found

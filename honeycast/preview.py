"""Serve a built site on 127.0.0.1 for a preview."""

from __future__ import annotations

import functools
import http.server
import os
import re
import stat
from collections.abc import Callable
from io import BufferedIOBase
from pathlib import Path
from typing import Any, BinaryIO

from .errors import OutputError, UsageError
from .site import MARKER

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
"""The Host names a preview answers to: a page elsewhere cannot reach it through a name it controls."""


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Regular files inside the site, and nothing else: no listings, no links out of it, loopback names only."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(404)

    def send_head(self) -> BufferedIOBase | None:  # type: ignore[override]
        if _host_name(self.headers.get("Host") or "").lower() not in LOOPBACK_NAMES:
            self.send_error(421, "This preview answers to 127.0.0.1 and localhost only")
            return None
        target = Path(self.translate_path(self.path))
        if not _plain_inside(Path(self.directory), target):
            self.send_error(404)
            return None
        wanted = _byte_range(self.headers.get("Range"), target.stat().st_size) if target.is_file() else None
        if wanted is None:
            return super().send_head()  # type: ignore[return-value]
        # Part of a file (Safari and iOS play an MP4 only through such requests).
        size = target.stat().st_size
        if isinstance(wanted, str):  # unsatisfiable
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        first, last = wanted
        part = target.open("rb")
        part.seek(first)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(target)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return _Part(part, last - first + 1)  # type: ignore[return-value]


class _Part:
    """A file read only up to ``length`` bytes from where it stands (the body of a 206 response)."""

    def __init__(self, file: BinaryIO, length: int) -> None:
        self.file, self.left = file, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.file.read(size)
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.file.close()


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """Return the one byte range a Range header asks for (first, last), "unsatisfiable", or None to send the whole
    file (no header, several ranges, or one not understood: the whole file is a valid answer to those)."""
    found = _RANGE.fullmatch((header or "").strip())
    if found is None or not (found[1] or found[2]):
        return None
    if not found[1]:  # the last N bytes
        suffix = int(found[2])
        return (max(0, size - suffix), size - 1) if suffix and size else "unsatisfiable"
    first = int(found[1])
    last = min(int(found[2]), size - 1) if found[2] else size - 1
    if first >= size or (found[2] and int(found[2]) < first):
        return "unsatisfiable"
    return first, last


def _host_name(header: str) -> str:
    """Return the name in a Host header, without its port (``[::1]:8000`` → ``[::1]``)."""
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0]


def _plain_inside(root: Path, target: Path) -> bool:
    """Whether ``target`` is a regular file (or a folder's index.html) under ``root``, reached through no link."""
    try:
        parts = target.relative_to(root).parts
    except ValueError:
        return False
    current = root
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except (OSError, ValueError):  # ValueError: a NUL in the path (%00)
            return False
        if stat.S_ISLNK(mode):
            return False
    if stat.S_ISDIR(os.lstat(current).st_mode):
        index = current / "index.html"
        return index.exists() and _plain_inside(root, index)
    return stat.S_ISREG(os.lstat(current).st_mode)


def serve(out: Path, port: int, announce: Callable[[str], None]) -> None:
    """Serve ``out`` until interrupted. Only folders honeycast wrote are served."""
    if not (out / "index.html").is_file() or not (out / MARKER).exists():
        raise UsageError(f"{out}: not a site written by honeycast build")
    handler = functools.partial(_SiteHandler, directory=str(out.resolve()))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise OutputError(f"127.0.0.1:{port}: cannot listen ({error.strerror or error})") from None
    with server:
        announce(f"http://127.0.0.1:{server.server_address[1]}/")
        server.serve_forever()

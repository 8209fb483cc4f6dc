"""Serve a built site on 127.0.0.1 for a preview."""

from __future__ import annotations

import functools
import http.server
import os
import stat
from collections.abc import Callable
from io import BufferedIOBase
from pathlib import Path
from typing import Any

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
        return super().send_head()  # type: ignore[return-value]


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
        except OSError:
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

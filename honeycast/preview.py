"""Serve a built site on 127.0.0.1 for a preview."""

from __future__ import annotations

import functools
import http.server
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import OutputError, UsageError
from .site import MARKER


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(out: Path, port: int, announce: Callable[[str], None]) -> None:
    """Serve ``out`` until interrupted. Only folders honeycast wrote are served."""
    if not (out / "index.html").is_file() or not (out / MARKER).exists():
        raise UsageError(f"{out}: not a site written by honeycast build")
    handler = functools.partial(_QuietHandler, directory=str(out))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise OutputError(f"127.0.0.1:{port}: cannot listen ({error.strerror or error})") from None
    with server:
        announce(f"http://127.0.0.1:{server.server_address[1]}/")
        server.serve_forever()

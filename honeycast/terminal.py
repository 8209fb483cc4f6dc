"""The terminals honeycast writes to: results (a build's summary, what it wrote, what to paste; ``parse``'s records)
to standard output, progress and diagnostics (warnings, errors, what a build assumed, where the time went) to
standard error."""

from __future__ import annotations

from rich.console import Console

stderr = Console(stderr=True, highlight=False)
stdout = Console(highlight=False)

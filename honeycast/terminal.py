"""The terminal honeycast writes to: everything but ``parse``'s records goes to standard error."""

from __future__ import annotations

from rich.console import Console

stderr = Console(stderr=True, highlight=False)

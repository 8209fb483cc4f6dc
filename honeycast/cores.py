"""The cores honeycast may use, and the worker processes that use them."""

from __future__ import annotations

import os
import signal


def usable_cores() -> int:
    """Return how many cores this process may run on (every core where the system cannot say)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have no affinity call
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the main process, which stops the workers and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

"""The cores honeycast may use, the worker processes that use them, the collector held off while records are made."""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager


def usable_cores() -> int:
    """Return how many cores this process may run on (every core where the system cannot say)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have no affinity call
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the main process, which stops the workers and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def no_collection() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off while records are made (it would walk them all, again and
    again, for nothing); it runs as before afterwards, where it was on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()

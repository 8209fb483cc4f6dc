"""Where a build's time went, stage by stage, for ``build -v`` and the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("read", "count", "history", "frames", "video", "site")
"""The stages a build reports, in the order they run."""


class Stopwatch:
    """Seconds spent per stage; a stage timed more than once adds up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - began)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


def stages_text(seconds: dict[str, float]) -> str:
    """Return the seconds per stage as one line, e.g. ``read 0.12 s · count 0.03 s · … · site 0.05 s``."""
    order = [name for name in STAGES if name in seconds] + sorted(set(seconds) - set(STAGES))
    return " · ".join(f"{name} {seconds[name]:.2f} s" for name in order)

"""How many examples a property test tries: a share of what the active Hypothesis profile gives a test.

The README's test command runs the `default` profile (100 examples a test, times each test's share); CI then
runs every property test again under `full`, ten times as many: `pytest -m property --hypothesis-profile=full`.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("default", deadline=None)
settings.register_profile("full", deadline=None, max_examples=1_000)


def examples(share: float) -> int:
    """Return ``share`` of the active profile's examples (at least one)."""
    return max(1, round(settings().max_examples * share))

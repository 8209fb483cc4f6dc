"""Count the same logs with the native scanner and with the Python reader, and compare."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from honeycast.rules import RULES, RuleBook
from honeycast.scan import ReadOptions, SilentReporter, tally_logs
from honeycast.spans import Span
from honeycast.tally import Tally
from honeycast.timeline import Timeline, timeline_of


def tallied(
    logs: list[str],
    use_native: bool,
    year: int | None = 2026,
    tz: tzinfo = UTC,
    workers: int = 1,
    slice_seconds: int = 600,
    covered: dict[str, tuple[Span, ...]] | None = None,
    host: str | None = None,
    rules: RuleBook = RULES,
    dask: str | None = None,
) -> tuple[Tally, list[str]]:
    reporter = SilentReporter()
    reader = "native" if use_native else "python"
    read = ReadOptions(
        logs=logs, year=year, tz=tz, reader=reader, covered=covered or {}, host=host, rules=rules, dask=dask
    )
    tally = tally_logs(read, slice_seconds, reporter, workers=workers)
    return tally, reporter.warnings


def counted(logs: list[str], use_native: bool, **options: Any) -> tuple[Timeline | None, list[str]]:
    tally, warnings = tallied(logs, use_native, **options)
    return timeline_of(tally), warnings


def contents(tally: Tally) -> tuple[object, ...]:
    """Everything a tally holds, compared without building its timeline (a mutated year can span centuries)."""
    accepted = sorted((_exact(time), address, user, failures) for time, address, user, failures in tally.accepted)
    defences = sorted(tally.defences, key=lambda one: (one.time, one.action, str(one.network), one.jail, one.tool))
    return (
        tally.slices,
        dict(tally.kinds),
        tally.country_of,
        {address: (_exact(first), total, _exact(last)) for address, (first, total, last) in tally.failures.items()},
        {
            address: [(_exact(one.time), one.user, one.invalid) for one in found]
            for address, found in tally.names.items()
        },
        accepted,
        tally.spans,
        defences,
    )


def _exact(moment: datetime) -> tuple[str, int, str | None]:
    """A time as written and shown: aware times that are one instant compare equal, whatever their zone and fold."""
    return moment.isoformat(), moment.fold, moment.tzname()


def assert_same_tallies(logs: list[str], **options: Any) -> None:
    (fast, fast_warnings), (reference, reference_warnings) = (tallied(logs, flag, **options) for flag in (True, False))
    assert contents(fast) == contents(reference)
    assert fast_warnings == reference_warnings


def assert_same_counts(logs: list[str], **options: Any) -> Timeline | None:
    assert_same_tallies(logs, **options)
    fast = counted(logs, True, **options)
    assert fast == counted(logs, False, **options)
    return fast[0]

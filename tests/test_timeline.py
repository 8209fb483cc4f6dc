from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from honeycast.events import AuthEvent, EventKind
from honeycast.names import Named, merged_names, noted
from honeycast.slicing import parse_slice, slice_floor
from honeycast.tally import Tally
from honeycast.timeline import Counted, Timeline, timeline_of


def counted(located: list[tuple[AuthEvent, str | None]]) -> Timeline | None:
    tally = Tally(600)
    for one, country in located:
        tally.add(one, country)
    return timeline_of(tally)


def event(
    minute: int, kind: EventKind = EventKind.FAILED, count: int = 1, ip: str = "8.8.8.8", probe: bool = False
) -> AuthEvent:
    return AuthEvent(
        time=datetime(2026, 11, 29, 6, 0, tzinfo=UTC) + timedelta(minutes=minute),
        host="h",
        program="sshd",
        pid=1,
        kind=kind,
        source_ip=ip,
        source_port=22,
        user="root",
        method="password",
        count=count,
        attempts=count if kind is EventKind.FAILED else 0,
        probe=probe,
    )


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("1h", 3600), ("90s", 90), ("30", 1800), ("24h", 86400)])
def test_parse_slice(text: str, seconds: int) -> None:
    assert parse_slice(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "7m", "0m", "59s", "25h", "-5m"])
def test_bad_slices_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--slice"):
        parse_slice(text)


def test_slices_align_to_local_midnight() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert slice_floor(datetime(2026, 11, 29, 6, 17, 59, tzinfo=berlin), 600) == datetime(
        2026, 11, 29, 6, 10, tzinfo=berlin
    )
    assert slice_floor(datetime(2026, 11, 29, 6, 17, tzinfo=UTC), 3600) == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def test_only_failures_count_as_attempts_and_empty_slices_stay() -> None:
    located = [
        (event(1), "CN"),
        (event(2, count=4), "CN"),
        (event(3, EventKind.INVALID_USER), "CN"),
        (event(4, EventKind.ACCEPTED, ip="198.51.100.1"), "documentation"),
        (event(45, ip="3.3.3.3"), "US"),
        (event(46, EventKind.DISCONNECTED, ip="192.0.2.9", probe=True), "documentation"),
        (event(47, EventKind.UNKNOWN), None),
    ]
    timeline = counted(located)
    assert timeline is not None
    assert [one.counts for one in timeline.slices] == [{"CN": 5}, {}, {}, {}, {"US": 1}]
    assert [one.attempts for one in timeline.slices] == [5, 0, 0, 0, 1]
    assert timeline.start == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    assert timeline.end == datetime(2026, 11, 29, 6, 50, tzinfo=UTC)
    assert dict(timeline.totals) == {"CN": 5, "US": 1}
    assert timeline.peak == 5
    assert [one.probes for one in timeline.slices] == [{}, {}, {}, {}, {"documentation": 1}]
    assert dict(timeline.events) == {"failed": 6, "invalid_user": 1, "accepted": 1, "disconnected": 1, "unknown": 1}
    assert timeline.distinct_addresses == 3  # the owner's address, which logged in, is no attacker's
    assert timeline.owners == {"198.51.100.1"}


def test_tallies_of_parts_add_up_to_the_whole() -> None:
    located = [
        (
            event(minute, count=minute % 3 + 1, probe=minute % 4 == 0, ip="1.2.3.4" if minute % 2 else "8.8.8.8"),
            "CN" if minute % 2 else "BR",
        )
        for minute in range(50)
    ]
    whole = Tally(600)
    first, second = Tally(600), Tally(600)
    for index, (one, country) in enumerate(located):
        whole.add(one, country)
        (first if index % 3 else second).add(one, country)
    first.update(second)
    assert timeline_of(first) == timeline_of(whole)


def test_no_events_gives_no_timeline() -> None:
    assert counted([]) is None


def test_cores_are_counted_where_the_system_has_no_affinity_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows have no os.sched_getaffinity: counting and rendering still find the cores."""
    import os

    from honeycast.cores import usable_cores

    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert usable_cores() == 3


names_tried = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(["root", "admin", "oracle", "test", "ubuntu"]), st.booleans()),
    max_size=8,
)


@pytest.mark.property
@given(names_tried, names_tried, st.integers(1, 4))
def test_kept_names_merge_as_if_noted_one_by_one(
    mine: list[tuple[int, str, bool]], theirs: list[tuple[int, str, bool]], limit: int
) -> None:
    """Two parts' first names merged at once keep what noting the second part's one by one keeps."""
    start = datetime(2026, 12, 6, tzinfo=UTC)

    def kept(tried: list[tuple[int, str, bool]]) -> tuple[Named, ...]:
        found: tuple[Named, ...] = ()
        for second, user, invalid in tried:
            found = noted(found, start + timedelta(seconds=second), user, invalid, limit)
        return found

    one_by_one = kept(mine)
    for name in kept(theirs):
        one_by_one = noted(one_by_one, name.time, name.user, name.invalid, limit)
    assert merged_names(kept(mine), kept(theirs), limit) == one_by_one


@given(
    st.dictionaries(st.sampled_from([f"10.0.0.{n}" for n in range(30)]), st.sampled_from(["US", "CN", "private"])),
    st.sets(st.sampled_from([f"10.0.0.{n}" for n in range(40)])),
)
def test_the_counted_addresses_are_the_located_ones_but_those_left_out(located: dict[str, str], left: set[str]) -> None:
    """A timeline's map of addresses is a view of the tally's: every way of reading it gives the map without the
    addresses left out (some of which it never held)."""
    expected = {address: country for address, country in located.items() if address not in left}
    counted = Counted(located, left)
    assert counted == expected and expected == counted
    assert len(counted) == len(expected)
    assert list(counted) == list(expected) and list(counted.items()) == list(expected.items())
    assert list(counted.values()) == list(expected.values()) and list(counted.pairs()) == list(expected.items())
    for address in [f"10.0.0.{n}" for n in range(40)]:
        assert (address in counted) == (address in expected)
        assert counted.get(address) == expected.get(address)

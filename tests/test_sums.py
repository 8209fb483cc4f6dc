"""Running sums of counts slice by slice: the scanner's and the reference's answers are one; a login's failures."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from files import DEMO
from hypothesis import example, given
from hypothesis import strategies as st
from readers import tallied

from honeycast import sums
from honeycast.networks import network_map
from honeycast.slicing import slice_key
from honeycast.sums import top_counts
from honeycast.tally import HostCounts, SliceTally, Tally
from honeycast.timeline import timeline_of

ADDRESSES = [f"203.0.113.{n}" for n in range(6)]

slices = st.lists(
    st.lists(st.dictionaries(st.sampled_from(ADDRESSES), st.integers(0, 2**40), max_size=6), max_size=3), max_size=8
)


@pytest.mark.property
@given(slices, st.lists(st.sampled_from(ADDRESSES), min_size=1, unique=True), st.data())
def test_the_scanners_running_sums_are_the_references(
    counts: sums.Slices, asked: list[str], data: st.DataObject
) -> None:
    assert sums._NATIVE is not None, "the scanner is built for the tests"
    columns = {address: column for column, address in enumerate(asked)}
    asks = sorted(
        data.draw(st.lists(st.tuples(st.integers(0, len(counts)), st.integers(0, len(columns) - 1)), max_size=10))
    )
    expected = [
        sum(one.get(asked[column], 0) for slice_ in counts[:position] for one in slice_) for position, column in asks
    ]
    assert sums.reference(counts, columns, asks) == expected
    # The same address as another str object in each slice (as parts of a log give it) counts the same.
    copied = [[{"".join(list(address)): n for address, n in one.items()} for one in slice_] for slice_ in counts]
    assert sums._NATIVE[0](copied, columns, asks) == expected
    assert sums._NATIVE[0](counts, columns, asks) == expected


@pytest.mark.parametrize(
    "running", [sums.reference, sums._NATIVE[0] if sums._NATIVE else None], ids=["reference", "scanner"]
)
@pytest.mark.parametrize("asks", [[(1, 0), (0, 0)], [(0, 2)], [(0, -1)]], ids=["out of order", "no column", "below"])
def test_bad_asks_are_refused(running: object, asks: list[sums.Ask]) -> None:
    assert callable(running)
    with pytest.raises(ValueError, match="asks are"):
        running([[{"a": 1}]], {"a": 0, "b": 1}, asks)


COUNTRIES = ["CN", "US", "private", "unknown"]


@pytest.mark.property
@given(
    st.dictionaries(st.sampled_from(ADDRESSES), st.integers(0, 2**40), max_size=6),
    st.dictionaries(st.sampled_from(ADDRESSES), st.integers(0, 2**40), max_size=6),
    st.lists(st.sampled_from(COUNTRIES), min_size=len(ADDRESSES), max_size=len(ADDRESSES)),
)
def test_the_scanners_sums_by_country_are_the_references(
    sources: dict[str, int], probes: dict[str, int], places: list[str]
) -> None:
    """Attempts, probes and distinct addresses per country, in C and in Python, whatever str object names a
    country (one per country as the locator gives them, or one per address)."""
    assert sums._NATIVE is not None, "the scanner is built for the tests"
    shared = dict(zip(ADDRESSES, places, strict=True))
    apart = {address: "".join(list(place)) for address, place in shared.items()}
    expected = (
        {shared[a]: sum(n for b, n in sources.items() if shared[b] == shared[a]) for a in sources},
        {shared[a]: sum(n for b, n in probes.items() if shared[b] == shared[a]) for a in probes},
        dict(Counter(shared[a] for a in sources.keys() | probes.keys())),
    )
    assert sums.by_country_reference(sources, probes, shared) == expected
    assert sums._NATIVE[1](sources, probes, (shared,)) == (expected,)
    assert sums._NATIVE[1](Counter(sources), Counter(probes), (apart,)) == (expected,)
    # A second map (networks) summed in the same pass: each map's sums as that map alone gives them.
    network_of = {address: f"AS{len(place)}{address[-1]}" for address, place in shared.items()}
    networks = sums.by_country_reference(sources, probes, network_of)
    assert sums._NATIVE[1](sources, probes, (shared, network_of)) == (expected, networks)
    assert sums.by_country(sources, probes, shared, network_of) == (expected, networks)


@pytest.mark.property
@given(st.lists(st.dictionaries(st.sampled_from(ADDRESSES), st.integers(0, 2**62), max_size=6), max_size=6))
def test_the_scanners_added_counts_are_the_references(parts: list[dict[str, int]]) -> None:
    """Counts added up key by key in C and in Python (as Counter.update adds them), past 64 bits too."""
    assert sums._NATIVE is not None, "the scanner is built for the tests"
    expected = {key: sum(one.get(key, 0) for one in parts) for one in parts for key in one}
    assert sums.added_reference(parts) == expected
    assert sums.added(parts) == expected
    assert type(sums.added(iter(parts))) is Counter


@pytest.mark.property
@given(
    st.dictionaries(
        st.text(max_size=3), st.integers(0, 6) | st.integers(-(2**70), 2**70) | st.sampled_from([2**63 - 1, 2**63])
    ),
    st.integers(-1, 12),
)
def test_the_scanners_top_counts_are_the_references(counts: dict[str, int], size: int) -> None:
    """The largest counts, ties by name, from the scanner's heap and in Python: the first ``size`` of all of them
    sorted, past 64 bits too."""
    assert sums._NATIVE is not None, "the scanner is built for the tests"
    expected = [[key, value] for key, value in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    expected = expected[: max(size, 0)]
    assert sums.top_reference(counts, size) == expected
    assert sums._NATIVE[3](counts, size) == expected
    assert sums.top_counts(Counter(counts), size) == expected


@pytest.mark.parametrize("maps", [({},), ({"a": "CN"}, {})])
@pytest.mark.parametrize("native", [False, True], ids=["reference", "native"])
def test_an_address_of_no_country_is_refused(maps: tuple[dict[str, str], ...], native: bool) -> None:
    assert sums._NATIVE is not None, "the scanner is built for the tests"
    with pytest.raises(KeyError):
        if native:
            sums._NATIVE[1]({"a": 1}, {}, maps)
        else:
            for place_of in maps:
                sums.by_country_reference({"a": 1}, {}, place_of)


def test_a_login_counts_the_failures_of_whole_slices_up_to_its_own() -> None:
    start = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    tally = Tally(600, UTC)
    for minutes, attempts in ((0, 3), (10, 4), (20, 5)):
        tally.slices[start + timedelta(minutes=minutes)] = SliceTally(
            hosts={"web": HostCounts(sources=Counter({"a": attempts, "b": 100}))}
        )
    tally.earlier["a"] = 7
    tally.accepted = [
        (start + timedelta(minutes=12), "a", "root", 0),  # in the second slice: its failures after it count too
        (start - timedelta(minutes=1), "a", "root", 0),  # before every slice
        (start + timedelta(hours=1), "a", "root", 0),  # after every slice
        (start + timedelta(minutes=5), "c", "root", 0),  # an address that never failed
    ]
    tally.count_logins()
    assert [before for *_, before in tally.accepted] == [7 + 3 + 4, 7, 7 + 12, 0]


ZONES = [ZoneInfo(name) for name in ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata")]
CHANGES = [  # days a zone's clocks change on (Lord Howe's by half an hour)
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 4, 4, 12, tzinfo=UTC),
    datetime(2026, 10, 3, 12, tzinfo=UTC),
]


@pytest.mark.property
@given(
    st.sampled_from(ZONES),
    st.sampled_from([60, 600, 1800, 3600, 7200, 10800, 86400]),
    st.sampled_from(CHANGES),
    st.lists(st.integers(-86400, 2 * 86400), min_size=1, max_size=40),
    st.integers(-86400, 2 * 86400),
)
# 03:00 EDT said with fold=1, where no hour repeats: its two-hour slice starts at 03:00 EDT, not in the skipped hour.
@example(ZoneInfo("America/New_York"), 7200, datetime(2026, 3, 8, tzinfo=UTC), [0], 25200)
def test_the_slices_up_to_a_times_own_are_those_starting_by_it(
    tz: ZoneInfo, seconds: int, day: datetime, offsets: list[int], at: int
) -> None:
    """What count_logins relies on: slices follow one another in time, so the slices starting at or before an
    instant are those up to its own slice, across every clock change."""
    starts = sorted({slice_key(day + timedelta(seconds=one), seconds, tz) for one in offsets})
    when = (day + timedelta(seconds=at)).astimezone(tz)
    for moment in (when, when.replace(fold=1), when.astimezone(UTC)):
        key = slice_key(moment, seconds, tz)
        assert key <= moment
        assert slice_key(key, seconds, tz) == key
        assert bisect.bisect_right(starts, moment) == bisect.bisect_right(starts, key)


@pytest.mark.property
@given(
    st.lists(st.dictionaries(st.sampled_from([f"10.0.0.{n}" for n in range(40)]), st.integers(0, 6)), max_size=6),
    st.integers(0, 12),
    st.sampled_from([hash, len, lambda key: 0]),
)
def test_the_top_of_added_counts_is_the_top_of_their_sum(
    parts: list[dict[str, int]], size: int, hashing: Callable[[str], int]
) -> None:
    """The largest of the counts parts add up to, ties by name, found by hash groups (every key of its own, keys
    sharing a group by length, or all in one group) and not by adding every key up: the same as adding up."""
    expected = [(key, value) for key, value in top_counts(sums.added_reference(parts), size)]
    assert sums.top_of_added(parts, size, small=0, hashing=hashing) == expected
    assert sums.top_of_added(parts, size, small=40, hashing=hashing, distinct=40) == expected  # 40 keys: one map


@given(
    st.sets(st.sampled_from([f"10.0.0.{n}" for n in range(40)])),
    st.lists(st.sets(st.sampled_from([f"10.0.0.{n}" for n in range(40)])), max_size=6),
    st.sampled_from([hash, len, lambda key: 0, lambda key: 1 << 62 if key.endswith("7") else -(1 << 62)]),
)
def test_the_keys_missing_from_every_part_are_found_by_hash(
    keys: set[str], parts: list[set[str]], hashing: Callable[[str], int]
) -> None:
    """The keys no part holds, found in sorted arrays of hashes (every key its own hash, keys sharing one by
    length, all sharing one, hashes at both ends of the range): the same as gathering every part's keys."""
    parts = [part & keys for part in parts]  # every key of a part is one of the keys
    expected = {key for key in keys if not any(key in part for part in parts)}
    assert sums.missing(keys, parts, small=0, hashing=hashing) == expected
    assert sums.missing(keys, parts) == expected


def test_a_timeline_made_without_the_scanners_sums_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no compiler built the scanner, the references in sums.py make the timeline: its slices' sums by
    country and by network, its top lists and the failures before each login, the same as the scanner's."""

    def made() -> tuple[Any, ...]:
        tally, _ = tallied([str(DEMO)], True)
        timeline = timeline_of(tally, networks=network_map(tally.country_of, None))
        assert timeline is not None
        tops = [(top_counts(one.sources, 5), top_counts(one.users, 5)) for one in timeline.slices]
        return timeline.slices, timeline.logins, timeline.compromises, timeline.top_sources(20), tops

    fast = made()
    monkeypatch.setattr(sums, "_NATIVE", None)
    assert made() == fast
    assert any(one.networks for one in fast[0]) and fast[1] and fast[3]  # what is compared is there

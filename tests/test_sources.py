"""Inputs as users have them: every timestamp format, compressed and rotated files, stdin, bad bytes."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_regressions.data_regression import DataRegressionFixture

from honeycast.errors import InputError
from honeycast.events import event_record
from honeycast.geo import Geolocator
from honeycast.readers import locate
from honeycast.scan import ReadOptions, SilentReporter, read_events, tally_logs
from honeycast.timeline import timeline_of

FORMATS = Path(__file__).parent / "data" / "formats"


def records(logs: list[str], year: int | None = 2026) -> list[dict[str, Any]]:
    read = ReadOptions(logs=logs, year=year, tz=UTC)
    with Geolocator() as geo:
        return [event_record(event, country) for event, country in locate(read_events(read, SilentReporter()), geo)]


@pytest.mark.parametrize(
    "name", ["classic.log", "rfc3339.log", "rfc5424.log", "short-iso.log", "short-precise.log", "journal.json"]
)
def test_golden_event_stream(name: str, data_regression: DataRegressionFixture) -> None:
    data_regression.check(records([str(FORMATS / name)]), basename=f"events-{name.replace('.', '-')}")  # type: ignore[arg-type]  # a list, as the golden files hold


def test_golden_new_year(data_regression: DataRegressionFixture) -> None:
    events = records([str(FORMATS / "new-year.log")], year=2025)
    assert [event["time"] for event in events] == [
        "2025-12-31T23:59:58+00:00",
        "2026-01-01T00:00:01+00:00",
        "2026-01-01T00:00:03+00:00",
    ]
    data_regression.check(events)  # type: ignore[arg-type]  # a list, as the golden file holds


def test_year_from_modification_time_keeps_a_log_before_it(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes((FORMATS / "new-year.log").read_bytes())
    written = datetime(2026, 1, 2, 8, 0).timestamp()
    os.utime(log, (written, written))
    assert [event["time"][:10] for event in records([str(log)], year=None)] == [
        "2025-12-31",
        "2026-01-01",
        "2026-01-01",
    ]


@pytest.mark.parametrize("opener", [gzip.open, bz2.open, lzma.open], ids=["gz", "bz2", "xz"])
def test_compressed_inputs(tmp_path: Path, opener: object) -> None:
    suffix = {gzip.open: ".gz", bz2.open: ".bz2", lzma.open: ".xz"}[opener]  # type: ignore[index]
    packed = tmp_path / f"auth.log.2{suffix}"
    with opener(packed, "wb") as stream:  # type: ignore[operator]
        stream.write((FORMATS / "classic.log").read_bytes())
    assert records([str(packed)]) == records([str(FORMATS / "classic.log")])


def test_rotated_set_is_merged_in_time_order(tmp_path: Path) -> None:
    lines = (FORMATS / "classic.log").read_text().splitlines()
    older, newer = tmp_path / "auth.log.1.gz", tmp_path / "auth.log"
    with gzip.open(older, "wt") as stream:
        stream.write("\n".join(lines[:3]) + "\n")
    newer.write_text("\n".join(lines[4:]) + "\n")
    merged = records([str(newer), str(older)])
    assert [event["time"] for event in merged] == sorted(event["time"] for event in merged)
    assert len(merged) == 5  # four lines, and a probe decided when the input ends


def test_glob_pattern_names_the_files_it_matches(tmp_path: Path) -> None:
    for index in range(3):
        (tmp_path / f"auth.log.{index}").write_bytes((FORMATS / "classic.log").read_bytes())
    assert len(records([str(tmp_path / "auth.log.*")])) == 3 * len(records([str(FORMATS / "classic.log")]))
    with pytest.raises(InputError, match=r"nothing\*: no file matches"):
        records([str(tmp_path / "nothing*")])


def test_bad_bytes_and_crlf_are_tolerated(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(
        b"Nov 30 06:25:03 bastion sshd[1]: Failed password for invalid user \xff\xfe from 218.92.0.31 port 1 ssh2\r\n"
        b"\x00\x01\x02 binary noise \xc3\r\n"
        b"Nov 30 06:25:04 bastion sshd[2]: Failed password for root from 218.92.0.32 port 2 ssh2\r\n"
    )
    events = records([str(log)])
    assert [(event["user"], event["source_ip"], event["source_port"]) for event in events] == [
        ("\ufffd\ufffd", "218.92.0.31", 1),
        ("root", "218.92.0.32", 2),
    ]


def test_large_files_counted_on_all_cores_match_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import honeycast.ranges

    demo = Path(__file__).parents[1] / "examples" / "demo-auth.log"
    monkeypatch.setattr(honeycast.ranges, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(honeycast.ranges, "BLOCK_BYTES", 4096)
    read = ReadOptions(logs=[str(demo)], year=2026, tz=UTC)
    alone = timeline_of(tally_logs(read, 600, SilentReporter(), workers=1))
    shared = timeline_of(tally_logs(read, 600, SilentReporter(), workers=2))
    assert alone is not None and shared is not None
    assert shared.totals == alone.totals
    assert shared.events == alone.events
    assert shared.distinct_addresses == alone.distinct_addresses
    # Probes may move by one at each of the cuts (a connection seen in two halves).
    assert abs(sum(shared.probe_totals.values()) - sum(alone.probe_totals.values())) <= 8


def test_a_rotated_set_counted_side_by_side_matches_one_process(tmp_path: Path) -> None:
    demo = (Path(__file__).parents[1] / "examples" / "demo-auth.log").read_text().splitlines(keepends=True)
    third = len(demo) // 3
    (tmp_path / "auth.log").write_text("".join(demo[2 * third :]))
    with gzip.open(tmp_path / "auth.log.1.gz", "wt") as stream:
        stream.write("".join(demo[third : 2 * third]))
    with lzma.open(tmp_path / "auth.log.2.xz", "wt") as stream:
        stream.write("".join(demo[:third]))
    read = ReadOptions(logs=[str(tmp_path / "auth.log*")], year=2026, tz=UTC)
    alone = timeline_of(tally_logs(read, 600, SilentReporter(), workers=1))
    shared = timeline_of(tally_logs(read, 600, SilentReporter(), workers=2))
    assert alone is not None and shared == alone

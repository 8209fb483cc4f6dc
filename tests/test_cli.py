"""The command line as a user meets it: output, help, and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from files import SMALL_LOG
from typer.testing import CliRunner

from honeycast.archive import HISTORY_VERSION
from honeycast.cli import app
from honeycast.privacy import host_label
from honeycast.stopwatch import STAGES

runner = CliRunner()


def test_parse_prints_one_json_object_per_event() -> None:
    result = runner.invoke(app, ["parse", str(SMALL_LOG), "--year", "2026", "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 18  # 16 lines, and the probes of two connections, decided once they are over
    assert [(one["time"][11:19], one["count"]) for one in records if one["probe"]] == [("06:13:01", 0), ("06:14:00", 0)]
    assert set(records[0]) == {
        "time",
        "host",
        "program",
        "pid",
        "kind",
        "source_ip",
        "source_host",
        "source_port",
        "user",
        "method",
        "count",
        "attempts",
        "probe",
        "country",
        "network",
        "network_name",
    }
    assert records[2] == {
        "time": "2026-11-29T06:01:15+00:00",
        "host": "web-1",
        "program": "sshd",
        "pid": 2001,
        "kind": "failed",
        "source_ip": "61.177.172.19",
        "source_port": 50122,
        "user": "oracle",
        "method": "password",
        "count": 3,
        "attempts": 3,
        "probe": False,
        "source_host": None,
        "country": "CN",
        "network": "AS4134",  # 61.177.0.0/16 is announced by Chinanet's backbone
        "network_name": "Chinanet",
    }
    assert {record["kind"] for record in records} == {
        "failed",
        "invalid_user",
        "accepted",
        "pam_failure",
        "received_disconnect",
        "disconnected",
    }
    assert sum(record["attempts"] for record in records) == 11
    assert [r["country"] for r in records if r["source_ip"] == "10.0.4.7"] == ["private"]
    assert [record["source_ip"] for record in records if record["probe"]] == ["203.0.113.77", "45.148.10.240"]


def test_parse_kinds_filter() -> None:
    result = runner.invoke(app, ["parse", str(SMALL_LOG), "--year", "2026", "--kinds", "accepted,invalid_user"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["kind"] for line in result.stdout.splitlines()] == [
        "invalid_user",
        "invalid_user",
        "accepted",
    ]
    result = runner.invoke(app, ["parse", str(SMALL_LOG), "--year", "2026", "--kinds", "all"])
    # the session-opened line is an sshd line of no known family; two records are probes decided later
    assert len(result.stdout.splitlines()) == 19
    result = runner.invoke(app, ["parse", str(SMALL_LOG), "--kinds", "failed,nonsense"])
    assert result.exit_code == 2 and "--kinds 'failed,nonsense': unknown kind nonsense" in _error_line(result)


def test_parse_reads_standard_input() -> None:
    line = "Nov 29 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
    result = runner.invoke(app, ["parse", "-", "--year", "2025", "--tz", "Europe/Berlin"], input=line)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["time"], record["country"]) == ("2025-11-29T06:04:42+01:00", "US")


@pytest.mark.parametrize("command", ["build", "parse"])
def test_help_shows_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"honeycast {command} /var/log/auth.log" in result.output


def test_version_and_completion_follow_the_conventions() -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and re.fullmatch(r"honeycast \d+\.\d+\.\d+\S*\n", version.stdout)
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout


@pytest.mark.parametrize(("command", "usage"), [("build", "LOG... OUT"), ("parse", "LOG..."), ("serve", "OUT")])
def test_help_names_the_arguments_and_shows_no_placeholder_for_flags(command: str, usage: str) -> None:
    result = runner.invoke(app, [command, "--help"], terminal_width=160)
    assert result.exit_code == 0
    assert re.search(rf"Usage: .* {command} \[OPTIONS\] {re.escape(usage)}\s*$", result.stdout, re.MULTILINE)
    assert "<bool>" not in result.stdout and "{" not in result.stdout.splitlines()[1]


def test_theme_choices_are_the_themes_the_maps_know() -> None:
    from honeycast.look import THEMES, ThemeName

    assert {theme.value for theme in ThemeName} == set(THEMES)
    result = runner.invoke(app, ["build", str(SMALL_LOG), "out", "--theme", "sepia"])
    assert result.exit_code == 2 and "sepia" in result.stderr


def test_quiet_and_verbose_builds(tmp_path: Path) -> None:
    args = ["build", str(SMALL_LOG), str(tmp_path / "site"), "--year", "2026", "--tz", "UTC", "--no-frames"]
    quiet = runner.invoke(app, [*args, "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    verbose = runner.invoke(app, [*args, "-v"])
    assert verbose.exit_code == 0
    assert verbose.stdout.startswith("11 attempts from 5 countries")  # no blank line before the summary
    # results (what was written, what to paste) on standard output; what was assumed and where time went on error
    assert "  wrote " in verbose.stdout and "paste it" in verbose.stdout and "done in" in verbose.stdout
    assert "wrote" not in verbose.stderr and "paste it" not in verbose.stderr
    assert "span 2026-11-29" in verbose.stderr and "span " not in verbose.stdout
    assert "sshd events read: failed 11, disconnected 2, invalid_user 2, accepted 1," in verbose.stderr
    stages = re.search(r"^time: (.*)$", verbose.stderr, re.MULTILINE)
    assert stages is not None, verbose.stderr
    assert [part.split()[0] for part in stages[1].split(" · ")] == list(STAGES)
    assert all(float(part.split()[1]) >= 0 for part in stages[1].split(" · "))


def test_module_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "honeycast", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "build" in result.stdout and "parse" in result.stdout


def _error_line(result: Any) -> str:
    stderr: str = result.stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["build", "x.log", "out", "--theme", "blue"],
            "Invalid value for '--theme': 'blue' is not one of 'dark', 'light'",
        ),
        (["build", "x.log", "out", "--afterglow", "-1"], "Invalid value for '--afterglow'"),
        (["build", "x.log", "out", "--frame"], "No such option: --frame"),
        (["parse"], "Missing argument 'LOG...'"),
        (["bogus"], "No such command 'bogus'"),
    ],
    ids=["choice", "range", "unknown option", "missing argument", "unknown command"],
)
def test_a_mistake_in_the_command_line_is_one_line(arguments: list[str], expected: str) -> None:
    """As every other error: one line naming what is wrong and where the command's help is, exit status 2."""
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    assert line.startswith(f"honeycast: error: {expected}"), line
    assert line.endswith("--help)"), line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_parse_to_a_full_disk_is_one_line_and_a_closed_pipe_is_quiet() -> None:
    command = [sys.executable, "-m", "honeycast", "parse", str(SMALL_LOG), "--year", "2026", "--tz", "UTC"]
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert result.returncode == 3
    assert result.stderr == "honeycast: error: standard output: cannot write: No space left on device\n"
    # `| head -1`: the reader goes away after one line; nothing is said and nothing fails.
    piped = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert piped.stdout is not None and piped.stderr is not None
    assert piped.stdout.readline().startswith(b"{")
    piped.stdout.close()
    assert piped.wait(timeout=60) == 0
    assert piped.stderr.read() == b""


def test_out_is_a_folder_not_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", str(SMALL_LOG), "-", "--year", "2026", "--no-frames"])
    assert result.exit_code == 2
    assert _error_line(result).startswith("honeycast: error: OUT '-': a site is a folder")
    assert list(tmp_path.iterdir()) == []


def test_a_linked_out_is_written_where_it_points_build_after_build(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "site"
    link.symlink_to(real)
    for _ in range(2):
        result = runner.invoke(app, ["build", str(SMALL_LOG), str(link), "--year", "2026", "--no-frames", "-q"])
        assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "index.html").is_file()
    assert sorted(one.name for one in tmp_path.iterdir()) == ["real", "site"]  # no folder left beside them


def test_build_help_shows_what_a_new_user_needs_first() -> None:
    """The options grouped: the first screen of an 80-column terminal holds the usage and the options most builds
    use; the rest come under headings."""
    result = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    first_screen = "\n".join(lines[:30])
    for option in ("LOG... OUT", "--slice", "--title", "--append"):
        assert option in first_screen, option
    headings = [line for line in lines if line.startswith("╭─ ")]
    assert [heading.split("─ ")[1].split(" ─")[0] for heading in headings] == [
        "Arguments", "Options", "What the logs are", "Maps and time-lapse", "What the site shows",
        "How the build runs",
    ]  # fmt: skip
    assert len(lines) < 120


def test_parse_help_lists_every_kind() -> None:
    from honeycast.events import EventKind

    result = runner.invoke(app, ["parse", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert all(kind.value in result.stdout for kind in EventKind)
    assert "see README" not in result.stdout


def test_one_slice_is_said_so(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("Dec  6 06:25:03 web sshd[5151]: Failed password for root from 61.177.172.19 port 50122 ssh2\n")
    result = runner.invoke(
        app, ["build", str(log), str(tmp_path / "site"), "--year", "2026", "--tz", "UTC", "--no-frames"]
    )
    assert result.exit_code == 0, result.output
    assert ": 1 slice of 10 min" in result.stderr, result.stderr


def test_missing_log_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = runner.invoke(app, ["build", str(missing), str(tmp_path / "site")])
    assert result.exit_code == 2
    assert _error_line(result) == f"honeycast: error: {missing}: no such file"
    assert not (tmp_path / "site").exists()


def test_directory_as_log(tmp_path: Path) -> None:
    result = runner.invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 2
    assert _error_line(result) == f"honeycast: error: {tmp_path}: is a directory, not a log file"


def test_log_without_sshd_events(tmp_path: Path) -> None:
    log = tmp_path / "cron.log"
    log.write_text("Nov 29 06:00:02 h CRON[1]: pam_unix(cron:session): session opened for user root\n")
    result = runner.invoke(app, ["build", str(log), str(tmp_path / "site"), "--year", "2026"])
    assert result.exit_code == 2
    assert _error_line(result) == (
        f"honeycast: error: {log}: no sshd lines found (read as classic syslog, RFC 3339, RFC 5424 and "
        "journalctl -o json; programs sshd, sshd-session)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cron.log"]


def test_bad_slice_and_zone(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(tmp_path / "s"), "--slice", "7m"])
    assert result.exit_code == 2 and "--slice '7m'" in _error_line(result)
    result = runner.invoke(app, ["parse", str(SMALL_LOG), "--tz", "Mars/Olympus"])
    assert result.exit_code == 2 and "--tz 'Mars/Olympus': unknown time zone" in _error_line(result)


def test_year_outside_what_a_date_can_hold_is_a_usage_error(tmp_path: Path) -> None:
    for year in ("0", "10000", "3000000000"):
        result = runner.invoke(app, ["build", str(SMALL_LOG), str(tmp_path / "s"), "--year", year])
        assert result.exit_code == 2, result.output
        assert _error_line(result) == f"honeycast: error: --year {year}: expected a year from 1 to 9999"
    assert not (tmp_path / "s").exists()


def test_the_build_says_what_it_assumed(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(SMALL_LOG.read_bytes())
    modified = 1_764_547_200  # 2025-12-01 00:00 UTC: the November stamps are that year's
    import os

    os.utime(log, (modified, modified))
    result = runner.invoke(app, ["build", str(log), str(tmp_path / "s"), "--tz", "UTC", "--no-frames"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "span 2025-11-29 06:00 to 2025-11-29 07:00 UTC: 6 slices of 10 min" in lines
    assert f"yearless timestamps of {log} read as 2025 (the file's modification time; --year to change it)" in lines


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, "144 slices of 10 min"), (7, "168 slices of 1 h"), (31, "124 slices of 6 h"), (365, "365 slices of 1 day")],
)
def test_slice_auto_follows_the_span(tmp_path: Path, days: int, expected: str) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "2026-01-01T00:00:01Z h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        f"2026-01-{days:02d}T23:59:59Z h sshd[2]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        if days <= 31
        else "2026-01-01T00:00:01Z h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        "2026-12-31T23:59:59Z h sshd[2]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
    )
    result = runner.invoke(app, ["build", str(log), str(tmp_path / "s"), "--tz", "UTC", "--no-frames"])
    assert result.exit_code == 0, result.output
    assert expected in result.stderr
    assert "warning" not in result.stderr


def test_slice_lengths_in_days_and_seconds(tmp_path: Path) -> None:
    for text, expected, per in (
        ("1d", "1 slice of 1 day", "day"),
        ("90s", "40 slices of 90 s", "90 s"),
        ("1h", "1 slice of 1 h", "hour"),
        ("1m", "59 slices of 1 min", "minute"),
    ):
        out = tmp_path / text
        args = ["build", str(SMALL_LOG), str(out), "--year", "2026", "--tz", "UTC", "--no-frames", "--slice", text]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert expected in result.stderr
        assert json.loads((out / "data" / "slices.json").read_text(encoding="utf-8"))["per_slice"] == per


def test_slices_that_are_not_whole_minutes_are_labelled_to_the_second() -> None:
    from datetime import UTC, datetime, timedelta

    from honeycast.render import slice_label
    from honeycast.timeline import Slice

    start = datetime(2026, 11, 29, 6, 1, 30, tzinfo=UTC)
    one = Slice(start, start + timedelta(seconds=90), {})
    assert slice_label(one, 90) == "Sun 29 Nov 2026 · 06:01:30–06:03:00 UTC"
    assert slice_label(Slice(start, start + timedelta(minutes=10), {}), 600) == "Sun 29 Nov 2026 · 06:01–06:11 UTC"


def test_failure_lines_that_count_nothing_are_worth_a_warning(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 29 06:00:00 h sshd[1]: Connection from 8.8.8.8 port 1 on 10.0.0.1 port 22\n"
        # a user name that gives the line a second address, in a process no other line names
        "Nov 29 06:00:01 h sshd[2]: Failed publickey for a from 8.8.8.8 port 22 ssh2: RSA SHA256:x, "
        "from 45.1.2.3 port 9 ssh2: RSA SHA256:y\n"
    )
    args = ["build", str(log), str(tmp_path / "s"), "--year", "2026", "--tz", "UTC", "--no-frames"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (
        f"honeycast: warning: {log}: 1 failed-login line read, but no attempt or probe could be counted "
        "(see README: What counts as an attempt)"
    ) in result.stderr.splitlines()
    strict = runner.invoke(app, [*args, "--strict"])
    assert strict.exit_code == 2


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.write_text("mine")
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out)])
    assert result.exit_code == 3
    assert _error_line(result) == f"honeycast: error: {out}: exists and is not a folder"
    assert out.read_text() == "mine"


def test_foreign_folder_is_left_alone_without_force(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), "--year", "2026"])
    assert result.exit_code == 3
    assert "not written by honeycast" in _error_line(result)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_build_summary_and_rebuild_over_its_own_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["build", str(SMALL_LOG), str(out), "--year", "2026", "--tz", "UTC", "--slice", "30m"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "11 attempts from 5 countries, 2 probes" in first.stdout
    assert "span 2026-11-29 06:00 to 2026-11-29 07:00 UTC: 2 slices of 30 min" in first.stderr
    assert "yearless timestamps read as 2026 (--year)" in first.stderr
    assert "geo-whois-asn-country" in first.stdout and "database built 2026-06-17" in first.stdout
    assert f"wrote {out / 'timelapse.mp4'}" in first.stdout
    assert len(list((out / "frames").glob("*.png"))) == 2
    (out / "frames" / "0007.png").write_bytes(b"stale")  # left over from an older, longer build
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in (out / "frames").iterdir()) == ["0000.png", "0001.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_serve_previews_a_built_site_until_interrupted(small_site_path: Path, tmp_path: Path) -> None:
    import shutil
    import signal
    import urllib.error
    import urllib.request

    site = tmp_path / "site"
    shutil.copytree(small_site_path, site)
    (site / "leak").symlink_to("/etc")  # links out of the site are never followed
    (site / "passwd.html").symlink_to("/etc/passwd")
    process = subprocess.Popen(
        [sys.executable, "-m", "honeycast", "serve", str(site), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )

    def status(path: str, host: str | None = None) -> int:
        request = urllib.request.Request(base + path, headers={"Host": host} if host else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
        assert found, line
        base = found[1]
        with urllib.request.urlopen(base + "index.html", timeout=10) as response:
            assert response.status == 200
            assert b"<title>web-1 test</title>" in response.read()
        assert status("") == 200 and status("data/slices.json") == 200
        assert status("leak/passwd") == 404 and status("passwd.html") == 404
        assert status("frames/") == 404 and status("data/") == 404  # no listings
        assert status("../../etc/passwd") == 404
        assert status("index.html", host=f"localhost:{found[2]}") == 200
        assert status("index.html", host="attacker.example") == 421  # DNS rebinding
        assert status("index.html", host="127.0.0.1.attacker.example:80") == 421
        assert status("index.html%00.png") == 404 and status("%00") == 404  # a NUL in the path: no such file
        # Parts of the video, as Safari and iOS ask for them before they play an MP4
        video = (site / "timelapse.mp4").read_bytes()
        for asked, first, last in (
            ("bytes=0-1", 0, 1),
            ("bytes=100-", 100, len(video) - 1),
            ("bytes=-10", len(video) - 10, len(video) - 1),
        ):
            request = urllib.request.Request(base + "timelapse.mp4", headers={"Range": asked})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 206, asked
                assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(video)}"
                assert response.read() == video[first : last + 1]
        request = urllib.request.Request(base + "timelapse.mp4", headers={"Range": f"bytes={len(video)}-"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("a range past the end was served")
        except urllib.error.HTTPError as error:
            assert error.code == 416 and error.headers["Content-Range"] == f"bytes */{len(video)}"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()


def test_serve_refuses_a_folder_honeycast_did_not_write(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", str(tmp_path)])
    assert result.exit_code == 2
    assert _error_line(result) == f"honeycast: error: {tmp_path}: not a site written by honeycast build"


def test_default_zone_is_the_machines_with_daylight_saving(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    lines = (
        "Jul  1 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        "Nov 29 06:04:42 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
    )
    result = runner.invoke(app, ["parse", "-", "--year", "2026"], input=lines)
    assert result.exit_code == 0, result.output
    times = [json.loads(line)["time"] for line in result.stdout.splitlines()]
    assert times == ["2026-07-01T06:04:42+02:00", "2026-11-29T06:04:42+01:00"]


def test_base_url_gives_absolute_snippets_link_previews_and_oembed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    title = 'bastion [1] | "night" <b>'
    args = ["build", str(SMALL_LOG), str(out), "--year", "2026", "--tz", "UTC", "--no-frames", "--gif"]
    result = runner.invoke(app, [*args, "--title", title, "--base-url", "https://alice.example.org/ssh"])
    assert result.exit_code == 0, result.output
    base = "https://alice.example.org/ssh/"
    lines = result.stdout.splitlines()
    assert lines[lines.index("paste it:") + 1].endswith(
        f'<iframe src="{base}embed.html" width="640" height="420" style="border:0" loading="lazy" '
        'title="bastion [1] | &quot;night&quot; &lt;b&gt;"></iframe>'
    )
    assert f'[![bastion \\[1\\] | "night" \\<b\\>]({base}poster.png)]({base})' in result.stdout
    assert f'[[File:timelapse.gif|bastion &#91;1&#93; &#124; "night" <b>|link={base}]]' in result.stdout
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f'<meta property="og:image" content="{base}poster.png">' in page
    assert '<meta property="og:title" content="bastion [1] | &quot;night&quot; &lt;b&gt;">' in page
    assert '<meta property="og:description" content="11 failed SSH logins by country, Sun 29 Nov 2026">' in page
    assert f'<link rel="alternate" type="application/json+oembed" href="{base}oembed.json">' in page
    oembed = json.loads((out / "oembed.json").read_text(encoding="utf-8"))
    assert (oembed["type"], oembed["version"], oembed["width"], oembed["height"]) == ("rich", "1.0", 640, 420)
    assert oembed["thumbnail_url"] == f"{base}poster.png" and f'src="{base}embed.html"' in oembed["html"]


def test_without_base_url_the_snippets_are_relative_and_there_are_no_previews(tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["build", str(SMALL_LOG), str(out), "--year", "2026", "--tz", "UTC", "--no-frames"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "paste it (links relative to the site; --base-url makes them absolute):" in result.stdout
    assert '<iframe src="site/embed.html"' in result.stdout
    assert "MediaWiki" not in result.stderr  # it links only to absolute addresses
    assert "og:" not in (out / "index.html").read_text(encoding="utf-8")
    assert not (out / "oembed.json").exists()


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org/site", "https://", "https://x.org/?a=1"])
def test_a_base_url_that_is_no_web_address_is_refused(tmp_path: Path, url: str) -> None:
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(tmp_path / "s"), "--base-url", url])
    assert result.exit_code == 2
    assert _error_line(result).startswith(f"honeycast: error: --base-url {url!r}: expected the address")


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        ("2026-11-29 00:00", "2026-11-29 23:59", "Sun 29 Nov 2026"),
        ("2026-11-23 00:00", "2026-11-29 23:00", "23–29 Nov 2026"),
        ("2026-11-28 00:00", "2026-12-03 06:00", "28 Nov – 3 Dec 2026"),
        ("2026-12-28 00:00", "2027-01-03 06:00", "28 Dec 2026 – 3 Jan 2027"),
    ],
)
def test_periods_read_as_people_write_them(first: str, last: str, text: str) -> None:
    from datetime import datetime

    from honeycast.slicing import period_text

    assert period_text(datetime.fromisoformat(first), datetime.fromisoformat(last)) == text


def test_parse_with_strict_prints_what_it_read_then_fails_for_what_it_skipped(tmp_path: Path) -> None:
    empty = tmp_path / "auth.log.1"
    empty.write_text("")
    result = runner.invoke(app, ["parse", str(SMALL_LOG), str(empty), "--year", "2026", "--tz", "UTC", "--strict"])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 18
    assert _error_line(result) == f"honeycast: error: {empty}: empty file, skipped (--strict)"


def _site_files(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


def test_append_keeps_the_history_and_refuses_what_does_not_fit_it(tmp_path: Path) -> None:
    out = tmp_path / "site"
    base = ["--year", "2026", "--tz", "UTC", "--no-frames", "-q"]
    first = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *base])
    assert first.exit_code == 0, first.output
    kept = _site_files(out)
    # the same log again adds nothing: no failure (a quiet night), one line, and the site as it was
    again = runner.invoke(app, ["build", str(SMALL_LOG), str(out), "--append", *base])
    assert again.exit_code == 0
    assert _error_line(again) == (
        f"honeycast: {SMALL_LOG}: nothing new: every line was counted by an earlier build; {out} is as it was"
    )
    assert _site_files(out) == kept
    index = out / "data" / "history" / "index.json"
    for options, message in (
        (
            ["--slice", "1h"],
            f"{index}: the history is kept in slices of 600 s; --append keeps them (leave out --slice)",
        ),
        (["--tz", "Europe/Berlin"], f"{index}: the history is kept in UTC; build with --tz UTC"),
    ):
        refused = runner.invoke(app, ["build", str(SMALL_LOG), str(out), "--append", *base, *options])
        assert refused.exit_code == 2, refused.output
        assert _error_line(refused) == f"honeycast: error: {message}"
        assert _site_files(out) == kept
    good = json.loads(index.read_text())
    for text, message in (
        ("{not json", f"{index}: cannot read the site's history: "),
        (json.dumps({"version": 1}), f"{index}: slice_seconds: missing"),
        (
            json.dumps({**good, "days": [{"day": "../../x"}]}),
            f'{index}: days[0].day: expected a day (YYYY-MM-DD), found "../../x"',
        ),
        (
            json.dumps({**good, "version": 7}),
            f"{index}: history version 7; this honeycast reads 1 to {HISTORY_VERSION}",
        ),
    ):
        index.write_text(text)
        damaged = runner.invoke(app, ["build", str(SMALL_LOG), str(out), "--append", *base])
        assert damaged.exit_code == 2
        assert _error_line(damaged).startswith(f"honeycast: error: {message}")
        assert "Traceback" not in damaged.output


def test_hosts_are_digests_unless_named_or_shown(tmp_path: Path) -> None:
    base = ["--year", "2026", "--tz", "UTC", "--no-frames", "-q"]
    names = {}
    for options in ([], ["--show-hosts"], ["--host", "bastion-1"]):
        out = tmp_path / ("site" + "".join(options))
        result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *base, *options])
        assert result.exit_code == 0, result.output
        document = json.loads((out / "data" / "slices.json").read_text())
        names[tuple(options)] = document["hosts"]
        if not options:  # the server's name is nowhere in what is published
            assert not [name for name, data in _site_files(out).items() if b"web-1" in data]
    assert names[()][0].startswith("host-") and names[()] != ["web-1"]
    assert names[("--show-hosts",)] == ["web-1"]
    assert names[("--host", "bastion-1")] == ["bastion-1"]


def test_inputs_by_url_and_a_scheduler_that_cannot_be_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("honeycast.cluster.CONNECT_TIMEOUT", "1s")  # a refused connection is retried until then
    out = tmp_path / "site"
    by_url = runner.invoke(
        app, ["build", SMALL_LOG.resolve().as_uri(), str(out), "--year", "2026", "--tz", "UTC", "--no-frames", "-q"]
    )
    assert by_url.exit_code == 0, by_url.output
    by_path = runner.invoke(
        app, ["build", str(SMALL_LOG), str(tmp_path / "b"), "--year", "2026", "--tz", "UTC", "--no-frames", "-q"]
    )
    assert by_path.exit_code == 0, by_path.output
    assert (out / "data" / "slices.json").read_bytes() == (tmp_path / "b" / "data" / "slices.json").read_bytes()
    missing = runner.invoke(app, ["build", "file:///nowhere/auth.log", str(tmp_path / "c")])
    assert missing.exit_code == 2
    assert _error_line(missing) == "honeycast: error: file:///nowhere/auth.log: no such file"
    unreachable = runner.invoke(app, ["build", str(SMALL_LOG), str(tmp_path / "d"), "--dask", "tcp://127.0.0.1:9"])
    assert unreachable.exit_code == 2
    assert _error_line(unreachable).startswith(
        "honeycast: error: --dask tcp://127.0.0.1:9: cannot reach the scheduler: "
    )
    assert not (tmp_path / "d").exists()


def test_host_for_one_log_names_that_log_only(tmp_path: Path) -> None:
    first, second, third = (tmp_path / f"{name}.log" for name in ("a", "b", "c"))
    text = SMALL_LOG.read_text()
    first.write_text(text)
    second.write_text(text.replace("61.177.172.19", "218.92.0.31"))
    third.write_text(text.replace("61.177.172.19", "45.135.232.18"))
    out = tmp_path / "site"
    logs = [str(first), str(second), str(third)]
    options = ["--host", f"edge-a={first}", "--host", f"edge-b={tmp_path}/b.*", "--no-frames", "-q"]
    result = runner.invoke(app, ["build", *logs, str(out), "--year", "2026", "--tz", "UTC", *options])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "data" / "slices.json").read_text())
    # the third log keeps the host its lines name (web-1), published as a digest
    assert document["hosts"] == sorted(["edge-a", "edge-b", host_label("web-1", False)])
    busy = next(one for one in document["slices"] if one["counts"].get("CN"))
    web = host_label("web-1", False)
    assert busy["hosts"]["edge-a"]["counts"] == busy["hosts"]["edge-b"]["counts"] == {"CN": 4, "US": 1}
    assert busy["hosts"][web]["counts"] == {"DE": 4, "US": 1}  # its 61.177.172.19 is 45.135.232.18 there
    assert busy["counts"] == {"CN": 8, "DE": 4, "US": 3}
    for value, message in (
        ("=a.log", "--host '=a.log': expected NAME, or NAME=LOG"),
        ("x=", "--host 'x=': expected NAME, or NAME=LOG"),
    ):
        refused = runner.invoke(app, ["build", *logs, str(tmp_path / "r"), "--host", value])
        assert refused.exit_code == 2
        assert _error_line(refused) == f"honeycast: error: {message}"
    twice = runner.invoke(app, ["build", *logs, str(tmp_path / "r"), "--host", "x", "--host", "y"])
    assert _error_line(twice) == "honeycast: error: --host: one NAME for every log, and NAME=LOG for each other log"

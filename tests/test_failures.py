"""Bad input and failures: one clear line, a documented exit code, nothing lost, the old site intact."""

from __future__ import annotations

import errno
import gzip
import hashlib
import lzma
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from files import DEMO, SMALL_LOG
from imageio_ffmpeg import get_ffmpeg_exe
from typer.testing import CliRunner

import honeycast.png
import honeycast.staging
from honeycast.cli import app

runner = CliRunner()
YEAR = ["--year", "2026", "--tz", "UTC"]


def snapshot(folder: Path, leave_out: Path | None = None) -> dict[str, str]:
    """Return a hash of every file below ``folder`` (but ``leave_out``), to prove nothing else changed."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (leave_out is None or leave_out not in path.parents):
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def stderr_lines(result: object) -> list[str]:
    text: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in text
    return text.strip().splitlines()


def build(tmp_path: Path, *logs: Path | str, extra: tuple[str, ...] = ()) -> tuple[object, Path]:
    out = tmp_path / "site"
    before = snapshot(tmp_path, leave_out=out)
    result = runner.invoke(app, ["build", *map(str, logs), str(out), *YEAR, "--size", "640x360", *extra])
    assert snapshot(tmp_path, leave_out=out) == before, "a file outside OUT changed"
    return result, out


def test_empty_file_alone_is_an_error_that_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "auth.log"
    empty.write_text("")
    result, out = build(tmp_path, empty)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    lines = stderr_lines(result)
    assert lines[0] == f"honeycast: warning: {empty}: empty file, skipped"
    assert lines[-1].startswith(f"honeycast: error: {empty}: no sshd lines found")
    assert not out.exists()


def test_empty_file_beside_a_good_one_is_skipped(tmp_path: Path) -> None:
    empty = tmp_path / "auth.log.1"
    empty.write_text("")
    result, out = build(tmp_path, SMALL_LOG, empty)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"honeycast: warning: {empty}: empty file, skipped" in stderr_lines(result)
    assert (out / "index.html").exists()


def test_strict_turns_a_skipped_input_into_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "auth.log.1"
    empty.write_text("")
    result, out = build(tmp_path, SMALL_LOG, empty, extra=("--strict",))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert stderr_lines(result) == [f"honeycast: error: {empty}: empty file, skipped (--strict)"]
    assert not out.exists()


def test_strict_reports_every_problem_in_one_run(tmp_path: Path) -> None:
    empty = tmp_path / "auth.log.1"
    empty.write_text("")
    journal = tmp_path / "system.journal"
    journal.write_bytes(b"LPKSHHRH" + bytes(64))
    result, out = build(tmp_path, SMALL_LOG, empty, journal, extra=("--strict",))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    lines = stderr_lines(result)
    assert lines[0] == f"honeycast: error: {empty}: empty file, skipped (--strict)"
    assert lines[1].startswith(f"honeycast: error: {journal}: a binary systemd journal file, skipped")
    assert len(lines) == 2 and not out.exists()


def test_binary_journal_is_skipped_with_a_hint(tmp_path: Path) -> None:
    journal = tmp_path / "system.journal"
    journal.write_bytes(b"LPKSHHRH" + bytes(4000))
    result, _ = build(tmp_path, SMALL_LOG, journal)
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert any(
        "a binary systemd journal file, skipped; pipe `journalctl -o json`" in line for line in stderr_lines(result)
    )


def test_binary_garbage(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(random.Random(1).randbytes(200_000))
    result, _ = build(tmp_path, garbage)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    lines = stderr_lines(result)
    assert f"honeycast: warning: {garbage}: looks like binary data, not a text log; reading it anyway" in lines
    assert lines[-1].startswith(f"honeycast: error: {garbage}: no sshd lines found")


@pytest.mark.parametrize(("suffix", "packer"), [(".gz", gzip.compress), (".xz", lzma.compress)])
def test_truncated_compressed_log_uses_what_decodes(
    tmp_path: Path, suffix: str, packer: Callable[[bytes], bytes]
) -> None:
    packed = packer(DEMO.read_bytes())
    cut = tmp_path / f"auth.log.2{suffix}"
    cut.write_bytes(packed[: len(packed) // 2])
    result, out = build(tmp_path, cut, extra=("--no-frames",))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    warning = next(line for line in stderr_lines(result) if "warning" in line)
    assert warning.startswith(f"honeycast: warning: {cut}: compressed data ends early")
    assert "using the" in warning and "lines before it" in warning
    assert (out / "index.html").exists()


def test_a_10_mb_line_is_skipped(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        SMALL_LOG.read_text()
        + "Nov 29 06:30:00 web-1 sshd[1]: Failed password for invalid user "
        + "A from 1.2.3.4 " * 700_000
        + "\n"
    )
    result, _ = build(tmp_path, log, extra=("--no-frames",))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"honeycast: warning: {log}: skipped 1 line longer than 64 KiB" in stderr_lines(result)


YEARS_APART = (
    "2019-03-01T10:00:00+00:00 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
    "2026-11-29T10:00:00+00:00 h sshd[2]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
)


def test_timestamps_years_apart_in_ten_minute_slices_are_refused_with_advice(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(YEARS_APART)
    result, out = build(tmp_path, log, extra=("--slice", "10m"))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert stderr_lines(result)[-1] == (
        f"honeycast: error: {log}: events span 2019-03-01 to 2026-11-29, 407,521 slices of 10 min; "
        "use a longer --slice, or check the timestamps (--year, --tz)"
    )
    assert not out.exists()


def test_timestamps_years_apart_build_in_days_with_a_warning(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(YEARS_APART)
    result, _ = build(tmp_path, log, extra=("--no-frames", "--size", "320x180"))  # 2,831 maps: the smallest
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert (
        f"honeycast: warning: {log}: events span 2019-03-01 to 2026-11-29: 2,831 maps of 1 day; "
        "--slice auto or a longer --slice makes fewer"
    ) in stderr_lines(result)
    assert "span 2019-03-01 00:00 to 2026-11-30 00:00 UTC: 2,831 slices of 1 day" in stderr_lines(result)


def test_a_century_of_timestamps_is_refused_before_any_slice_is_made(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "1926-03-01T10:00:00+00:00 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        "2026-11-29T10:00:00+00:00 h sshd[2]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
    )
    result, out = build(tmp_path, log)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert stderr_lines(result)[-1].startswith(
        f"honeycast: error: {log}: events span 1926-03-01 to 2026-11-29, 36,799 slices of 1 day;"
    )
    assert not out.exists()


def test_unreadable_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "auth.log"
    log.write_text("x")

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(log))

    monkeypatch.setattr("honeycast.sources.open", refuse, raising=False)
    result = runner.invoke(app, ["parse", str(log)])
    assert result.exit_code == 2
    assert stderr_lines(result) == [f"honeycast: error: {log}: cannot open: Permission denied"]


def test_out_on_a_read_only_location() -> None:
    result = runner.invoke(app, ["build", str(SMALL_LOG), "/sys/honeycast-site", *YEAR])
    assert result.exit_code == 3
    assert stderr_lines(result) == [
        "honeycast: error: /sys/honeycast-site: cannot write beside it: Operation not permitted"
    ]


def test_disk_full_leaves_the_previous_site_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, out = build(tmp_path, SMALL_LOG)
    assert first.exit_code == 0  # type: ignore[attr-defined]
    previous = snapshot(out)
    calls = 0
    real = honeycast.png.write

    def fill_disk(data: bytes, path: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(data, path)

    monkeypatch.setattr(honeycast.png, "write", fill_disk)
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360"])
    assert result.exit_code == 3
    assert stderr_lines(result) == [f"honeycast: error: {out}: cannot write: No space left on device"]
    assert snapshot(out) == previous
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def _start_build(out: Path) -> subprocess.Popen[str]:
    # One-minute slices make the demo day a build of ~25 s, so an interruption a few seconds in always
    # lands mid-build, however fast the machine.
    return subprocess.Popen(
        [sys.executable, "-m", "honeycast", "build", str(DEMO), str(out), *YEAR, "--slice", "1m"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


@pytest.fixture(scope="module")
def previous_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("previous") / "site"
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360"])
    assert result.exit_code == 0, result.output
    return out


def test_ctrl_c_mid_build_leaves_the_previous_site(previous_site: Path) -> None:
    before = snapshot(previous_site)
    process = _start_build(previous_site)
    time.sleep(3.0)  # well into reading or rendering the demo day
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 130, errors
    assert "Traceback" not in errors
    assert errors.strip().splitlines()[-1] == "honeycast: interrupted"
    assert snapshot(previous_site) == before
    assert [path.name for path in previous_site.parent.iterdir()] == ["site"]


def test_killed_at_random_points_the_previous_site_survives(previous_site: Path) -> None:
    before = snapshot(previous_site)
    rng = random.Random(2026)
    for _ in range(3):
        process = _start_build(previous_site)
        time.sleep(rng.uniform(0.5, 5.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert snapshot(previous_site) == before
    # The next build clears what the killed ones left behind, and replaces the site.
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(previous_site), *YEAR, "--size", "640x360"])
    assert result.exit_code == 0, result.output
    assert [path.name for path in previous_site.parent.iterdir()] == ["site"]


def test_a_killed_builds_ffmpeg_finishing_late_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    stale = tmp_path / ".site.killed12.tmp"  # what a killed build left, its ffmpeg still running
    stale.mkdir()
    (stale / ".honeycast-staging").write_text("")
    real = os.rmdir

    def late_ffmpeg(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith((stale.name, stale.name + ".removed")):
            try:  # the orphaned ffmpeg writes its file by name while the folder is being removed
                (stale / "timelapse.mp4").write_bytes(b"late")
            except FileNotFoundError:
                pass
        real(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", late_ffmpeg)
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--no-frames", "--size", "640x360"])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def test_a_second_build_into_the_same_folder_waits_its_turn(previous_site: Path, tmp_path: Path) -> None:
    before = snapshot(previous_site)
    # The first build's ffmpeg (the real one) starts only when the gate opens: the second build certainly
    # comes while the first is writing, however fast either is.
    gate = tmp_path / "open"
    held = tmp_path / "ffmpeg"
    held.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.02; done\nexec "{get_ffmpeg_exe()}" "$@"\n')
    held.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "honeycast", "build", str(SMALL_LOG), str(previous_site), *YEAR, "--size", "640x360"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "IMAGEIO_FFMPEG_EXE": str(held)},
    )
    try:
        deadline = time.monotonic() + 60
        while not list(previous_site.parent.glob(".site.*.tmp")):  # the first build is writing its site
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        second = runner.invoke(app, ["build", str(SMALL_LOG), str(previous_site), *YEAR, "--no-frames"])
        assert second.exit_code == 3
        assert stderr_lines(second)[-1] == (
            f"honeycast: error: {previous_site}: another honeycast build is writing it; "
            "run this one when it has finished"
        )
        assert snapshot(previous_site) == before
        assert process.poll() is None  # still writing
        gate.touch()
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors  # the first one finishes undisturbed
    finally:
        process.kill()
    assert [path.name for path in previous_site.parent.iterdir()] == ["site"]


def test_force_into_a_foreign_folder_never_deletes_its_files(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "index.html").write_text("theirs")
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--force"])
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "keep me"
    assert "<title>SSH brute-force attempts</title>" in (out / "index.html").read_text()  # its own files replaced


def forced_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder of someone else's files with an earlier --force build in it; and a snapshot of it."""
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    first = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--force"])
    assert first.exit_code == 0, first.output
    return out, snapshot(out)


@pytest.mark.parametrize(
    ("failing", "extra"),
    [(1, ("--slice", "1h")), (9, ("--slice", "1h")), (6, ("--no-frames",))],  # the last: every frame is stale
)
def test_a_full_disk_while_force_swaps_files_in_puts_every_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int, extra: tuple[str, ...]
) -> None:
    out, before = forced_folder(tmp_path)
    calls = 0
    real = honeycast.staging._place

    def fill_disk(source: Path, target: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == failing:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(source, target)

    monkeypatch.setattr(honeycast.staging, "_place", fill_disk)
    result = runner.invoke(app, ["build", str(DEMO), str(out), *YEAR, "--size", "640x360", "--force", "--slice", "1h"])
    assert result.exit_code == 3
    assert stderr_lines(result) == [f"honeycast: error: {out}: cannot write: No space left on device"]
    assert snapshot(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["docs"]


def test_force_into_a_folder_on_another_file_system_copies_then_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = forced_folder(tmp_path)
    real = os.rename

    def across(source: str | Path, target: str | Path) -> None:
        if ".tmp" in Path(source).parent.parts[-1] and Path(target).parent.resolve().is_relative_to(out.resolve()):
            raise OSError(errno.EXDEV, "Invalid cross-device link")  # from staging into OUT
        real(source, target)

    monkeypatch.setattr(os, "rename", across)
    result = runner.invoke(app, ["build", str(DEMO), str(out), *YEAR, "--size", "640x360", "--force"])
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "keep me"
    assert len(list((out / "frames").iterdir())) == 144
    assert not list(out.rglob("*.honeycast-new"))


def test_a_full_disk_in_a_real_process_leaves_a_forced_folder_as_it_was(tmp_path: Path) -> None:
    import resource

    out, before = forced_folder(tmp_path)

    def small_disk() -> None:  # files past 64 kB cannot be written, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))

    done = subprocess.run(
        [sys.executable, "-m", "honeycast", "build", str(DEMO), str(out), *YEAR, "--force", "--no-frames"],
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"honeycast: error: {out}: cannot write: ")
    assert snapshot(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["docs"]


def test_force_replaces_links_and_never_writes_through_them(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "file").write_text("precious")
    out = tmp_path / "docs"
    out.mkdir()
    (out / "index.html").symlink_to(victim / "file")
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--force"])
    assert result.exit_code == 0, result.output
    assert (victim / "file").read_text() == "precious"
    assert not (out / "index.html").is_symlink()
    assert "<title>SSH brute-force attempts</title>" in (out / "index.html").read_text()


def test_force_refuses_to_write_below_a_link_out_of_the_folder(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "frames").symlink_to(victim, target_is_directory=True)
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--force"])
    assert result.exit_code == 3
    assert stderr_lines(result)[-1] == (
        f"honeycast: error: {out / 'frames'}: is a symbolic link; honeycast writes no file through one"
    )
    assert snapshot(tmp_path) == before and list(victim.iterdir()) == []


def test_a_log_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--no-frames"])
    assert first.exit_code == 0, first.output
    log = out / "auth.log"
    log.write_bytes(SMALL_LOG.read_bytes())
    before = snapshot(tmp_path)
    for named in (str(log), str(out / "*.log")):
        result = runner.invoke(app, ["build", named, str(out), *YEAR, "--no-frames"])
        assert result.exit_code == 2
        assert stderr_lines(result)[-1] == (
            f"honeycast: error: {log}: lies inside the output folder {out}; move it out or choose another OUT"
        )
    assert snapshot(tmp_path) == before


def test_the_current_folder_as_out_when_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(app, ["build", str(SMALL_LOG), ".", *YEAR, "--size", "640x360", "--no-frames"])
    assert result.exit_code == 0, result.output
    assert (here / ".honeycast").exists() and (here / "index.html").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["here"]
    again = runner.invoke(app, ["build", str(SMALL_LOG), ".", *YEAR, "--size", "640x360", "--no-frames"])
    assert again.exit_code == 0, again.output


def test_a_damaged_list_of_written_files_is_one_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = ["build", str(SMALL_LOG), str(out), *YEAR, "--no-frames", "--force"]
    assert runner.invoke(app, args).exit_code == 0
    (out / ".honeycast-files").write_text('{"not": "a list"')
    before = snapshot(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 3
    assert stderr_lines(result)[-1] == (
        f"honeycast: error: {out / '.honeycast-files'}: damaged (not the list of files honeycast wrote); "
        "remove it to build into this folder again"
    )
    assert snapshot(tmp_path) == before


def test_user_text_is_literal_in_titles_paths_and_journal_records(tmp_path: Path) -> None:
    folder = tmp_path / "a[/]b"  # rich markup in a path (a folder "a[" holding "]b")
    folder.mkdir(parents=True)
    log = folder / "x[bold].log"
    log.write_bytes(SMALL_LOG.read_bytes())
    out = tmp_path / "o[/]"
    title = r"cost $x^2$ $\nonexistent{$ {{ width }} <b>"  # mathtext (one not even valid), a placeholder, markup
    result = runner.invoke(app, ["build", str(log), str(out), *YEAR, "--no-frames", "--title", title])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert r"cost $x^2$ $\nonexistent{$ {{ width }} &lt;b&gt;" in page and "{{ title }}" not in page
    journal = tmp_path / "journal.json"
    journal.write_text(  # a lone surrogate, as json.loads gives it for "\udc80"
        '{"__REALTIME_TIMESTAMP":"1764396292000000","_HOSTNAME":"h\\udc80","SYSLOG_IDENTIFIER":"sshd",'
        '"_PID":"5","MESSAGE":"Failed password for \\udc80x from 8.8.8.8 port 1 ssh2"}\n'
    )
    result = runner.invoke(app, ["build", str(journal), str(tmp_path / "j"), "--no-frames"])
    assert result.exit_code == 0, result.output
    assert "\ufffdx" in (tmp_path / "j" / "data" / "slices.json").read_text(encoding="utf-8")


def test_logs_are_only_read(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(SMALL_LOG.read_bytes())
    os.chmod(log, 0o444)
    stat = log.stat()
    result, _ = build(tmp_path, log)
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert log.stat().st_mtime_ns == stat.st_mtime_ns and log.read_bytes() == SMALL_LOG.read_bytes()


def test_time_going_backwards_is_counted_and_reported(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 29 06:00:00 h sshd[1]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        "Nov 29 09:00:00 h sshd[2]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
        "Nov 29 07:00:00 h sshd[3]: Failed password for root from 8.8.8.8 port 1 ssh2\n"
    )
    result, _ = build(tmp_path, log, extra=("--slice", "1h", "--no-frames"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert (
        f"honeycast: warning: {log}: time goes back 1 time (by 2:00:00 at line 3); those lines are counted at their own time"
        in stderr_lines(result)
    )
    assert "3 attempts" in result.stdout  # type: ignore[attr-defined]


def test_force_again_removes_only_files_it_wrote_before(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    first = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--force"])
    assert first.exit_code == 0, first.output
    assert len(list((out / "frames").iterdir())) == 6
    (out / "frames" / "mine.png").write_bytes(b"the owner's")
    second = runner.invoke(
        app, ["build", str(SMALL_LOG), str(out), *YEAR, "--size", "640x360", "--force", "--slice", "30m"]
    )
    assert second.exit_code == 0, second.output
    assert sorted(path.name for path in (out / "frames").iterdir()) == ["0000.png", "0001.png", "mine.png"]
    assert (out / "notes.txt").read_text() == "keep me"
    # Still not honeycast's folder: a build without --force refuses it.
    third = runner.invoke(app, ["build", str(SMALL_LOG), str(out), *YEAR])
    assert third.exit_code == 3


def test_wrong_geoip_database(tmp_path: Path) -> None:
    bogus = tmp_path / "GeoLite2-Country.mmdb"
    bogus.write_bytes(b"<html>404 Not Found</html>")
    result, out = build(tmp_path, SMALL_LOG, extra=("--geoip-db", str(bogus)))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    (line,) = stderr_lines(result)
    assert line.startswith(f"honeycast: error: {bogus}: not a readable MMDB GeoIP database")
    assert not out.exists()


def test_parse_into_a_closed_pipe_is_quiet() -> None:
    command = f"{sys.executable} -m honeycast parse {DEMO} --year 2026 | head -1"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""

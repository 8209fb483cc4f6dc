"""Where a build writes: a staging folder beside OUT, locked while the build runs, then moved into place so that a
failed or interrupted build leaves the previous site as it was, and a folder honeycast did not write is merged into,
never removed."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

from .errors import OutputError
from .site import MARKER

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: builds into one OUT at once are not kept apart there
    fcntl = None

MANIFEST = ".honeycast-files"
"""In a folder honeycast shares with other files (--force): the files it wrote there."""
STAGING = ".honeycast-staging"
"""Marks a build's temporary folder, so a later build may remove one an interrupted build left behind."""


def staging_folder(out: Path) -> Path:
    """Return a new temporary folder beside ``out``, after removing any an interrupted build left there."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for retired in out.parent.glob(f".{out.name}.*.tmp.old"):
            # A build stopped between moving the old site aside and the new one in: put the old one back.
            if (retired / MARKER).exists():
                if out.exists():
                    shutil.rmtree(retired, ignore_errors=True)
                else:
                    retired.rename(out)
        for stale in out.parent.glob(f".{out.name}.*.tmp"):
            if _held_by_another(stale):
                raise OutputError(f"{out}: another honeycast build is writing it; run this one when it has finished")
            # Ours if marked, or a finished site a build was stopped from moving, or stopped before it was marked.
            if stale.is_dir() and ((stale / STAGING).exists() or (stale / MARKER).exists() or not any(stale.iterdir())):
                # Moved out of the way first: an ffmpeg that outlived a killed build may still finish its file
                # there, and must find no folder to write it into, rather than one this removal just emptied.
                removed = stale.with_name(stale.name + ".removed")
                stale.rename(removed)
                shutil.rmtree(removed, ignore_errors=True)
        for removed in out.parent.glob(f".{out.name}.*.tmp.removed"):  # what a late writer put back in time
            shutil.rmtree(removed, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            staging.chmod(0o755)  # mkdtemp makes it private; a published site must be readable by the web server
            (staging / STAGING).write_text("")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as error:
        raise OutputError(f"{out}: cannot write beside it: {error.strerror or error}") from None
    return staging


def hold(staging: Path) -> int | None:
    """Lock a build's staging marker for as long as the build runs, and return the lock (None without fcntl).

    A POSIX record lock belongs to this process alone: forked frame workers do not inherit it, and it ends
    when the process does, however it ends.
    """
    if fcntl is None:
        return None
    handle = os.open(staging / STAGING, os.O_RDWR)
    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _held_by_another(folder: Path) -> bool:
    """Whether a running build holds this staging folder."""
    if fcntl is None or not (folder / STAGING).is_file():
        return False
    handle = os.open(folder / STAGING, os.O_RDWR)
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(handle)
    return False


def check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise OutputError(f"{out}: folder is not empty and was not written by honeycast (use --force to write into it)")


def move_into_place(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging``; a folder honeycast did not write is merged into, never removed."""
    if not out.exists():
        staging.rename(out)
        return
    if (out / MARKER).exists():
        retired = staging.with_name(staging.name + ".old")
        out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
        return
    if not any(out.iterdir()):
        # An empty folder (perhaps the current one, `.`) is kept, and the site moved into it.
        for entry in staging.iterdir():
            entry.rename(out / entry.name)
        staging.rmdir()
        return
    # --force into a foreign folder: write honeycast's files over it and leave everything else. Files an
    # earlier --force build wrote there (listed in MANIFEST) and this one did not are removed; nothing else is.
    written = sorted(str(path.relative_to(staging)) for path in staging.rglob("*") if path.is_file())
    written.remove(MARKER)
    written.remove(STAGING)
    manifest = out / MANIFEST
    earlier = _manifest(manifest) if manifest.is_file() else []
    for name in written:
        _no_link_on_the_way(out, out / name)
    (staging / MANIFEST).write_text(json.dumps(written, indent=0) + "\n", encoding="utf-8")
    inside = out.resolve()
    stale = [  # only files still inside OUT: never through a link that leads out of it
        name
        for name in set(earlier) - set(written)
        if (out / name).is_file() and not (out / name).is_symlink() and inside in (out / name).resolve().parents
    ]
    _swap_in(staging, out, [*written, MANIFEST], sorted(stale))
    shutil.rmtree(staging)


def _swap_in(staging: Path, out: Path, names: list[str], stale: list[str]) -> None:
    """Move ``names`` from ``staging`` into ``out`` and ``stale`` out of it, all or nothing.

    Each file ``out`` held is first renamed aside (a link is moved, never followed), then the new one renamed
    into its place: renames need no space, so a full disk cannot leave a truncated file. If anything fails,
    every file is put back as it was.
    """
    aside = staging.with_name(staging.name + ".aside")
    done: list[tuple[Path, Path | None]] = []  # (a file in out, where its old version waits, if it had one)
    made: list[Path] = []
    try:
        for name, fresh in [*((name, True) for name in names), *((name, False) for name in stale)]:
            target = out / name
            for folder in reversed(target.relative_to(out).parents[:-1]):
                if not (out / folder).is_dir():
                    (out / folder).mkdir()
                    made.append(out / folder)
            old = None
            if target.exists() or target.is_symlink():
                old = aside / name
                old.parent.mkdir(parents=True, exist_ok=True)
                os.rename(target, old)
            done.append((target, old))
            if fresh:
                _place(staging / name, target)
    except BaseException:
        for target, old in reversed(done):
            if old is None or target.exists() or target.is_symlink():
                target.unlink(missing_ok=True)  # a file of this build
            if old is not None:
                os.rename(old, target)
        for folder in reversed(made):
            folder.rmdir()
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _place(source: Path, target: Path) -> None:
    """Rename a staged file to its place; across file systems (OUT is a mount), copy beside it and rename."""
    try:
        os.rename(source, target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    fresh = target.with_name(f".{target.name}.honeycast-new")
    try:
        shutil.copy2(source, fresh)
        os.replace(fresh, target)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise


def _manifest(manifest: Path) -> list[str]:
    """Return the files an earlier --force build listed, or refuse a list that cannot be read."""
    try:
        earlier = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        earlier = None
    if not isinstance(earlier, list) or not all(isinstance(name, str) for name in earlier):
        raise OutputError(
            f"{manifest}: damaged (not the list of files honeycast wrote); remove it to build into this folder again"
        )
    return earlier


def _no_link_on_the_way(out: Path, target: Path) -> None:
    """Refuse to write below a symbolic link inside OUT: it may lead out of OUT."""
    current = out
    for part in target.relative_to(out).parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise OutputError(f"{current}: is a symbolic link; honeycast writes no file through one")

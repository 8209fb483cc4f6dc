"""The map kept between builds: used only when it is the map that would be drawn, never trusted blindly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from files import SMALL_LOG
from matplotlib import colormaps
from matplotlib.colors import ListedColormap, LogNorm

from honeycast import mapcache
from honeycast.look import THEMES
from honeycast.paint import Scale
from honeycast.projection import draw_layer
from honeycast.shapes import load_countries

SIZE = (320, 180)


def _same_layer(first: mapcache.MapLayer, second: mapcache.MapLayer) -> bool:
    arrays = ("base", "pixels", "bounds", "marker_labels", "ramp")
    return (
        first.codes == second.codes
        and all(np.array_equal(getattr(first, name), getattr(second, name)) for name in arrays)
        and all(
            np.array_equal(a, b)
            for a, b in zip((*first.discs, *first.rings), (*second.discs, *second.rings), strict=True)
        )
    )


def test_a_cached_layer_is_the_layer_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONEYCAST_CACHE", str(tmp_path))
    drawn = mapcache.map_layer(SIZE, "light")
    assert len(list(tmp_path.glob("map-*.npz"))) == 1
    again = mapcache.map_layer(SIZE, "light")
    assert _same_layer(again, drawn)
    assert _same_layer(drawn, draw_layer(load_countries(), SIZE, "light"))
    assert drawn.marker_labels.size > 0 and drawn.pixels.size > 0


def test_each_size_and_theme_has_its_own_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONEYCAST_CACHE", str(tmp_path))
    dark, light, larger = (
        mapcache.map_layer(size, theme) for size, theme in ((SIZE, "dark"), (SIZE, "light"), ((640, 360), "dark"))
    )
    assert len(list(tmp_path.glob("map-*.npz"))) == 3
    assert dark.base.shape == light.base.shape != larger.base.shape
    assert not np.array_equal(dark.base, light.base)


def test_the_key_follows_the_drawing_code_the_shapes_and_the_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    before = mapcache.key("map", size=[1, 2])
    assert mapcache.key("map", size=[1, 2]) == before
    assert mapcache.key("map", size=[2, 2]) != before
    mapcache._drawn_by.cache_clear()
    monkeypatch.setattr(mapcache, "_LIBRARIES", (*mapcache._LIBRARIES, "pillow"))
    try:
        assert mapcache.key("map", size=[1, 2]) != before
    finally:
        mapcache._drawn_by.cache_clear()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: b"\0" * len(data),
        lambda data: b"",
    ],
    ids=["truncated", "zeroed", "empty"],
)
def test_a_damaged_entry_is_drawn_again_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    monkeypatch.setenv("HONEYCAST_CACHE", str(tmp_path))
    good = mapcache.map_layer(SIZE, "dark")
    (entry,) = tmp_path.glob("map-*.npz")
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    assert _same_layer(mapcache.map_layer(SIZE, "dark"), good)
    assert _same_layer(mapcache._read_layer(entry, SIZE, "dark"), good)  # type: ignore[arg-type]


def test_an_entry_that_does_not_hold_together_is_not_used(tmp_path: Path) -> None:
    good = mapcache.map_layer(SIZE, "dark")
    path = tmp_path / "entry.npz"
    mapcache._save_layer(good, path)
    assert mapcache._read_layer(path, SIZE, "dark") is not None
    assert mapcache._read_layer(path, (SIZE[0] * 2, SIZE[1] * 2), "dark") is None  # another size's pixels
    with np.load(path) as entry:
        arrays = dict(entry)
    for name, wrong in [
        ("pixels", np.append(arrays["pixels"], np.int32(SIZE[0] * SIZE[1]))),  # a pixel outside the map
        ("bounds", arrays["bounds"][::-1].copy()),
        ("marker_labels", arrays["marker_labels"] + 10_000),
        ("disc_at", arrays["disc_at"][:-1].copy()),
        ("ramp", arrays["ramp"][:10]),
        ("base", arrays["base"].astype(np.int64)),
    ]:
        broken = tmp_path / f"{name}.npz"
        np.savez(broken, **{**arrays, name: wrong})
        assert mapcache._read_layer(broken, SIZE, "dark") is None, name
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{**arrays, "codes": np.array([object()], dtype=object)})
    assert mapcache._read_layer(pickled, SIZE, "dark") is None  # never unpickled


def test_a_damaged_outline_is_drawn_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONEYCAST_CACHE", str(tmp_path))
    outline = mapcache.world_outline()
    (entry,) = tmp_path.glob("world-*.json")
    for text in ["{", '{"width": 1}', entry.read_text().replace('"d":"M', '"d":"<script>M', 1)]:
        entry.write_text(text)
        assert mapcache._read_outline(entry) is None
        assert mapcache.world_outline() == outline


def test_off_keeps_nothing_and_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONEYCAST_CACHE", "off")
    assert mapcache.folder() is None
    assert mapcache.map_layer(SIZE, "dark").base.shape == (SIZE[1], SIZE[0], 3)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("HONEYCAST_CACHE", str(blocked / "cache"))
    assert mapcache.map_layer(SIZE, "dark").base.shape == (SIZE[1], SIZE[0], 3)
    assert blocked.read_text() == "not a folder"


def test_a_build_with_its_map_cached_loads_neither_matplotlib_nor_basemap(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from honeycast.cli import main\n"
        f"sys.argv = ['honeycast', 'build', {str(SMALL_LOG)!r}, {str(tmp_path / 'site')!r}, '--year', '2026',"
        " '--tz', 'UTC', '--size', '320x180', '-q']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'matplotlib', 'mpl_toolkits', 'pyproj', 'shapefile'}))\n"
    )
    env = {**os.environ, "HONEYCAST_CACHE": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.strip() == "['matplotlib', 'mpl_toolkits', 'pyproj', 'shapefile']"
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert second.stdout.strip() == "[]", second.stderr


@pytest.mark.parametrize("theme", list(THEMES))
def test_counts_take_the_colours_matplotlib_gives_them(theme: str) -> None:
    chosen = THEMES[theme]
    ramp = colormaps[chosen.colormap](np.linspace(*chosen.ramp, 256))
    values = np.concatenate([np.arange(1, 3000, dtype=float), np.geomspace(1, 10**7, 5000)])
    for top in (2, 7, 123, 2771, 10**6):
        expected = (
            np.asarray(ListedColormap(ramp)(LogNorm(vmin=1, vmax=max(top, 2))(np.maximum(values, 1))))[..., :3] * 255
        ).round()
        assert np.array_equal(Scale(ramp, top).colour(values), expected), top


def test_entries_unused_for_months_go_when_a_new_one_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONEYCAST_CACHE", str(tmp_path))
    mapcache.map_layer(SIZE, "dark")
    (used,) = tmp_path.glob("map-*.npz")
    stale = tmp_path / "map-0123456789abcdef0123456789abcdef.npz"  # an entry of an earlier honeycast
    stale.write_bytes(b"old")
    theirs = tmp_path / "notes.txt"  # not honeycast's: never removed, however old
    theirs.write_text("keep")
    long_ago = time.time() - mapcache.STALE - 86400
    for path in (used, stale, theirs):
        os.utime(path, (long_ago, long_ago))
    mapcache.map_layer(SIZE, "dark")  # read from the cache: in use again
    assert used.stat().st_mtime > long_ago
    mapcache.map_layer(SIZE, "light")  # a new entry is kept: the stale one goes
    assert not stale.exists()
    assert used.exists() and theirs.read_text() == "keep"
    assert len(list(tmp_path.glob("map-*.npz"))) == 2

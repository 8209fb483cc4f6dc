"""The whole pipeline on a small real log: real Basemap frames, real ffmpeg, the bundled MMDB."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from pytest_regressions.file_regression import FileRegressionFixture

from honeycast.build import BuildResult
from honeycast.video import probe


def test_one_frame_per_slice_in_png_and_mp4(small_site: BuildResult) -> None:
    slices = len(small_site.timeline.slices)
    assert slices == 6  # 06:00 to 06:59, ten-minute slices
    frames = sorted((small_site.out / "frames").glob("*.png"))
    assert [frame.name for frame in frames] == [f"{index:04d}.png" for index in range(slices)]
    for frame in frames:
        with Image.open(frame) as image:
            assert image.size == (1280, 720)
    video = probe(small_site.out / "timelapse.mp4")
    assert video.frames == slices
    assert (video.codec, video.pix_fmt, video.width, video.height) == ("h264", "yuv420p", 1280, 720)


def test_mp4_starts_with_its_index(small_site: BuildResult) -> None:
    head = (small_site.out / "timelapse.mp4").read_bytes()
    assert 0 < head.find(b"moov") < head.find(b"mdat"), "+faststart puts moov before mdat"


def test_frames_differ_where_counts_differ(small_site: BuildResult) -> None:
    frames = small_site.out / "frames"
    quiet = small_site.timeline.slices[2].attempts, small_site.timeline.slices[4].attempts
    assert quiet == (0, 0)
    assert (frames / "0002.png").read_bytes() != (frames / "0000.png").read_bytes()
    with Image.open(frames / "0002.png") as a, Image.open(frames / "0004.png") as b:
        changed = (np.asarray(a.convert("RGB")) != np.asarray(b.convert("RGB"))).any(axis=2)
        # Two empty slices differ only in the caption's time.
        assert 0 < changed.mean() < 0.05


def test_slices_json_golden(small_site: BuildResult, file_regression: FileRegressionFixture) -> None:
    text = (small_site.out / "data" / "slices.json").read_text(encoding="utf-8")
    file_regression.check(json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False), extension=".json")


def test_slices_json_shape(small_site: BuildResult) -> None:
    document = json.loads((small_site.out / "data" / "slices.json").read_text(encoding="utf-8"))
    assert document["version"] == 2
    assert document["slice_seconds"] == 600
    assert len(document["slices"]) == document["frames"]["count"] == 6
    assert (
        document["attempts"] == sum(one["attempts"] for one in document["slices"]) == sum(document["totals"].values())
    )
    assert set(document["countries"]) >= set(document["totals"]) | set(document["probes"]) | {"AU", "private"}
    # The injected "from 6.6.6.6" in a user name must not count for the US (6.0.0.0/8).
    assert document["totals"]["DE"] == 2 and "US" in document["totals"] and document["totals"]["US"] == 1
    # Networks: every attempt is some network's (or an address bucket's), slice by slice and over the span.
    for one in document["slices"]:
        assert sum(one["networks"].values()) == one["attempts"]
        assert set(one["network_addresses"]) >= set(one["networks"])
    assert sum(document["network_totals"].values()) == document["attempts"]
    assert document["top_networks"][0][:3] == ["AS4134", "Chinanet", document["network_totals"]["AS4134"]]
    assert set(document["network_names"]) == {key for key in document["network_attackers"] if key.startswith("AS")}
    assert document["network_db"]["credit"] in document["credits"][-1]


def test_page_data_is_the_json_and_cannot_close_its_script(small_site: BuildResult) -> None:
    script = (small_site.out / "data" / "slices.js").read_text(encoding="utf-8")
    prefix = "window.HONEYCAST_DATA = "
    assert script.startswith(prefix) and script.endswith(";\n")
    assert "<" not in script
    embedded = json.loads(script[len(prefix) : -2])
    assert embedded == json.loads((small_site.out / "data" / "slices.json").read_text(encoding="utf-8"))


def test_site_is_self_contained(small_site: BuildResult) -> None:
    out: Path = small_site.out
    for name in ("index.html", "assets/viewer.js", "assets/viewer.css", ".nojekyll", ".honeycast"):
        assert (out / name).is_file(), name
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>web-1 test</title>" in page
    assert "http://" not in page and "https://" not in page and "{{" not in page
    assert not list(out.parent.glob(".site.*")), "the staging folder is gone"


def test_page_is_light(small_site: BuildResult) -> None:
    out = small_site.out
    weight = sum(
        path.stat().st_size for path in [out / "index.html", out / "data" / "slices.js", *(out / "assets").iterdir()]
    )
    assert weight < 1_000_000

"""The maps and videos: look (image regression), properties, determinism, and the options that shape them."""

from __future__ import annotations

import io
import itertools
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from files import DEMO, SMALL_LOG
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import colormaps
from matplotlib.colors import to_rgb
from PIL import Image
from pytest_regressions.image_regression import ImageRegressionFixture
from typer.testing import CliRunner

import honeycast.png
from examples import examples
from honeycast.build import BuildResult, default_fps
from honeycast.charts import render_summary
from honeycast.cli import app
from honeycast.geo import DEFAULT_CREDIT
from honeycast.layout import GIF_MAX_AREA, LEAST, FrameLayout, frame_layout, gif_size
from honeycast.look import THEMES, Look, afterglow_slices
from honeycast.mapcache import MapLayer, map_layer
from honeycast.paint import TICK_GAP, colour_ticks
from honeycast.png import save_png
from honeycast.render import Captioner, MapCanvas, contrast, credit_line, look_layout, palettes, render_frames
from honeycast.video import probe

CREDIT = credit_line(Look(title="t", credit=DEFAULT_CREDIT))
SIZES = [(1280, 720), (960, 540), (640, 360), gif_size(144, CREDIT), gif_size(24, CREDIT), (3840, 2160)]
"""Every kind of frame a build writes: the video's (full layout, from 960×540), a small ``--size`` and the GIF's
(laid out in rows), the largest."""


def layer_of(size: tuple[int, int], theme: str = "dark") -> tuple[MapLayer, FrameLayout]:
    """Return the map a build draws for frames of ``size``, and their layout."""
    layout = frame_layout(size, CREDIT, 30)
    return map_layer(size, theme, layout.axes), layout


def png_bytes(path: Path) -> bytes:
    with Image.open(path) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
        return buffer.getvalue()


IMAGE_THRESHOLD = 0.0005
"""How far (pytest-regressions' mean absolute difference, in percent) a frame may drift from its reviewed image:
less than one changed digit in a caption or one small country lit that should not be."""


def mean_difference(first: np.ndarray, second: np.ndarray) -> float:
    """pytest-regressions' measure of how two images differ, in percent."""
    return float(100 * np.abs(first.astype(int) - second.astype(int)).sum() / (first.size * 255))


def test_the_image_checks_catch_one_wrong_digit_and_one_wrongly_lit_small_country(small_site: BuildResult) -> None:
    look = Look(title="t", credit="c")
    canvas = MapCanvas(map_layer(look.size, look.theme), look, peak=small_site.timeline.peak, legend="x")
    captioner = Captioner(look_layout(look), THEMES[look.theme])
    palette = palettes(canvas, small_site.timeline, afterglow=0)[0]
    frame = captioner.write(canvas.paint(palette), "Sun 29 Nov 2026 · 06:00–06:10 UTC", "11 attempts in this slice")
    digit = captioner.write(canvas.paint(palette), "Sun 29 Nov 2026 · 06:00–06:10 UTC", "17 attempts in this slice")
    assert mean_difference(frame, digit) > IMAGE_THRESHOLD
    malta = palette.copy()
    malta[canvas.codes.index("MT") + 1] = canvas.colour(np.array([1.0]))[0]
    lit = captioner.write(canvas.paint(malta), "Sun 29 Nov 2026 · 06:00–06:10 UTC", "11 attempts in this slice")
    assert mean_difference(frame, lit) > IMAGE_THRESHOLD


def test_frame_looks_as_reviewed(small_site: BuildResult, image_regression: ImageRegressionFixture) -> None:
    image_regression.check(png_bytes(small_site.out / "frames" / "0000.png"), diff_threshold=IMAGE_THRESHOLD)


def test_poster_looks_as_reviewed(small_site: BuildResult, image_regression: ImageRegressionFixture) -> None:
    image_regression.check(png_bytes(small_site.out / "poster.png"), diff_threshold=IMAGE_THRESHOLD)


def test_mp4_properties(small_site: BuildResult) -> None:
    slices = len(small_site.timeline.slices)
    video = probe(small_site.out / "timelapse.mp4")
    assert (video.codec, video.profile, video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (video.width, video.height, video.frames) == (1280, 720, slices)
    assert video.seconds == pytest.approx(slices / default_fps(slices), abs=0.1)


def test_default_fps_plays_a_day_in_about_twelve_seconds() -> None:
    assert default_fps(144) == 12.0
    assert default_fps(288) == 24.0
    assert default_fps(24) == 2.0
    assert default_fps(3) == 1.0


def test_same_input_gives_identical_png_bytes(small_site: BuildResult, tmp_path: Path) -> None:
    look = Look(title="web-1 test", credit=small_site.geoip.credit)
    again = tmp_path / "frames"
    again.mkdir()
    layers = [(map_layer(look.size, look.theme), look_layout(look))]
    frames = list(render_frames(small_site.timeline, layers, look, again, workers=1))
    assert len(frames) == len(small_site.timeline.slices)
    for index in range(len(frames)):
        name = f"{index:04d}.png"
        assert (again / name).read_bytes() == (small_site.out / "frames" / name).read_bytes(), name


def test_without_fork_frames_are_drawn_in_this_process(
    small_site: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no fork: several workers asked for, the same frames come from one process."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(multiprocessing, "get_context", None)  # any use of a process pool fails
    look = Look(title="web-1 test", credit=small_site.geoip.credit)
    again = tmp_path / "frames"
    again.mkdir()
    layers = [(map_layer(look.size, look.theme), look_layout(look))]
    frames = list(render_frames(small_site.timeline, layers, look, again, workers=4))
    assert len(frames) == len(small_site.timeline.slices)
    assert (again / "0000.png").read_bytes() == (small_site.out / "frames" / "0000.png").read_bytes()


@pytest.mark.parametrize("deflate", ["isal", "zlib"])
def test_png_writer_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deflate: str) -> None:
    if deflate == "zlib":  # where ISA-L has no wheel
        monkeypatch.setattr(honeycast.png, "deflate", zlib)
    else:
        assert honeycast.png.deflate.__name__ == "isal.isal_zlib"
    rng = np.random.default_rng(7)
    for pixels in (
        rng.integers(0, 256, size=(9, 13, 3), dtype=np.uint8),
        np.repeat(rng.integers(0, 3, size=(300, 1, 3), dtype=np.uint8) * 90, 401, axis=1),  # long runs
    ):
        save_png(pixels, tmp_path / "x.png")
        with Image.open(tmp_path / "x.png") as image:
            assert image.mode == "RGB"
            assert np.array_equal(np.asarray(image), pixels)


def test_lit_countries_take_the_scale_colour_and_afterglow_is_grey_and_fades(small_site: BuildResult) -> None:
    look = Look(title="t", credit="c")
    canvas = MapCanvas(map_layer(look.size, look.theme), look, peak=small_site.timeline.peak, legend="x")
    cn = canvas.codes.index("CN") + 1
    glowing = palettes(canvas, small_site.timeline, afterglow=3)
    plain = palettes(canvas, small_site.timeline, afterglow=0)
    land = np.array(canvas.land)
    glow = np.array([int(THEMES["dark"].glow[i : i + 2], 16) for i in (1, 3, 5)])
    # China is hit in slice 0 only: lit there, then grey fading over three slices with afterglow, land at once without.
    assert np.array_equal(glowing[0, cn], canvas.colour(np.array([4.0]))[0])
    assert np.array_equal(glowing[0, cn], plain[0, cn])
    distances = [np.abs(glowing[index, cn].astype(int) - land).sum() for index in range(5)]
    assert distances[1] > distances[2] > distances[3] > 0 and distances[4] == 0
    for index in (1, 2, 3):  # on the way from land to the glow's grey: no colour of the scale
        step = (glowing[index, cn].astype(float) - land) / (glow - land)
        assert np.allclose(step, step[0], atol=1 / np.abs(glow - land).min()), step  # whole numbers: rounding
    scale = canvas.colour(np.arange(1, small_site.timeline.peak + 1, dtype=float))
    assert np.abs(scale[:, None, :] - glowing[1:4, cn][None]).sum(axis=2).min() > 60
    assert np.array_equal(plain[1, cn], land)
    frame = canvas.paint(plain[0])
    pixels = canvas._pixels[canvas._bounds[cn] : canvas._bounds[cn + 1]]
    assert len(pixels) > 1000
    assert (frame.reshape(-1, 3)[pixels] == plain[0, cn]).all()


@pytest.mark.parametrize("size", SIZES)
def test_every_country_lit_shows_its_colour_at_every_size(size: tuple[int, int]) -> None:
    """Every country lit at once, each in its own colour: on the real frame of every size a build writes, every
    country with a shape on the map shows its colour (on at least one pixel of its own, or its marker's disc),
    and no pixel of the map's land shows another country's colour."""
    layer, layout = layer_of(size)
    canvas = MapCanvas(layer, Look(title="t", credit="c", size=size), peak=10, legend="x", layout=layout)
    count = len(canvas.codes)
    palette = np.zeros((count + 1, 3), dtype=np.uint8)
    palette[0] = canvas.land
    labels = np.arange(1, count + 1)
    palette[1:, 0], palette[1:, 1], palette[1:, 2] = labels & 0xFF, labels >> 8, 200  # one colour a country
    frame = canvas.paint(palette).reshape(-1, 3).astype(np.int64)
    markers = canvas._lit_markers
    shown = 0
    for label in range(1, count + 1):
        own = canvas._pixels[canvas._bounds[label] : canvas._bounds[label + 1]]
        disc = markers[label][0] if label in markers else np.zeros(0, dtype=np.int64)
        if len(own) or len(disc):
            colour = palette[label].astype(np.int64)
            seen = (frame[own] == colour).all(axis=1).sum() + (frame[disc] == colour).all(axis=1).sum()
            assert seen > 0, (size, canvas.codes[label - 1])
            shown += 1
    assert shown > 200  # every country the map draws, small ones by their markers
    rings = np.concatenate([ring for _, ring in markers.values()])
    lit = frame[np.setdiff1d(canvas._pixels, rings)]  # a lit marker's ring is drawn over what lies there
    assert (lit[:, 2] == 200).all()  # every country's pixel shows some country's colour, none left as land


@pytest.mark.parametrize(("minutes", "seconds", "slices"), [(30, 600, 3), (30, 3600, 0), (180, 3600, 3), (0, 600, 0)])
def test_afterglow_is_measured_in_minutes(minutes: int, seconds: int, slices: int) -> None:
    assert afterglow_slices(minutes, seconds) == slices


@pytest.mark.parametrize("theme", list(THEMES))
def test_the_afterglow_stands_out_from_the_land_less_than_any_count(theme: str) -> None:
    """The glow shows where countries were hit a little earlier, but never reads as data: visible on the land, and
    less than the lowest count is (it was 4.2:1 on the dark theme, where a count of 1 is 1.77:1)."""
    chosen = THEMES[theme]
    land, glow = (np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) for c in (chosen.land, chosen.glow))
    lowest = np.array(colormaps[chosen.colormap](chosen.ramp[0])[:3]) * 255
    assert 1.4 <= contrast(glow, land) < contrast(lowest, land)


@pytest.mark.parametrize("theme", list(THEMES))
def test_the_lowest_colour_stands_out_from_the_land(theme: str) -> None:
    canvas_theme = THEMES[theme]
    lowest = np.array(colormaps[canvas_theme.colormap](canvas_theme.ramp[0])[:3]) * 255
    land = np.array(to_rgb(canvas_theme.land)) * 255
    assert contrast(lowest, land) >= 1.75


@pytest.mark.parametrize("top", [2, 7, 19, 123, 999, 1_450, 19_397, 250_000])
def test_colour_bar_ticks_never_crowd_and_name_the_top(top: int) -> None:
    ticks = colour_ticks(top)
    assert ticks[0] == 1 and ticks[-1] == top
    gaps = np.diff(np.log10(ticks)) / np.log10(top)
    assert (gaps >= TICK_GAP - 1e-9).all(), ticks
    assert 2 <= len(ticks) <= 8


@pytest.mark.property
@given(st.integers(2, 10**7), st.sampled_from(SIZES))
@settings(max_examples=examples(0.2), deadline=None)
def test_colour_bar_labels_never_touch(top: int, size: tuple[int, int]) -> None:
    """However the ticks fall (1,000 beside a top of 2,771 touched on the poster), every label on the map's colour
    bar keeps a space from the next, at every size a build draws, and the top is labelled."""
    from PIL import Image, ImageDraw

    from honeycast import paint
    from honeycast.paint import Scale, colour_bar, font

    layer, layout = layer_of(size)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    labels: list[tuple[float, float, float]] = []
    face = font(layout.key_points)
    original = paint.tick

    def tick(draw: Any, at: tuple[float, float], mark: float, face: Any, colour: str) -> float:
        length = draw.textlength(f"{mark:,.0f}", font=face)
        labels.append((at[0] - length / 2, at[0] + length / 2, mark))
        return original(draw, at, mark, face, colour)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paint, "tick", tick)
        colour_bar(
            draw, layout.key, Scale(layer.ramp, top), colour_ticks(top), ("#fff", "#fff"), layout.key_points, "x"
        )
    labels.sort()
    assert labels[-1][2] == top
    space = draw.textlength(" ", font=face)
    for (_, end, _), (start, _, _) in itertools.pairwise(labels):
        assert start - end >= space, labels


LONGEST = (
    "Wed 30 Sep 2026 · 23:59:50–00:00:00 +0530",
    "12,345,678 attempts in this slice · 123,456,789 so far · top: Democratic Republic of the Congo 12,345,678",
)
"""A caption as long as a build writes one (the top country's name may be longer still: it is cut short)."""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("afterglow", [30, 0])
def test_a_frames_text_is_readable_and_never_overlaps(
    size: tuple[int, int], afterglow: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a real frame at every size a build writes (the GIF's 320 px included, whose legend was 3 px text when
    it was the video scaled down): every text at least its least size, inside the frame, off the map, and
    apart from every other text; the long title gives way to the credit beside it."""
    from PIL import ImageDraw

    drawn: list[tuple[str, tuple[float, float, float, float], int]] = []
    original = ImageDraw.ImageDraw.text

    def text(self: Any, xy: tuple[float, float], words: str, *args: Any, **kwargs: Any) -> None:
        box = self.textbbox(xy, words, font=kwargs["font"], anchor=kwargs.get("anchor"))
        drawn.append((words, box, kwargs["font"].size))
        original(self, xy, words, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", text)
    look = Look(title="SSH attempts on bastion-01.eu-west.example.org " * 3, credit=DEFAULT_CREDIT, size=size,
                afterglow=afterglow)  # fmt: skip
    layer, layout = layer_of(size)
    layout = frame_layout(size, CREDIT, afterglow)
    canvas = MapCanvas(layer, look, peak=123_456, legend="failed login attempts per country per 10 min", layout=layout)
    captioner = Captioner(layout, THEMES[look.theme])
    caption_top = len(drawn)
    palette = np.tile(np.array(canvas.land, dtype=np.uint8), (len(canvas.codes) + 1, 1))
    for code, count in (("CN", 123_456), ("HK", 40), ("NL", 3), ("BE", 7)):
        palette[canvas.codes.index(code) + 1] = canvas.colour(np.array([float(count)]))[0]
    frame = captioner.write(canvas.paint(palette), *LONGEST)
    assert frame.shape == (size[1], size[0], 3)
    boxes = [(words, box) for words, box, _ in drawn]
    # The caption is drawn into a strip of the frame: its boxes are from the strip's top.
    boxes[caption_top:] = [(words, (b[0], b[1] + layout.caption_box[0], b[2], b[3] + layout.caption_box[0]))
                           for words, b in boxes[caption_top:]]  # fmt: skip
    width, height = size
    left, bottom, across, up = layout.axes
    map_box = (left * width, (1 - bottom - up) * height, (left + across) * width, (1 - bottom) * height)
    least = min(LEAST.values())
    for (words, box), (_, _, pixels) in zip(boxes, drawn, strict=True):
        assert pixels >= least, (size, words, pixels)
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height, (size, words, box)
        assert not _overlap(box, map_box), (size, words, box, map_box)
    for (first, one), (second, other) in itertools.combinations(boxes, 2):
        assert not _overlap(one, other), (size, first, one, second, other)
    shown = [words for words, _ in boxes]
    assert LONGEST[0] in shown and any(words.startswith("12,345,678 attempts") for words in shown)
    assert any(words.endswith("RIRs") for words in shown)  # the credit whole, on one line or more
    assert " ".join(words for words in shown if words in CREDIT) == CREDIT


def _overlap(one: tuple[float, ...], other: tuple[float, ...]) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def test_small_countries_get_a_marker_that_lights_up() -> None:
    canvas = MapCanvas(map_layer((1280, 720), "dark"), Look(title="t", credit="c"), peak=10, legend="x")
    land = np.array(canvas.land, dtype=np.uint8)
    unlit = np.tile(land, (len(canvas.codes) + 1, 1))
    for code in ("SG", "HK", "MT", "BH"):
        index = canvas.codes.index(code) + 1
        disc, ring = canvas._lit_markers[index]
        assert len(disc) >= 20 and len(ring) >= 20, code  # a visible disc of pixels, ringed
        palette = unlit.copy()
        palette[index] = canvas.colour(np.array([1.0]))[0]
        frame = canvas.paint(palette).reshape(-1, 3)
        assert (frame[disc] == palette[index]).all(), code


@pytest.mark.parametrize("size", SIZES)
def test_lit_markers_never_touch_one_another(size: tuple[int, int]) -> None:
    """Every small country lit at once stays visible and told apart at every size a build draws: no two lit
    markers (disc and ring) share a pixel (Benelux was one blob, Macau and Palestine vanished), and each is a
    disc with a ring round it."""
    markers = layer_of(size)[0].markers()
    owner: dict[int, int] = {}
    for label, (disc, ring) in markers.items():
        for pixel in np.concatenate([disc, ring]).tolist():
            assert owner.setdefault(pixel, label) == label, (size, label, owner[pixel])
        assert len(disc) >= 9 and len(ring) >= 12, (size, label)
    assert len(markers) > 40


def test_the_viewers_markers_never_touch_and_lead_back_to_their_country() -> None:
    from honeycast.mapcache import world_outline
    from honeycast.projection import VIEW_MARKER

    countries = [one for one in world_outline()["countries"] if "marker" in one]  # type: ignore[attr-defined]
    apart = 2 * sum(VIEW_MARKER)
    for first, second in itertools.combinations(countries, 2):
        (x1, y1), (x2, y2) = first["marker"], second["marker"]
        assert (x1 - x2) ** 2 + (y1 - y2) ** 2 >= apart**2, (first["code"], second["code"])
    moved = [one for one in countries if "at" in one]
    assert moved and all(np.hypot(*np.subtract(one["marker"], one["at"])) < 12 * apart for one in moved)


@pytest.mark.parametrize("theme", list(THEMES))
def test_a_lit_marker_stands_out_from_its_lit_neighbour(theme: str) -> None:
    """Hong Kong and China lit alike, at the top of the scale and at its bottom: Hong Kong's ring stands out from
    China's fill (it was as dark as the light theme's top, and Hong Kong vanished)."""
    canvas = MapCanvas(map_layer((1280, 720), theme), Look(title="t", credit="c", theme=theme), peak=100, legend="x")
    land = np.array(canvas.land, dtype=np.uint8)

    for count in (1.0, 100.0):
        palette = np.tile(land, (len(canvas.codes) + 1, 1))
        lit = canvas.colour(np.array([count]))[0]
        for code in ("CN", "HK"):
            palette[canvas.codes.index(code) + 1] = lit
        frame = canvas.paint(palette).reshape(-1, 3)
        _, ring = canvas._lit_markers[canvas.codes.index("HK") + 1]
        assert contrast(frame[ring[0]], lit) >= 3, (theme, count)


@pytest.mark.parametrize("size", SIZES[:4])
def test_a_small_countrys_marker_never_takes_its_neighbours_fill(size: tuple[int, int]) -> None:
    """Italy lit, San Marino and the Vatican not: Italy is lit right through where their markers sit (the faint dot
    of a small country took its neighbour's pixels, a dark blob in lit Italy); so China round Hong Kong, Malaysia
    round Singapore. What stays unlit there is land of the small country (or of another one near it)."""
    from honeycast.projection import marker_places
    from honeycast.shapes import load_countries

    layer, layout = layer_of(size)
    canvas = MapCanvas(layer, Look(title="t", credit="c", size=size), peak=10, legend="x", layout=layout)
    places = marker_places(load_countries(), size, layout.axes)
    land = np.array(canvas.land, dtype=np.uint8)
    base = canvas.base.reshape(-1, 3)
    for big, small in (("IT", "SM"), ("IT", "VA"), ("CN", "HK"), ("MY", "SG")):
        big_index, small_index = canvas.codes.index(big) + 1, canvas.codes.index(small) + 1
        palette = np.tile(land, (len(canvas.codes) + 1, 1))
        palette[big_index] = canvas.colour(np.array([5.0]))[0]
        frame = canvas.paint(palette).reshape(-1, 3)
        (x, y), _ = places[small_index]  # where the small country is (its marker may be drawn apart)
        rows, columns = np.mgrid[0 : size[1], 0 : size[0]]
        core = np.flatnonzero((rows + 0.5 - y) ** 2 + (columns + 0.5 - x) ** 2 <= 2.5**2)
        start, end = canvas._bounds[big_index], canvas._bounds[big_index + 1]
        others = np.concatenate([canvas._pixels[:start], canvas._pixels[end:]])  # land of every other country
        under = core[(base[core] == land).all(axis=1) & ~np.isin(core, others)]
        assert not (frame[under] == land).all(axis=1).any(), (size, big, small)


def test_summary_shows_attacker_names_literally(small_site: BuildResult) -> None:
    timeline = replace(
        small_site.timeline, users=Counter({"$x^2$": 5, "a\\b": 3, "\x1b[31mred": 2, "</script>": 1, "x" * 80: 1})
    )
    pixels = render_summary(timeline, Look(title="t", credit="c", theme="light"), map_layer((1280, 720), "light").ramp)
    assert pixels.shape == (720, 1280, 3)


@pytest.mark.parametrize("size", [(1280, 720), (640, 360)])
def test_summary_says_its_bars_are_on_a_logarithmic_axis(
    small_site: BuildResult, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bars on a log axis make small counts look large: each chart's axis says it is one, inside the image."""
    from PIL import ImageDraw

    from honeycast.charts import AXIS_LABEL

    drawn: list[tuple[float, float]] = []
    original = ImageDraw.ImageDraw.text

    def text(self: Any, xy: tuple[float, float], words: str, *args: Any, **kwargs: Any) -> None:
        if words == AXIS_LABEL:
            box = self.textbbox(xy, words, font=kwargs["font"], anchor=kwargs["anchor"])
            drawn.append((box[2], box[3]))
        original(self, xy, words, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", text)
    look = Look(title="t", credit="c", size=size)
    render_summary(small_site.timeline, look, map_layer(size, look.theme).ramp)
    assert len(drawn) == 2  # one under each chart
    assert all(right <= size[0] and bottom <= size[1] for right, bottom in drawn), drawn


@pytest.mark.parametrize(
    ("size", "message"),
    [("1280", "expected WIDTHxHEIGHT"), ("1281x720", "must be even"), ("7680x4320", "up to 3840x2160")],
)
def test_bad_size_is_refused(size: str, message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(SMALL_LOG), str(tmp_path / "s"), "--size", size])
    assert result.exit_code == 2 and message in result.stderr


def test_options_shape_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["build", str(SMALL_LOG), str(out), "--year", "2026", "--tz", "UTC", "--slice", "30m", "--size", "640x360"]
    result = CliRunner().invoke(app, [*args, "--theme", "light", "--no-frames", "--gif", "--webm", "--fps", "4"])
    assert result.exit_code == 0, result.output
    assert not (out / "frames").exists()
    with Image.open(out / "poster.png") as poster:
        assert poster.size == (640, 360)
        assert poster.getpixel((5, 5)) == (247, 247, 242)  # the light theme's background
    mp4 = probe(out / "timelapse.mp4")
    assert (mp4.width, mp4.height, mp4.frames) == (640, 360, 2)
    assert mp4.seconds == pytest.approx(0.5, abs=0.05)
    assert probe(out / "timelapse.webm").codec == "vp9"
    gif = probe(out / "timelapse.gif")
    assert (gif.codec, gif.frames) == ("gif", 2)


def test_a_days_gif_keeps_its_palette_and_fits_wikis(tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["build", str(DEMO), str(out), "--year", "2026", "--tz", "UTC", "--no-frames", "--gif"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    path = out / "timelapse.gif"
    with Image.open(path) as animation:
        width, height = animation.size
        frames = getattr(animation, "n_frames", 1)
        assert animation.mode == "P" and frames == 144
        assert (width, height) == gif_size(144, CREDIT)  # drawn at its own size, laid out for it
        assert width * height * frames <= GIF_MAX_AREA  # MediaWiki animates it
    assert path.stat().st_size < 4_000_000  # GitHub shows up to 10 MB; frames quantised twice made 12 MB


@pytest.mark.parametrize("frames", [2, 24, 100, 144, 150, 1_000, 20_000])
def test_the_gifs_size_fits_its_frames_into_mediawikis_area(frames: int) -> None:
    """640 px wide where it fits, narrower for more frames, never under 320; a day of 10-minute slices fits;
    past what 320 px can hold, the map keeps most of its width rather than the area being kept."""
    width, height = gif_size(frames, CREDIT)
    assert 320 <= width <= 640 and width % 2 == height % 2 == 0
    if frames <= 144:
        assert width * height * frames <= GIF_MAX_AREA
    if frames <= 24:
        assert width == 640
    layout = frame_layout((width, height), CREDIT, 30)
    assert layout.compact and layout.axes[2] >= 0.8  # the map keeps most of the GIF's width
    assert gif_size(frames + 50, CREDIT) <= (width, height)


def test_a_span_of_probes_only_still_draws_its_maps_and_summary(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 29 06:01:10 web-1 sshd[1]: Connection closed by 61.177.172.19 port 50122 [preauth]\n"
        "Nov 29 06:31:10 web-1 sshd[2]: Did not receive identification string from 45.148.10.240 port 1\n"
    )
    out = tmp_path / "site"
    args = ["build", str(log), str(out), "--year", "2026", "--tz", "UTC", "--no-frames", "--size", "640x360"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 attempts from 0 countries, 2 probes" in result.stdout
    with Image.open(out / "summary.png") as summary, Image.open(out / "poster.png") as poster:
        assert summary.size == poster.size == (640, 360)

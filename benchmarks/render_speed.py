"""Wall time of a day's frames and MP4, beside the naive full Basemap redraw per frame.

    python benchmarks/render_speed.py            # the demo day: 144 ten-minute slices
    python benchmarks/render_speed.py --no-png   # without writing PNG frames

The baseline draws each frame from scratch the way a first Basemap script would: a new figure,
a new Basemap, every country filled and the caption written, then the whole figure rendered.
It is timed on a few frames and scaled to the day. The map layer is timed drawn (as on a first
build) and read from the cache (every later build), and a frame's PNG deflated by zlib beside the
deflate honeycast uses (ISA-L's, where installed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from datetime import UTC
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PathCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from mpl_toolkits.basemap import Basemap
from PIL import Image

from honeycast import mapcache, png
from honeycast.look import THEMES, Look
from honeycast.projection import _country_path, draw_layer, figure_pixels
from honeycast.render import Captioner, MapCanvas, captions, palettes, render_frames
from honeycast.scan import ReadOptions, SilentReporter, tally_logs
from honeycast.shapes import CountryShape, load_countries
from honeycast.timeline import timeline_of
from honeycast.video import mp4, write_videos

ROOT = Path(__file__).resolve().parents[1]


def naive_frame(countries: list[CountryShape], counts: dict[str, int], caption: str, peak: int) -> np.ndarray:
    """Draw one frame from nothing: figure, Basemap, countries, colour bar, title and caption."""
    figure = Figure(figsize=(12.8, 7.2), dpi=100, facecolor="#0b1020")
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.02, 0.13, 0.96, 0.77))
    projection = Basemap(projection="robin", lon_0=0, resolution=None, ax=axes)
    projection.drawmapboundary(fill_color="#101a2e")
    projection.drawparallels(list(range(-60, 90, 30)))
    projection.drawmeridians(list(range(-180, 180, 30)))
    paths = [_country_path(projection, country) for country in countries]
    norm = LogNorm(1, max(peak, 2))
    colours = [
        colormaps["inferno"](norm(counts[country.code])) if counts.get(country.code) else "#27324a"
        for country in countries
    ]
    axes.add_collection(PathCollection(paths, facecolors=colours, edgecolors="#3f4b66", linewidths=0.3))
    figure.colorbar(
        ScalarMappable(norm, "inferno"), cax=figure.add_axes((0.62, 0.07, 0.34, 0.025)), orientation="horizontal"
    )
    figure.text(0.02, 0.955, "SSH brute-force attempts", fontsize=20, weight="bold")
    figure.text(0.02, 0.085, caption, fontsize=15)
    return figure_pixels(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=ROOT / "examples" / "demo-auth.log")
    parser.add_argument("--no-png", action="store_true")
    parser.add_argument("--baseline-frames", type=int, default=3)
    args = parser.parse_args()

    timeline = timeline_of(tally_logs(ReadOptions(logs=[str(args.log)], year=2026, tz=UTC), 600, SilentReporter()))
    assert timeline is not None
    countries = load_countries()
    look = Look(title="SSH brute-force attempts", credit="benchmark")
    slices = len(timeline.slices)

    began = time.perf_counter()
    draw_layer(countries, look.size, look.theme)
    static = time.perf_counter() - began
    mapcache.map_layer(look.size, look.theme)  # kept in the cache, if it was not
    began = time.perf_counter()
    layer = mapcache.map_layer(look.size, look.theme)
    cached = time.perf_counter() - began
    canvas = MapCanvas(layer, look, peak=timeline.peak, legend="attempts")
    frames = [
        Captioner(canvas.layout, THEMES[look.theme]).write(canvas.paint(palette), *caption)
        for palette, caption in zip(palettes(canvas, timeline, 3), captions(timeline), strict=True)
    ]
    fast = png.deflate
    with tempfile.TemporaryDirectory() as folder:
        timed = {}
        for name, deflate in (("zlib", zlib), ("used", fast)):
            png.deflate = deflate
            began = time.perf_counter()
            for index, frame in enumerate(frames):
                png.save_png(frame, Path(folder) / f"{index}.png")
            timed[name] = (time.perf_counter() - began) / slices
        png.deflate = fast

    with tempfile.TemporaryDirectory() as folder:
        frames_dir = None if args.no_png else Path(folder) / "frames"
        if frames_dir:
            frames_dir.mkdir()
        began = time.perf_counter()
        written = write_videos(
            render_frames(timeline, [(layer, canvas.layout)], look, frames_dir), [mp4(Path(folder) / "t.mp4")], 12
        )
        day = time.perf_counter() - began
        size = (Path(folder) / "t.mp4").stat().st_size

    texts = captions(timeline)
    began = time.perf_counter()
    for index in range(args.baseline_frames):
        frame = naive_frame(list(countries), timeline.slices[index].counts, texts[index][0], timeline.peak)
        if not args.no_png:
            with tempfile.TemporaryDirectory() as folder:
                Image.fromarray(frame).save(Path(folder) / "f.png")
    naive = (time.perf_counter() - began) / args.baseline_frames

    print(f"slices: {slices}, frames written: {written}, MP4 {size / 1e6:.1f} MB")
    print(f"map layer drawn (first build):   {static * 1000:7.0f} ms")
    print(f"map layer from the cache:        {cached * 1000:7.0f} ms")
    print(f"PNG of a frame, zlib:            {timed['zlib'] * 1000:7.1f} ms")
    print(f"PNG of a frame, {fast.__name__:16s} {timed['used'] * 1000:7.1f} ms")
    print(f"day of frames + MP4 (all cores): {day * 1000:7.0f} ms  = {day / slices * 1000:5.1f} ms/frame (goal 4 s)")
    print(f"naive full redraw per frame:     {naive * 1000:7.0f} ms  → {naive * slices:5.1f} s for the day (one core)")
    print(f"speed-up over the naive redraw:  {naive * slices / day:7.1f}×  (goal 25×)")


if __name__ == "__main__":
    main()

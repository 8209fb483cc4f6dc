"""Encode frames to MP4 with the ffmpeg that imageio-ffmpeg ships. The only module that runs ffmpeg."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from .errors import OutputError


@dataclass(frozen=True, slots=True)
class VideoOutput:
    """One file to encode the frames into."""

    path: Path
    codec: str
    params: tuple[str, ...]
    pix_fmt: str = "yuv420p"


def mp4(path: Path) -> VideoOutput:
    """H.264 High that every browser plays, its index at the front (``+faststart``) so it streams."""
    return VideoOutput(
        path,
        "libx264",
        ("-profile:v", "high", "-preset", "veryfast", "-tune", "animation", "-crf", "22", "-movflags", "+faststart"),
    )


def webm(path: Path) -> VideoOutput:
    return VideoOutput(
        path, "libvpx-vp9", ("-b:v", "0", "-crf", "36", "-deadline", "good", "-cpu-used", "5", "-row-mt", "1")
    )


GIF_WIDTH = (320, 640)
"""The narrowest and widest GIF honeycast writes."""
GIF_MAX_AREA = 12_500_000
"""MediaWiki animates a GIF only if its frames hold at most this many pixels in all ($wgMaxAnimatedGifArea)."""


def gif_width(frames: int, size: tuple[int, int]) -> int:
    """Return the GIF's width: 640 px, narrower where its frames would pass MediaWiki's area, not under 320."""
    width, height = size
    fits = int((GIF_MAX_AREA / max(frames, 1) * width / height) ** 0.5)
    return max(GIF_WIDTH[0], min(GIF_WIDTH[1], fits - fits % 2))


def gif(path: Path, width: int) -> VideoOutput:
    """A GIF ``width`` pixels wide with one palette made for the whole animation, written as palette pixels
    (frames of 24-bit colour would be quantised again by the encoder: ten times the bytes, worse colours)."""
    graph = f"scale={width}:-2:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer"
    return VideoOutput(path, "gif", ("-vf", graph, "-loop", "0"), pix_fmt="pal8")


def write_videos(frames: Iterable[np.ndarray], outputs: list[VideoOutput], size: tuple[int, int], fps: float) -> int:
    """Stream RGB frames into every output at once (no frame is read back from disk); return how many."""
    writers = []
    try:
        for output in outputs:
            writer = imageio_ffmpeg.write_frames(
                str(output.path),
                size,
                fps=fps,
                codec=output.codec,
                pix_fmt_in="rgb24",
                pix_fmt_out=output.pix_fmt,
                macro_block_size=2,
                output_params=list(output.params),
                ffmpeg_log_level="error",
            )
            writer.send(None)  # start ffmpeg
            writers.append(writer)
        written = 0
        for frame in frames:  # an error making a frame is not ffmpeg's: it propagates as it is
            data = np.ascontiguousarray(frame)
            try:
                for writer in writers:
                    writer.send(data)
            except OSError as error:
                raise OutputError(f"{outputs[0].path.parent}: ffmpeg failed: {error}") from None
            written += 1
        return written
    finally:
        for writer in writers:
            writer.close()


@dataclass(frozen=True, slots=True)
class VideoInfo:
    codec: str
    profile: str | None
    pix_fmt: str
    width: int
    height: int
    frames: int
    seconds: float


_STREAM = re.compile(
    r"Video: (?P<codec>\w+)(?: \((?P<profile>[^)]+)\))?[^,]*, (?P<pix>\w+)[(,].*?(?P<w>\d{2,5})x(?P<h>\d{2,5})"
)


def probe(path: Path) -> VideoInfo:
    """Return the codec, pixel format, size and exact frame count of a video, read by decoding it."""
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = _STREAM.search(result.stderr)
    if found is None:
        raise OutputError(f"{path}: no video stream found")
    return VideoInfo(
        codec=found["codec"],
        profile=found["profile"],
        pix_fmt=found["pix"],
        width=int(found["w"]),
        height=int(found["h"]),
        frames=frames,
        seconds=seconds,
    )

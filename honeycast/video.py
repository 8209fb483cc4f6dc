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


def write_mp4(frames: Iterable[np.ndarray], path: Path, size: tuple[int, int], fps: float) -> int:
    """Stream RGB frames into an H.264 MP4 that browsers play; return the number written."""
    writer = imageio_ffmpeg.write_frames(
        str(path),
        size,
        fps=fps,
        codec="libx264",
        pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p",
        macro_block_size=2,
        output_params=["-profile:v", "high", "-crf", "23", "-movflags", "+faststart"],
        ffmpeg_log_level="error",
    )
    writer.send(None)  # start ffmpeg
    written = 0
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
            written += 1
    except OSError as error:
        raise OutputError(f"{path}: ffmpeg failed: {error}") from None
    finally:
        writer.close()
    return written


@dataclass(frozen=True, slots=True)
class VideoInfo:
    codec: str
    profile: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    seconds: float


_STREAM = re.compile(
    r"Video: (?P<codec>\w+) \((?P<profile>[^)]+)\).*?, (?P<pix>yuv\w+)[(,].*?(?P<w>\d{2,5})x(?P<h>\d{2,5})"
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

"""Encode frames to MP4 with the ffmpeg that imageio-ffmpeg ships. The only module that runs ffmpeg."""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np

from .errors import OutputError


@dataclass(frozen=True, slots=True)
class VideoOutput:
    """One file to encode the frames into."""

    path: Path
    codec: str
    params: tuple[str, ...]
    pix_fmt: str = "yuv420p"
    stream: int = 0
    """Which of the frames made for each slice it is made of (they may differ in size)."""


@cache
def ffmpeg() -> str:
    """Return the ffmpeg to run: ``$IMAGEIO_FFMPEG_EXE``, else the one imageio-ffmpeg ships, else its search.

    The shipped binary is found without importing imageio-ffmpeg and without running it to ask its version, as
    imageio-ffmpeg does: a tenth of a second a build, paid by every small build and every night.
    """
    named = os.environ.get("IMAGEIO_FFMPEG_EXE")
    if named:
        return named
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        for found in sorted(Path(folder, "binaries").glob("ffmpeg-*")):
            if found.is_file() and os.access(found, os.X_OK):
                return str(found)
    import imageio_ffmpeg  # a system or conda ffmpeg: its own search

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def mp4(path: Path) -> VideoOutput:
    """H.264 High that every browser plays, its index at the front (``+faststart``) so it streams."""
    return VideoOutput(
        path,
        "libx264",
        ("-profile:v", "high", "-preset", "veryfast", "-crf", "22", "-movflags", "+faststart"),
    )


def webm(path: Path) -> VideoOutput:
    return VideoOutput(
        path, "libvpx-vp9", ("-b:v", "0", "-crf", "36", "-deadline", "good", "-cpu-used", "5", "-row-mt", "1")
    )


def gif(path: Path, stream: int) -> VideoOutput:
    """A GIF with one palette made for the whole animation, written as palette pixels (frames of 24-bit colour
    would be quantised again by the encoder: ten times the bytes, worse colours). Its frames are drawn at its
    own size (layout.gif_size), so its text stays readable."""
    graph = "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer"
    return VideoOutput(path, "gif", ("-vf", graph, "-loop", "0"), pix_fmt="pal8", stream=stream)


def write_videos(
    frames: Iterable[Sequence[np.ndarray]],
    outputs: list[VideoOutput],
    fps: float,
    meanwhile: Callable[[], None] | None = None,
) -> int:
    """Stream RGB frames into every output at once (no frame is read back from disk); return how many slices.

    Each item of ``frames`` holds a slice's frames, one per stream an output may be made of.

    ``meanwhile`` runs once every frame is sent, while the encoders finish their files (the last of the encoding
    takes a while); if it fails, the encoders are stopped.
    """
    encoders: list[_Encoder] = []
    # The first frame before any encoder starts: processes that make frames are forked then, so none of them holds
    # an encoder's input open (ffmpeg would wait for the end of a pipe that a frame worker still has).
    frames = iter(frames)
    first = next(frames, None)
    try:
        for output in outputs:
            height, width = (720, 1280) if first is None else first[output.stream].shape[:2]
            encoders.append(_Encoder(output, (width, height), fps))
        written = 0
        rest = itertools.chain([] if first is None else [first], frames)
        for made in rest:  # an error making a frame is not ffmpeg's: it propagates as it is
            streams = [np.ascontiguousarray(frame).data for frame in made]
            for encoder in encoders:
                encoder.send(streams[encoder.output.stream])
            written += 1
        for encoder in encoders:
            encoder.end_input()
        if meanwhile is not None:
            meanwhile()
        for encoder in encoders:
            encoder.finish()
        return written
    finally:
        for encoder in encoders:
            encoder.stop()


class _Encoder:
    """One ffmpeg process reading raw RGB frames on its standard input and writing one file.

    It runs in a session of its own, so a Ctrl-C meant for honeycast does not reach it: honeycast stops it.
    What it says goes to a temporary file (a pipe left unread could fill and stall it), read back on failure.
    """

    def __init__(self, output: VideoOutput, size: tuple[int, int], fps: float) -> None:
        width, height = size
        self.output = output
        self.said = tempfile.TemporaryFile()
        command = [
            ffmpeg(), "-y", "-v", "error", "-nostdin",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
            "-r", str(Fraction(fps).limit_denominator()), "-i", "-",
            "-vcodec", output.codec, "-pix_fmt", output.pix_fmt, *output.params, str(output.path),
        ]  # fmt: skip
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.said, start_new_session=True
            )
        except OSError as error:
            self.said.close()
            raise OutputError(f"{output.path.parent}: cannot run ffmpeg: {error.strerror or error}") from None
        assert self.process.stdin is not None
        self.stdin = self.process.stdin

    def send(self, data: memoryview) -> None:
        try:
            self.stdin.write(data)
        except OSError:  # ffmpeg stopped reading: it failed, and says why
            self.process.wait()
            raise OutputError(f"{self.output.path.parent}: ffmpeg failed: {self._said()}") from None

    def end_input(self) -> None:
        """Tell ffmpeg there are no more frames: it finishes the file on its own."""
        self._end_input()

    def finish(self) -> None:
        """End the input and wait for the file to be written."""
        self._end_input()
        if self.process.wait() != 0:
            raise OutputError(f"{self.output.path.parent}: ffmpeg failed: {self._said()}")

    def stop(self) -> None:
        """Stop ffmpeg if it still runs (a failed or interrupted build), and let go of what it held."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._end_input()
        self.said.close()

    def _end_input(self) -> None:
        with suppress(OSError):  # what is left of a frame for an ffmpeg that has stopped reading
            self.stdin.close()

    def _said(self) -> str:
        self.said.seek(0)
        lines = self.said.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self.process.returncode}"


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
    import imageio_ffmpeg

    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    result = subprocess.run(
        [ffmpeg(), "-hide_banner", "-i", str(path)],
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

"""A PNG encoder for the maps: RGB pixels, no row filters, fast zlib, and rows a frame shares with its canvas
compressed once for all frames."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

BAND = 16
"""Rows compressed together: a frame re-compresses only the bands where it differs from its canvas."""
_ADLER = 65521
_HEADER = b"\x78\x01"  # zlib, deflate with a 32 KiB window, the fastest level
_LAST = zlib.compressobj(1, zlib.DEFLATED, -15).flush()  # an empty final block


def save_png(pixels: np.ndarray, path: Path) -> None:
    """Write RGB pixels as a PNG, fast: no row filters and zlib level 1.

    The maps are large areas of flat colour, which zlib compresses well without PNG's adaptive
    filters; choosing those filters is what makes a general encoder (Pillow's) four times slower
    here, for files that come out larger.
    """
    write(_png(pixels, zlib.compress(_rows(pixels).tobytes(), 1)), path)


def write(data: bytes, path: Path) -> None:
    """Write a PNG file's bytes: the one place every map and chart reaches the disk."""
    path.write_bytes(data)


class FramePng:
    """Writes frames that differ from one canvas in a few places (lit countries, a caption).

    The canvas is compressed once, in bands of ``BAND`` rows that each end on a byte boundary with nothing
    carried into the next (a full flush); a frame's stream is the canvas's bands where the frame has the same
    rows and freshly compressed bands where it has not, and its checksum is combined from the bands'.
    """

    def __init__(self, canvas: np.ndarray) -> None:
        self.canvas = canvas
        self.bands = [_band(_rows(canvas[top : top + BAND])) for top in range(0, canvas.shape[0], BAND)]

    def encode(self, pixels: np.ndarray) -> bytes:
        """Return the PNG file of a frame the size of the canvas."""
        rows = (pixels != self.canvas).reshape(pixels.shape[0], -1).any(axis=1)
        parts = []
        checksum = 1
        for index, top in enumerate(range(0, pixels.shape[0], BAND)):
            same = not rows[top : top + BAND].any()
            data, adler, length = self.bands[index] if same else _band(_rows(pixels[top : top + BAND]))
            parts.append(data)
            checksum = _adler_combined(checksum, adler, length)
        stream = b"".join([_HEADER, *parts, _LAST, struct.pack(">I", checksum)])
        return _png(pixels, stream)

    def save(self, pixels: np.ndarray, path: Path) -> None:
        write(self.encode(pixels), path)


def _rows(pixels: np.ndarray) -> np.ndarray:
    """Return the pixels as PNG scanlines, each led by filter type 0 (none)."""
    height, width, _ = pixels.shape
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = pixels.reshape(height, width * 3)
    return rows


def _band(rows: np.ndarray) -> tuple[bytes, int, int]:
    """Return rows as raw deflate data ending on a byte boundary, their Adler-32 and their length."""
    raw = rows.tobytes()
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH), zlib.adler32(raw), len(raw)


def _adler_combined(first: int, second: int, length: int) -> int:
    """Return the Adler-32 of two pieces of data from theirs and the second's length (zlib's adler32_combine)."""
    remainder = length % _ADLER
    low = (first & 0xFFFF) + (second & 0xFFFF) + _ADLER - 1
    high = (remainder * (first & 0xFFFF)) % _ADLER + (first >> 16) + (second >> 16) + _ADLER - remainder
    return (low % _ADLER) | ((high % _ADLER) << 16)


def _png(pixels: np.ndarray, stream: bytes) -> bytes:
    height, width, _ = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

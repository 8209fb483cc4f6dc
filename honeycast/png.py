"""A PNG encoder for the frames: RGB pixels, no row filters, fast zlib."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def save_png(pixels: np.ndarray, path: Path) -> None:
    """Write RGB pixels as a PNG, fast: no row filters and zlib level 1.

    The maps are large areas of flat colour, which zlib compresses well without PNG's adaptive
    filters; choosing those filters is what makes a general encoder (Pillow's) four times slower
    here, for files that come out larger.
    """
    height, width, _ = pixels.shape
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none"
    rows[:, 1:] = pixels.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

"""Binary PPM (P6) images, read and written with numpy alone (pillow is not a dependency of neuralviz).

The format: the text "P6", width, height and the largest value (255 here), separated by white space
(lines starting with '#' are comments), one more white-space byte, then rows of RGB bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _header_tokens(data: bytes, path) -> tuple[list[bytes], int]:
    """The four header fields and the offset of the first pixel byte."""
    tokens: list[bytes] = []
    i = 0
    while len(tokens) < 4:
        while i < len(data) and data[i : i + 1].isspace():
            i += 1
        if data[i : i + 1] == b"#":
            while i < len(data) and data[i : i + 1] not in (b"\n", b"\r"):
                i += 1
            continue
        start = i
        while i < len(data) and not data[i : i + 1].isspace():
            i += 1
        if start == i:
            raise ValueError(f"{path}: truncated PPM header")
        tokens.append(data[start:i])
    return tokens, i + 1  # one white-space byte ends the header


def read_ppm(path: str | Path) -> np.ndarray:
    """A P6 file as float64 (H, W, 3) in [0, 1]; ValueError naming the file when it is not one."""
    data = Path(path).read_bytes()
    tokens, offset = _header_tokens(data, path)
    if tokens[0] != b"P6":
        raise ValueError(f"{path}: not a binary PPM (magic {tokens[0][:8]!r}, expected b'P6')")
    try:
        width, height, top = (int(t) for t in tokens[1:])
    except ValueError:
        raise ValueError(f"{path}: PPM header fields must be integers, got {tokens[1:]}") from None
    if not (width > 0 and height > 0 and 0 < top < 256):
        raise ValueError(f"{path}: PPM of {width}x{height} with max value {top} (need > 0, and max < 256)")
    need = width * height * 3
    pixels = np.frombuffer(data, np.uint8, count=min(need, max(0, len(data) - offset)), offset=offset)
    if pixels.size != need:
        raise ValueError(f"{path}: PPM holds {pixels.size} pixel bytes, {width}x{height}x3 = {need} expected")
    return pixels.reshape(height, width, 3).astype(np.float64) / top


def write_ppm(path: str | Path, image: np.ndarray) -> Path:
    """Write a float (H, W, 3) image in [0, 1] as 8-bit P6 (rounded to the nearest level)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"write_ppm: image must be (H, W, 3), got shape {image.shape}")
    levels = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    path = Path(path)
    path.write_bytes(f"P6\n{image.shape[1]} {image.shape[0]}\n255\n".encode("ascii") + levels.tobytes())
    return path

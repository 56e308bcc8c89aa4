"""QImage -> numpy, safely: one helper for every test that reads the pixels of a picture.

`image.convertToFormat(...).constBits()` on a temporary is a use-after-free: the voidptr does not keep
the converted QImage alive, so Python may free it before the bytes are read (a crash now and then). Here
the converted image stays in a variable while its bits are read, and the bytes are copied out at once.
"""

from __future__ import annotations

import numpy as np


def rgb_array(image) -> np.ndarray:
    """(H, W, 3) uint8 copy of the RGB pixels of a QImage (any format; alpha dropped)."""
    from PyQt6.QtGui import QImage

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)  # alive until the bytes are copied
    h, w, stride = rgba.height(), rgba.width(), rgba.bytesPerLine()
    if rgba.isNull() or h == 0 or w == 0:
        return np.zeros((h, w, 3), dtype=np.uint8)
    data = rgba.constBits().asstring(rgba.sizeInBytes())  # bytes: a copy, independent of the QImage
    rows = np.frombuffer(data, dtype=np.uint8).reshape(h, stride)
    return rows[:, : 4 * w].reshape(h, w, 4)[..., :3].copy()


def widget_pixels(widget) -> np.ndarray:
    """(H, W, 3) uint8 of what a widget shows."""
    return rgb_array(widget.grab().toImage())

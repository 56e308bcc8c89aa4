"""A widget's pixels as an H x W x 3 uint8 array (a recorded frame): what the widget paints, not the screen."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage


def image_to_array(image: QImage) -> np.ndarray:
    """A QImage as RGB uint8, rows without Qt's line padding."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = img.height(), img.width()
    if h == 0 or w == 0:
        return np.zeros((max(h, 1), max(w, 1), 3), np.uint8)
    bits = img.constBits()
    bits.setsize(img.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(h, img.bytesPerLine())
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def grab_frame(widget) -> np.ndarray:
    return image_to_array(widget.grab().toImage())

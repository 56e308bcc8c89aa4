"""Small drawing helpers shared by the feature-map views (fonts from the theme, images, captions)."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QImage, QPainter

from ..common.theme import Theme
from .mosaic import grey_lut

GREY_LUT = grey_lut()  # inputs: ink (high values) dark on white paper, as the studio shows images
RIGHT, WRONG = "#1a7f37", "#cf222e"  # also marked with ✓ / ✗, never by colour alone


def theme_font(theme: Theme, scale: float = 1.0, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(theme.font_pt * scale)
    font.setBold(bold)
    return font


def rgba_image(rgba: np.ndarray) -> QImage:
    """An (H, W, 4) uint8 array as a QImage that owns a copy of the pixels."""
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def grey_image(values: np.ndarray, vmax: float = 1.0) -> QImage:
    """(H, W) in [0, vmax] as ink on paper (through the Cython colour mapping)."""
    from ...viz import colormap_rgba

    v = np.ascontiguousarray(values, dtype=np.float32)
    out = np.empty(v.shape + (4,), dtype=np.uint8)
    colormap_rgba(v, GREY_LUT, 0.0, float(vmax) if vmax > 0 else 1.0, out)
    return rgba_image(out)


def draw_pixels(p: QPainter, target: QRectF, image: QImage, frame: str = "#8c959f") -> None:
    """An image scaled into target with hard pixel edges (each input pixel a visible square), framed."""
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    p.drawImage(target, image)
    p.setPen(QColor(frame))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(target)


def fitted(rect: QRectF, h: int, w: int) -> QRectF:
    """The largest rect of aspect w:h centred in rect (images keep square pixels)."""
    scale = max(1e-6, min(rect.width() / max(w, 1), rect.height() / max(h, 1)))
    cw, ch = w * scale, h * scale
    return QRectF(rect.center().x() - cw / 2, rect.center().y() - ch / 2, cw, ch)

"""DrawCanvas: the network's input, big, and a place to draw one with the mouse.

It shows what the network sees (the chosen image after the translation) with every input pixel a visible
square. Dragging with the left button paints a soft round brush into the image, the right button erases;
strokes land where they are drawn on screen, i.e. in the untranslated image at (x - dx, y - dy). Each change
emits imageDrawn with the new untranslated image; the page sends it to the network at once.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme
from .drawing import draw_pixels, fitted, grey_image
from .probe import translate

STAMP_SPACING = 0.25  # brush stamps per input pixel along a stroke: a smooth line at any mouse speed


def brush_radius(width: int) -> float:
    """Stroke half-width in input pixels: about as thick as the handwriting in the dataset
    (1.5 px of the 8x8 digits, 2.5-3 px of 28x28 MNIST)."""
    return max(0.7, width / 20.0)


def stamp_segment(
    image: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], radius: float, erase: bool = False
) -> np.ndarray:
    """A copy of `image` (H, W) with a round brush dragged from p0 to p1 (x, y in pixel units, 0 = the
    left/top edge). Coverage is anti-aliased: 1 inside the radius, falling to 0 over one pixel."""
    h, w = image.shape
    (x0, y0), (x1, y1) = p0, p1
    n = max(1, int(np.hypot(x1 - x0, y1 - y0) / STAMP_SPACING) + 1)
    t = np.linspace(0.0, 1.0, n)
    px, py = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    cy, cx = np.arange(h) + 0.5, np.arange(w) + 0.5
    d2 = (cx[None, None, :] - px[:, None, None]) ** 2 + (cy[None, :, None] - py[:, None, None]) ** 2
    coverage = np.clip(radius + 0.5 - np.sqrt(d2.min(axis=0)), 0.0, 1.0).astype(image.dtype)
    return np.minimum(image, 1.0 - coverage) if erase else np.maximum(image, coverage)


class DrawCanvas(QWidget):
    imageDrawn = pyqtSignal(object)  # (C, H, W) the untranslated image after a stroke

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.base: np.ndarray | None = None  # (C, H, W) untranslated
        self.shift = (0, 0)
        self._shown = None
        self._last: tuple[float, float] | None = None
        self._erase = False
        self.setMinimumSize(90, 90)  # the page, class scores below included, fits 720 pixels with large fonts
        # it paints every pixel itself: Qt need not repaint the panel beneath it on each frame
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the left mouse button, erase with the right one")

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def set_image(self, base: np.ndarray, shift: tuple[int, int]) -> None:
        self.base = np.array(base, dtype=np.float32, copy=True)
        self.shift = (int(shift[0]), int(shift[1]))
        seen = translate(self.base, *self.shift)
        self._shown = grey_image(seen.max(axis=0), 1.0)
        self.update()

    # ------------------------------------------------------------------ geometry
    def image_rect(self) -> QRectF:
        if self.base is None:
            return QRectF(self.rect())
        _, h, w = self.base.shape
        return fitted(QRectF(self.rect()).adjusted(4, 4, -4, -4), h, w)

    def to_pixels(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> (x, y) in the untranslated image, in pixel units."""
        r = self.image_rect()
        _, h, w = self.base.shape
        x = (pos.x() - r.left()) / r.width() * w - self.shift[0]
        y = (pos.y() - r.top()) / r.height() * h - self.shift[1]
        return x, y

    # ------------------------------------------------------------------ drawing
    def mousePressEvent(self, event) -> None:
        if self.base is None:
            return
        self._erase = event.button() == Qt.MouseButton.RightButton
        self._last = self.to_pixels(event.position())
        self._stroke(self._last)

    def mouseMoveEvent(self, event) -> None:
        if self._last is not None:
            self._stroke(self.to_pixels(event.position()))

    def mouseReleaseEvent(self, event) -> None:
        self._last = None

    def _stroke(self, to: tuple[float, float]) -> None:
        radius = brush_radius(self.base.shape[2])
        channels = [stamp_segment(c, self._last, to, radius, self._erase) for c in self.base]
        self._last = to
        self.set_image(np.stack(channels), self.shift)
        self.imageDrawn.emit(self.base.copy())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self.theme.panel))
        if self._shown is None:
            return
        draw_pixels(p, self.image_rect(), self._shown)

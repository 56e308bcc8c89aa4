"""SaliencyView: which pixels the class score is most sensitive to (Simonyan et al. 2013).

The gradient of one class score (the raw output before the softmax) with respect to every input pixel,
from the network's own backward pass. Blue: making that pixel brighter raises the score; orange: lowers it;
white: no effect. Beside it the same gradient's size laid over the input, so the sensitive strokes stand
out. The class followed is the prediction, or the one clicked in the class-score bars.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ...viz import colormap_rgba
from ..common.theme import Theme, diverging_lut, hex_to_rgb
from .drawing import GREY_LUT, draw_pixels, fitted, rgba_image, theme_font
from .probe import ProbeResult

# The |gradient| overlay is a size, not a sign: Okabe-Ito reddish purple, apart from the orange and blue
# that mean negative and positive everywhere else on the page.
HIGHLIGHT = "#cc79a7"


def overlay_rgba(image: np.ndarray, weight: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """(H, W, 4): the image as ink on paper with `colour` laid over it in proportion to weight in [0, 1]."""
    grey = np.empty(image.shape + (4,), dtype=np.uint8)
    colormap_rgba(np.ascontiguousarray(image, dtype=np.float32), GREY_LUT, 0.0, 1.0, grey)
    a = np.clip(weight, 0.0, 1.0)[..., None] * 0.85
    rgb = grey[..., :3] * (1.0 - a) + np.array(colour, dtype=np.float64) * a
    out = np.empty_like(grey)
    out[..., :3] = np.rint(rgb).astype(np.uint8)
    out[..., 3] = 255
    return out


class SaliencyView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.lut = diverging_lut(theme)
        self.names: tuple[str, ...] = ()
        self.result: ProbeResult | None = None
        self.images: tuple[QImage, ...] = ()
        self.peak = 0.0
        self._dirty = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 140)
        # it paints every pixel itself: Qt need not repaint the panel beneath it on each frame
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.lut = diverging_lut(theme)
        if self.result is not None:
            self.show_result(self.result)

    def set_classes(self, names) -> None:
        self.names = tuple(names)

    def show_result(self, result: ProbeResult) -> None:
        """Keeps the result; the pictures are made when the view is painted (never while it is hidden)."""
        self.result = result
        self._dirty = True
        self.update()

    def _render(self) -> None:
        result = self.result
        self._dirty = False
        grad = result.saliency.sum(axis=0)
        image = np.clip(result.image.max(axis=0), 0.0, 1.0)
        self.peak = float(np.max(np.abs(grad))) if grad.size else 0.0
        scale = self.peak if self.peak > 1e-12 else 1.0
        signed = np.empty(grad.shape + (4,), dtype=np.uint8)
        colormap_rgba(np.ascontiguousarray(grad, dtype=np.float32), self.lut, -scale, scale, signed)
        size = np.abs(grad) / scale
        self.images = (
            rgba_image(overlay_rgba(image, np.zeros_like(size), (0, 0, 0))),
            rgba_image(signed),
            rgba_image(overlay_rgba(image, size, hex_to_rgb(HIGHLIGHT))),
        )

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self.theme
        p.fillRect(self.rect(), QColor(t.panel))
        r = self.result
        if r is None:
            return
        if self._dirty:
            self._render()
        p.setFont(theme_font(t, 1.05, bold=True))
        fm = p.fontMetrics()
        k = r.saliency_class
        name = self.names[k] if k < len(self.names) else str(k)
        line = fm.height() + 4
        p.setPen(QColor(t.text))
        p.drawText(
            QRectF(8, 4, self.width() - 16, line),
            Qt.AlignmentFlag.AlignLeft,
            f"Saliency: how each pixel moves the score of “{name}”",
        )
        p.setFont(theme_font(t))
        fm = p.fontMetrics()
        small = fm.height() + 2
        legend = (
            "Blue: brightening that pixel raises the score; orange: lowers it; white: no effect. "
            "Purple over the input: how much each pixel matters either way. "
            f"Largest |gradient| {self.peak:.3g}. Click a class in the score bars to follow it."
        )
        captions = ("input", "gradient (signed)", "|gradient| over the input")
        width, free = self.width() - 16, self.height() - line - 12
        # one row of three, or two rows of two with the explanation in the fourth place: whichever is bigger
        wide = min(width / 3 - 12, free - small - 4 * small)
        square = min(width / 2 - 12, free / 2 - small - 8)
        cols, side = (3, wide) if wide >= square else (2, square)
        side = max(20.0, side)
        cell_w = width / cols
        _, h, w = r.image.shape
        for i, (image, caption) in enumerate(zip(self.images, captions)):
            row, col = divmod(i, cols)
            top = line + 8 + row * (side + small + 8)
            box = QRectF(8 + col * cell_w + (cell_w - side) / 2, top, side, side)
            draw_pixels(p, fitted(box, h, w), image)
            p.setPen(QColor(t.text))
            p.drawText(
                QRectF(8 + col * cell_w, box.bottom() + 2, cell_w, small), Qt.AlignmentFlag.AlignHCenter, caption
            )
        if cols == 3:
            text_box = QRectF(8, line + 8 + side + small + 8, width, 4 * small)
        else:
            text_box = QRectF(8 + cell_w + 6, line + 8 + side + small + 8, cell_w - 12, side)
        p.setPen(QColor(t.muted_text))
        p.drawText(text_box, Qt.TextFlag.TextWordWrap, legend)

"""ConfusionView: the test-set confusion matrix (row = true class, column = predicted class).

Every cell shows its count; its colour says what share of that true class landed there: blue on the
diagonal (right), orange off it (wrong), stronger for larger shares, so mistakes stand out at a glance and
the meaning survives without colour vision (the numbers and the diagonal carry it). Clicking a cell shows
one of its test images as the input: "show me a 3 taken for an 8".
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme, hex_to_rgb
from .drawing import theme_font
from .sweep import SweepResult


def _mix(colour: str, share: float) -> QColor:
    """White blended toward colour by share in [0, 1]."""
    r, g, b = hex_to_rgb(colour)
    s = float(np.clip(share, 0.0, 1.0))
    return QColor(int(255 + (r - 255) * s), int(255 + (g - 255) * s), int(255 + (b - 255) * s))


class ConfusionView(QWidget):
    cellClicked = pyqtSignal(int, int)  # true class, predicted class

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.names: tuple[str, ...] = ()
        self.sweep: SweepResult | None = None
        self._grid: tuple[float, float, float] | None = None  # left, top, cell
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        # it paints every pixel itself: Qt need not repaint the panel beneath it on each frame
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def set_classes(self, names) -> None:
        self.names = tuple(names)
        self.sweep = None
        self.update()

    def show_sweep(self, sweep: SweepResult) -> None:
        self.sweep = sweep
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self.theme
        p.fillRect(self.rect(), QColor(t.panel))
        s = self.sweep
        if s is None or not self.names:
            p.setPen(QColor(t.muted_text))
            p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, "Measuring the test set…")
            return
        k = len(self.names)
        m = s.confusion
        p.setFont(theme_font(t, 1.05, bold=True))
        fm = p.fontMetrics()
        line = fm.height() + 4
        n = int(m.sum())
        p.setPen(QColor(t.text))
        title = fm.elidedText(
            f"Test set: {n:,d} images, {100 * s.accuracy:.1f}% right (step {s.step:,d})",
            Qt.TextElideMode.ElideRight,
            self.width() - 16,
        )
        p.drawText(QRectF(8, 4, self.width() - 16, line), Qt.AlignmentFlag.AlignLeft, title)
        p.setFont(theme_font(t))
        fm = p.fontMetrics()
        label_w = max(fm.horizontalAdvance(x) for x in self.names) + 10
        top = 4 + line + fm.height() + 8
        left = 8 + fm.height() + label_w
        cell = max(8.0, min((self.width() - left - 8) / k, (self.height() - top - 8) / k))
        self._grid = (left, top, cell)
        p.setPen(QColor(t.muted_text))
        p.drawText(
            QRectF(left, top - fm.height() - 6, cell * k, fm.height()),
            Qt.AlignmentFlag.AlignHCenter,
            "predicted class →",
        )
        p.save()
        p.translate(8, top + cell * k / 2)
        p.rotate(-90)
        p.drawText(QRectF(-cell * k / 2, 0, cell * k, fm.height()), Qt.AlignmentFlag.AlignHCenter, "true class →")
        p.restore()
        rows = np.maximum(m.sum(axis=1, keepdims=True), 1)
        share = m / rows
        number_font = theme_font(t, float(np.clip(cell / (3.0 * t.font_pt), 0.6, 1.5)))
        for i in range(k):
            p.setFont(theme_font(t))
            p.setPen(QColor(t.text))
            p.drawText(
                QRectF(left - label_w, top + i * cell, label_w - 6, cell),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.names[i],
            )
            p.drawText(
                QRectF(left + i * cell, top + k * cell + 2, cell, fm.height()),
                Qt.AlignmentFlag.AlignHCenter,
                self.names[i][:4] if cell < 40 else self.names[i],
            )
            p.setFont(number_font)
            for j in range(k):
                rect = QRectF(left + j * cell, top + i * cell, cell, cell)
                colour = t.positive if i == j else t.negative
                p.fillRect(rect, _mix(colour, share[i, j] if m[i, j] else 0.0))
                p.setPen(QColor("#d0d7de"))
                p.drawRect(rect)
                if m[i, j]:
                    dark = share[i, j] > 0.55
                    p.setPen(QColor("#ffffff" if dark else t.text))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(m[i, j])))

    def mousePressEvent(self, event) -> None:
        if self._grid is None or self.sweep is None:
            return
        left, top, cell = self._grid
        j = int((event.position().x() - left) // cell)
        i = int((event.position().y() - top) // cell)
        k = len(self.names)
        if 0 <= i < k and 0 <= j < k:
            self.cellClicked.emit(i, j)

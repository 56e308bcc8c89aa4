"""ScoresView: the network's class probabilities for the chosen input, as horizontal bars.

The predicted class is bold with its bar in the theme's positive colour; the true class (of an unedited test
image) is marked "✓ true" or "✗ true", so the reading needs no colour vision. Clicking a class chooses it
for the saliency map (click it again to follow the prediction).
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme
from .drawing import RIGHT, WRONG, theme_font

MIN_ROW = 11.0  # pixels: the least height of one class's row (below, the text would not fit)


class ScoresView(QWidget):
    classClicked = pyqtSignal(int)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.names: tuple[str, ...] = ()
        self.probs: np.ndarray | None = None
        self.true_label: int | None = None
        self.chosen: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(80)  # soft: the page must fit a 720-pixel projector with large fonts
        # it paints every pixel itself: Qt need not repaint the panel beneath it on each frame
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setFont(theme_font(theme))
        self.update()

    def set_classes(self, names) -> None:
        self.names = tuple(names)
        self.probs = None
        # every class keeps a readable row: a shorter panel would cut the last classes off
        self.setMinimumHeight(max(80, int(MIN_ROW * len(self.names)) + 8))
        self.update()

    def show_scores(self, probs: np.ndarray, true_label: int | None, chosen: int | None) -> None:
        self.probs, self.true_label, self.chosen = probs, true_label, chosen
        self.update()

    @property
    def predicted(self) -> int | None:
        return None if self.probs is None else int(np.argmax(self.probs))

    def _row_height(self) -> float:
        """Rows share the height, but a few classes do not get fat bars (at most 2.4 text lines each)."""
        most = 2.4 * self.fontMetrics().height()
        return max(MIN_ROW, min(most, (self.height() - 8) / max(1, len(self.names))))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self.theme.panel))
        if self.probs is None or not self.names:
            return
        t = self.theme
        row = self._row_height()
        # short rows (ten classes in a short panel): the text shrinks only as far as its line needs
        full = QFontMetrics(theme_font(t)).height()
        font = theme_font(t, min(1.0, max(0.5, 1.05 * row / full)))
        p.setFont(font)
        fm = p.fontMetrics()
        name_w = max(fm.horizontalAdvance(n) for n in self.names) + 12
        value_w = fm.horizontalAdvance("100%") + 10
        mark_w = fm.horizontalAdvance("✗ true") + 10
        bar_left, bar_w = name_w, max(10.0, self.width() - name_w - value_w - mark_w - 8)
        top = 4.0
        best = int(np.argmax(self.probs))
        for k, name in enumerate(self.names):
            y = top + k * row
            prob = float(self.probs[k]) if k < len(self.probs) else 0.0
            bold = k == best
            f = theme_font(t, font.pointSizeF() / t.font_pt, bold)
            p.setFont(f)
            p.setPen(QColor(t.text))
            p.drawText(QRectF(0, y, name_w - 8, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            bar = QRectF(bar_left, y + row * 0.18, bar_w, row * 0.64)
            p.fillRect(bar, QColor(t.neutral))
            colour = QColor(t.positive if k == best else t.muted_text)
            p.fillRect(QRectF(bar.left(), bar.top(), bar.width() * prob, bar.height()), colour)
            if self.chosen is not None and k == self.chosen:
                p.setPen(QColor(t.text))
                p.drawRect(bar.adjusted(-2, -2, 2, 2))
            p.setPen(QColor(t.text))
            p.drawText(QRectF(bar.right() + 4, y, value_w, row), Qt.AlignmentFlag.AlignVCenter, f"{100 * prob:.0f}%")
            if self.true_label is not None and k == self.true_label:
                ok = best == k
                p.setPen(QColor(RIGHT if ok else WRONG))
                p.drawText(
                    QRectF(bar.right() + 4 + value_w, y, mark_w, row),
                    Qt.AlignmentFlag.AlignVCenter,
                    "✓ true" if ok else "✗ true",
                )

    def mousePressEvent(self, event) -> None:
        if not self.names:
            return
        k = int((event.position().y() - 4) // self._row_height())
        if 0 <= k < len(self.names):
            self.classClicked.emit(k)

"""SamplesView: what the network says about a few test examples, for data that has no plane to draw.

Images are shown as a grid with the predicted class under each (✓ right, ✗ wrong: marks as well as
colours, so the result reads without colour vision); sequences as one line of text per example.
"""

from __future__ import annotations

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen
from PyQt6.QtWidgets import QWidget

from ..common.render import grey_qimage
from ..common.snapshot import Samples, Snapshot
from ..common.theme import Theme

RIGHT, WRONG = "#1a7f37", "#cf222e"


class SamplesView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.samples: Samples | None = None
        self._images = []
        self.setMinimumSize(240, 240)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def show_info(self, info) -> None:
        """Nothing to prepare: the samples come with every snapshot."""

    def show_snapshot(self, snap: Snapshot) -> None:
        if snap.samples is None or snap.samples is self.samples:
            return
        self.samples = snap.samples
        self._images = (
            [grey_qimage(1.0 - im) for im in snap.samples.images]  # dark strokes on white
            if snap.samples.images is not None
            else []
        )
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#ffffff"))
        s = self.samples
        if s is None:
            return
        font = QFont(self.font())
        font.setPointSizeF(self.theme.font_pt)
        p.setFont(font)
        if self._images:
            self._paint_images(p, s)
        else:
            self._paint_texts(p, s)

    def _paint_images(self, p: QPainter, s: Samples) -> None:
        n = len(self._images)
        cols = 4
        rows = (n + cols - 1) // cols
        line = p.fontMetrics().height() + 4
        cell_w = self.width() / cols
        cell_h = self.height() / max(rows, 1)
        side = max(8.0, min(cell_w - 12, cell_h - line - 10))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, (image, text, ok) in enumerate(zip(self._images, s.texts, s.correct)):
            r, c = divmod(i, cols)
            x = c * cell_w + (cell_w - side) / 2
            y = r * cell_h + 4
            target = QRectF(x, y, side, side)
            p.drawImage(target, image)
            colour = QColor(RIGHT if ok else WRONG)
            p.setPen(QPen(colour, 3 if self.theme.high_contrast else 2))
            p.drawRect(target)
            p.setPen(colour)
            p.drawText(
                QRectF(c * cell_w, y + side + 2, cell_w, line),
                Qt.AlignmentFlag.AlignHCenter,
                f"{'✓' if ok else '✗'} {text}",
            )

    def _paint_texts(self, p: QPainter, s: Samples) -> None:
        line = p.fontMetrics().height() * 2.6
        y = 6.0
        for text, ok in zip(s.texts, s.correct):
            colour = QColor(self.theme.text if ok is None else (RIGHT if ok else WRONG))
            mark = "" if ok is None else ("✓ " if ok else "✗ ")
            p.setPen(colour)
            p.drawText(
                QRectF(8, y, self.width() - 16, line), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, mark + text
            )
            y += line
            if y > self.height():
                break

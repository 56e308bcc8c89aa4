"""SignLegend: how to read the colours of maps and filters (a bar from orange through white to blue)."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QLinearGradient, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme
from .drawing import theme_font

TEXT = "each layer on its own scale"


class SignLegend(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setFont(theme_font(theme, 0.95))
        self.setFixedHeight(int(self.fontMetrics().height() * 1.6) + 4)
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self.theme
        p.setFont(self.font())
        fm = p.fontMetrics()
        labels = ("negative", "0", "positive")
        bar_w = min(260.0, self.width() * 0.4)
        left_w = fm.horizontalAdvance(labels[0]) + 6
        bar = QRectF(left_w + 4, (self.height() - fm.height()) / 2, bar_w, fm.height())
        grad = QLinearGradient(QPointF(bar.left(), 0), QPointF(bar.right(), 0))
        for stop, colour in ((0.0, t.negative), (0.5, t.neutral), (1.0, t.positive)):
            grad.setColorAt(stop, QColor(colour))
        p.fillRect(bar, grad)
        p.setPen(QColor(t.text))
        p.drawRect(bar)
        p.drawText(
            QRectF(0, 0, left_w, self.height()), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, labels[0]
        )
        p.drawText(bar, Qt.AlignmentFlag.AlignCenter, labels[1])
        x = bar.right() + 6
        p.drawText(QRectF(x, 0, self.width() - x, self.height()), Qt.AlignmentFlag.AlignVCenter, labels[2])
        x += fm.horizontalAdvance(labels[2]) + 16
        p.setPen(QColor(t.muted_text))
        room = max(0.0, self.width() - x)
        p.drawText(
            QRectF(x, 0, room, self.height()),
            Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(TEXT, Qt.TextElideMode.ElideRight, int(room)),
        )

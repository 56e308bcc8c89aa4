"""StatusText: one line of text at the page's top right (the training step the views show).

A QLabel would do, but every new text re-lays out its parent and so repaints the whole page, several times
a second while training; this widget has a fixed size and only repaints itself.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme
from .drawing import theme_font

SAMPLE = "weights of training step 10,000,000  ·  prediction “T-shirt/top” 100%"


class StatusText(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setFont(theme_font(theme))
        fm = self.fontMetrics()
        self.setFixedSize(fm.horizontalAdvance(SAMPLE) + 16, fm.height() + 6)
        self.update()

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setPen(QColor(self.theme.muted_text))
        p.drawText(
            self.rect().adjusted(0, 0, -4, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._text
        )

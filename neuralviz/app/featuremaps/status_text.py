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
        # wide enough for the step; longer texts are elided (whole in the tooltip), so the heading and
        # this line fit a 1024-pixel window with large fonts
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setFont(theme_font(theme))
        fm = self.fontMetrics()
        self.setFixedHeight(fm.height() + 6)
        self.setMinimumWidth(fm.horizontalAdvance(SAMPLE[:26]) + 16)
        self.update()

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.setToolTip(text)
            self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setPen(QColor(self.theme.muted_text))
        rect = self.rect().adjusted(0, 0, -4, 0)
        text = p.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, rect.width())
        p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

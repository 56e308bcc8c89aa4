"""ScrollColumn: a page's side column that scrolls vertically when the window is too short for it.

A scroll area asks for almost no height, so a column in one stops the window's minimum height from growing
past a small projector (large fonts, 768 pixels). Its minimum width stays the column's own plus the scroll
bar's: the horizontal bar is off (as in panels.scrolling), and a narrower area would cut off the column's
right edge. The width is asked for each time (not fixed when built): the theme's fonts change it.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtWidgets import QFrame, QScrollArea, QWidget


class ScrollColumn(QScrollArea):
    def __init__(self, column: QWidget):
        super().__init__()
        self.setWidget(column)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(self.widget().minimumSizeHint().width() + bar, super().minimumSizeHint().height())

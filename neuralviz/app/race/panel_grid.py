"""PanelGrid: the runs' panels in the rows and columns that make their pictures largest in the room given.

Two runs sit side by side; four sit in a row on a wide screen and in a 2 x 2 grid on a squarer one. The choice
is made again on every resize, from each panel's text height, so larger fonts never squeeze a picture into a
sliver: the grid picks the arrangement in which the pictures stay biggest.
"""

from __future__ import annotations

import math

from PyQt6.QtWidgets import QGridLayout, QWidget

from ..common.panels import panel
from .run_panel import RunPanel

SPACING = 8
MARGIN = 18  # a panel's frame and margins around its picture, each way


def best_columns(count: int, width: int, height: int, text: int, aspect: float = 1.0) -> tuple[int, float]:
    """(columns, picture height): the arrangement that gives `count` pictures of width = aspect x height the
    largest size in width x height, `text` pixels of each panel going to its title and numbers."""
    best, best_side = 1, -1.0
    for cols in range(1, max(1, count) + 1):
        rows = math.ceil(count / cols)
        w = (width - SPACING * (cols - 1)) / cols - MARGIN
        h = (height - SPACING * (rows - 1)) / rows - text - MARGIN
        side = min(w / aspect, h)
        if side > best_side + 1:
            best, best_side = cols, side
    return best, best_side


def width_for(cols: int, side: float, aspect: float = 1.0) -> int:
    """The width `cols` columns of pictures `side` pixels tall (aspect x side wide) need."""
    return int(math.ceil(cols * (aspect * side + MARGIN) + SPACING * (cols - 1)))


class PanelGrid(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.panels: list[RunPanel] = []
        self._frames: list[QWidget] = []
        self._columns = 0
        self.aspect = 1.0  # picture width / height the arrangement aims at
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(SPACING)

    def set_panels(self, panels: list[RunPanel]) -> None:
        for frame in self._frames:
            self.grid.removeWidget(frame)
            frame.deleteLater()
        self.panels = panels
        self._frames = [panel(p, margins=(4, 4, 4, 4)) for p in panels]
        self._columns = 0
        self._arrange()

    def rearrange(self) -> None:
        """Choose the arrangement again (the fonts changed)."""
        self._columns = 0
        self._arrange()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange()

    def text_height(self) -> int:
        return max((p.text_height() for p in self.panels), default=0)

    def fit(self, width: int, height: int) -> tuple[int, float]:
        """(columns, picture side) for the panels in width x height."""
        return best_columns(len(self.panels), width, height, self.text_height(), self.aspect)

    def _arrange(self) -> None:
        if not self.panels:
            return
        cols, _ = self.fit(self.width(), self.height())
        if cols == self._columns:
            return
        self._columns = cols
        for frame in self._frames:
            self.grid.removeWidget(frame)
        for i, frame in enumerate(self._frames):
            self.grid.addWidget(frame, i // cols, i % cols)
        rows = math.ceil(len(self._frames) / cols)
        for r in range(len(self._frames)):
            self.grid.setRowStretch(r, 1 if r < rows else 0)
        for c in range(len(self._frames)):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)

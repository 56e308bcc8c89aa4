"""HeatMap: a matrix drawn as an image (rows up the y axis, columns along x), on the theme's diverging colours.

The sequence page draws units × steps with it (hidden states, gates) and the Story QA panel sentences × hops.
Rows can be named (tick labels at their centres); columns past `shown` are blanked (the step-by-step mode).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ..common.plot_style import style_plot
from ..common.theme import Theme, diverging_lut


class HeatMap(pg.PlotWidget):
    def __init__(self, theme: Theme, labels: dict[str, str], levels: tuple[float, float] = (-1.0, 1.0)):
        super().__init__()
        self.labels = labels
        self.levels = levels
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getPlotItem().setMenuEnabled(False)
        self.setMinimumSize(120, 90)
        self.matrix = np.zeros((1, 1))
        self._marks: list[pg.InfiniteLine] = []
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.image.setLookupTable(diverging_lut(theme))
        style_plot(self.getPlotItem(), theme, self.labels)

    def mark_rows(self, rows: list[float]) -> None:
        """Horizontal lines at these row boundaries (between the gates of a stacked matrix)."""
        for line in self._marks:
            self.removeItem(line)
        self._marks = [pg.InfiniteLine(r, angle=0, pen=pg.mkPen(self.theme.muted_text, width=1.5)) for r in rows]
        for line in self._marks:
            self.addItem(line)

    def set_levels(self, low: float, high: float) -> None:
        self.levels = (low, high)

    def show_matrix(
        self, matrix: np.ndarray, shown: int | None = None, row_names: list[str] | None = None, col_start: float = 0.0
    ) -> None:
        """matrix (rows, cols); columns from `shown` on are blanked; row_names label the rows (bottom row first)."""
        m = np.array(matrix, dtype=np.float64)
        self.matrix = m
        if shown is not None and shown < m.shape[1]:
            m[:, shown:] = np.nan  # NaN draws transparent: the steps not yet revealed stay empty
        self.image.setImage(m, levels=self.levels, autoLevels=False)
        self.image.setRect(col_start, 0, m.shape[1], m.shape[0])
        self.setXRange(col_start, col_start + m.shape[1], padding=0)
        self.setYRange(0, m.shape[0], padding=0)
        left = self.getAxis("left")
        if row_names is not None:
            left.setTicks([[(k + 0.5, name) for k, name in enumerate(row_names)]])
        else:
            left.setTicks(None)

"""MatrixTile: one P x P curvature matrix as a heat map (orange negative, white zero, blue positive), row 0
at the top as matrices are written, thin lines at the layer boundaries and the layer names along the
bottom, so the block structure of K-FAC or the diagonal is visible at a glance."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QWidget

from ..common.elided_label import ElidedLabel
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.render import HeatmapPainter
from ..common.theme import Theme
from .frames import FisherTile
from .static_plot import column, plot_or_note, static_plot


class MatrixTile(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.painter = HeatmapPainter(theme)
        self._layers: tuple = ()
        self._key = None
        self.title = ElidedLabel("")  # one line, cut to the tile's width (whole in the tooltip)
        self.title.setProperty("role", "caption")
        self.plot_widget, self.plot = static_plot()
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideAxis("left")
        self.image = pg.ImageItem()
        self.bounds = pg.PlotCurveItem()
        self.bounds.setZValue(2)
        self.plot.addItem(self.image)
        self.plot.addItem(self.bounds)
        self.stack, self.note = plot_or_note(self.plot_widget)
        column(self, self.title, self.stack, spacing=1)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        style_plot(self.plot, theme, {})
        self.bounds.setPen(pg.mkPen("#404040", width=1.2))

    @property
    def shown_size(self) -> int:
        """P of the matrix shown (its image may be pooled to fewer pixels)."""
        return self._key[0] if self._key else 0

    def show_note(self, title: str, text: str) -> None:
        """No matrix: say why instead (e.g. the exact Fisher of a network too large for it)."""
        self.title.setText(title)
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)
        self._key = None

    def show_tile(self, tile: FisherTile, values: np.ndarray, layers: tuple[tuple[str, int, int], ...]) -> None:
        self.stack.setCurrentWidget(self.plot_widget)
        p = tile.size
        self.title.setText(tile.title)
        self.setToolTip(
            f"{tile.title}: {p} × {p}"
            + (
                f" (drawn pooled to {values.shape[0]} × {values.shape[0]}: each pixel the largest entry of its block)"
                if values.shape[0] < p
                else ""
            )
        )
        self.image.setImage(self.painter.diverging(values, 1.0), autoLevels=False, levels=(0, 255))
        key = (p, values.shape, layers)
        if key != self._key:
            self._key = key
            self.image.setRect(QRectF(0, 0, p, p))
            self.plot.setRange(xRange=(0, p), yRange=(0, p), padding=0.0)
            self._draw_layers(p, layers)

    def _draw_layers(self, p: int, layers) -> None:
        xs, ys = [], []
        for _, start, _ in layers[1:]:
            xs += [start, start, 0, p]
            ys += [0, p, start, start]
        self.bounds.setData(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), connect="pairs")
        ticks = [((a + b) / 2.0, name) for name, a, b in layers if b - a >= p / 12]
        self.plot.getAxis("bottom").setTicks([ticks, []])

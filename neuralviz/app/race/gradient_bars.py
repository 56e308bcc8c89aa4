"""GradientBars: how much gradient reaches each layer, per run (‖∂L/∂θ‖ from neuralviz.analysis, log scale).

One group of bars per layer position (1 = next to the input), one bar per run in its colour: a plain deep net's
early bars sink by decades while a residual net's stay level, which is why one learns and the other does not.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

from ..common.elided_label import ElidedLabel
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from ..comparison.static_plot import column, static_plot
from .frames import RaceFrame, RaceLayout
from .log_axis import log_range, set_log_ticks
from .run_colours import run_colour

FLOOR = 1e-8  # norms below this (no gradient at all) are drawn at it


class GradientBars(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.layout_: RaceLayout | None = None
        self._bars: list[pg.BarGraphItem] = []
        self._y = None
        # elided, not word-wrapped: a narrow panel keeps the title one line high and the bars their height
        self.title = ElidedLabel("gradient norm per layer ‖∂L/∂W‖ (log)")
        self.plot_widget, self.plot = static_plot()
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        column(self, self.title, self.plot_widget)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme, {"bottom": "layer (input → output)"})
        self.title.setStyleSheet(f"font-size: {theme.title_pt:.1f}pt; font-weight: bold; color: {theme.text};")

    def show_layout(self, layout: RaceLayout) -> None:
        self.layout_ = layout
        for bar in self._bars:
            self.plot.removeItem(bar)
        self._bars = []
        self._y = None
        depth = max((len(layers) for layers in layout.layers), default=1)
        self.plot.setXRange(0.4, depth + 0.6, padding=0.0)
        stride = max(1, int(np.ceil(depth / 8)))
        self.plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(1, depth + 1, stride)], []])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._ticks()

    def _ticks(self) -> None:
        if self._y is not None:
            set_log_ticks(self.plot, *self._y, 0.75 * self.plot_widget.height())

    def show_frame(self, frame: RaceFrame) -> None:
        layout = frame.layout
        if self.layout_ is None or layout.serial != self.layout_.serial:
            self.show_layout(layout)
        n = len(frame.runs)
        width = 0.8 / n
        norms = [np.asarray(r.gradients if r.gradients is not None else [], dtype=np.float64) for r in frame.runs]
        lo, hi = log_range(np.concatenate(norms) if norms else [], FLOOR)
        if self._y is not None:
            lo, hi = min(lo, self._y[0]), max(hi, self._y[1])
        if (lo, hi) != self._y:
            self._y = (lo, hi)
            self.plot.setYRange(lo, hi, padding=0.03)
            self._ticks()
        while len(self._bars) < n:  # one item per run, updated in place frame after frame
            bar = pg.BarGraphItem(x=[], height=[], width=0.1, brush=run_colour(len(self._bars)), pen=None)
            self.plot.addItem(bar)
            self._bars.append(bar)
        for i, (bar, g) in enumerate(zip(self._bars, norms)):
            with np.errstate(all="ignore"):
                top = np.where(np.isfinite(g), np.log10(np.maximum(g, FLOOR)), lo)
            x = np.arange(1, g.size + 1) - 0.4 + width * (i + 0.5)
            bar.setOpts(x=x, y0=lo, height=top - lo, width=width * 0.9)

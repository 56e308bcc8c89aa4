"""RegressionView: 1-D regression data and the network's curve through it (a selected neuron's curve is
drawn dashed on the same axes)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.snapshot import DataView, RunInfo, Snapshot
from ..common.theme import Theme


class RegressionView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.show_test = False
        self.selected: tuple[str, int] | None = None
        self._data: DataView | None = None
        self._last: Snapshot | None = None
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.hideButtons()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.train_points = pg.ScatterPlotItem(pxMode=True)
        self.test_points = pg.ScatterPlotItem(pxMode=True, symbol="s")
        self.curve = pg.PlotCurveItem()
        self.neuron_curve = pg.PlotCurveItem()
        for item in (self.train_points, self.test_points, self.curve, self.neuron_curve):
            self.plot.addItem(item)
        self.legend = self.plot.addLegend(offset=(10, 10))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot_widget)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme, {"left": "y", "bottom": "x"})
        self.curve.setPen(pg.mkPen(theme.text, width=theme.line_width + 1))
        self.neuron_curve.setPen(pg.mkPen("#cc79a7", width=theme.line_width + 1, style=Qt.PenStyle.DashLine))
        self._data = None
        if self._last is not None:
            self.show_snapshot(self._last)

    def set_show_test(self, on: bool) -> None:
        self.show_test = on
        self.test_points.setVisible(on)
        self._fill_legend()

    def _fill_legend(self) -> None:
        self.legend.clear()
        self.legend.addItem(self.train_points, "training data")
        if self.show_test:
            self.legend.addItem(self.test_points, "test data")
        self.legend.addItem(self.curve, "network")

    def select_neuron(self, map_layer: str | None, unit: int = 0) -> None:
        self.selected = (map_layer, unit) if map_layer else None
        if self._last is not None:
            self.show_snapshot(self._last)

    def show_info(self, info: RunInfo) -> None:
        if info.data is self._data:
            return
        self._data = d = info.data
        t = self.theme
        self.train_points.setData(
            x=d.train_x[:, 0],
            y=d.train_y[:, 0],
            size=t.point_size,
            brush=pg.mkBrush(t.positive),
            pen=pg.mkPen(t.point_outline, width=1),
        )
        self.test_points.setData(
            x=d.test_x[:, 0],
            y=d.test_y[:, 0],
            size=t.point_size,
            brush=pg.mkBrush(t.negative),
            pen=pg.mkPen("#000000", width=1.5),
        )
        self.test_points.setVisible(self.show_test)
        self._fill_legend()
        # a fixed range around the data (and the curve's x range): frames never re-layout the axes
        x = info.line_x if info.line_x is not None else d.train_x[:, 0]
        ys = np.concatenate([d.train_y[:, 0], d.test_y[:, 0]]) if len(d.test_y) else d.train_y[:, 0]
        lo, hi = float(np.min(ys)), float(np.max(ys))
        pad = 0.15 * (hi - lo or 1.0)
        self.plot.disableAutoRange()
        self.plot.setRange(xRange=(float(x[0]), float(x[-1])), yRange=(lo - pad, hi + pad), padding=0.02)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.show_info(snap.info)
        self._last = snap
        x = snap.info.line_x
        if x is None or snap.curve is None:
            return
        self.curve.setData(x, np.asarray(snap.curve, dtype=np.float64), connect="finite")
        values = None
        if self.selected:
            maps = snap.neuron_maps.get(self.selected[0])
            if maps is not None and maps.ndim == 2 and self.selected[1] < len(maps):
                values = maps[self.selected[1]]
        if values is None:
            self.neuron_curve.setData([], [])
        else:
            self.neuron_curve.setData(x, np.asarray(values, dtype=np.float64), connect="finite")

"""BoundaryView: the network's output over the input plane, with the data points drawn on top.

Two classes use the Playground's orange-white-blue map (the network's confidence), more classes the
colour of the winning class paled by uncertainty; "discretize" shows only the decision. When a neuron is
selected in the diagram, its map is shown here instead, enlarged. A click adds a training point (of the
class chosen in the data panel; Shift picks the other class of two), Ctrl+click removes the nearest one.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.render import HeatmapPainter, neuron_scale
from ..common.snapshot import DataView, RunInfo, Snapshot
from ..common.square_plot import SquarePlotHost
from ..common.theme import Theme


class BoundaryView(QWidget):
    pointClicked = pyqtSignal(float, float, object)  # x1, x2, Qt.KeyboardModifier flags

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.painter = HeatmapPainter(theme)
        self.discretize = False
        self.show_test = False
        self.selected: tuple[str, int] | None = None
        self._info: RunInfo | None = None
        self._data: DataView | None = None
        self._last: Snapshot | None = None
        self._rect = None

        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.hideButtons()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setAspectLocked(True)
        self.plot.setMouseEnabled(False, False)  # clicks add points; the view never drifts
        self.plot.disableAutoRange()  # a fixed range: new frames never re-layout the axes
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(pxMode=True)
        self.test_points = pg.ScatterPlotItem(pxMode=True)
        self.test_points.setZValue(2)
        self.train_points.setZValue(1)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_click)
        # a square data area: the axes span the data's extent (an aspect-locked plot in a wide box would
        # widen its x range instead, wasting a third of the picture)
        self.square = SquarePlotHost(self.plot_widget)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.square)
        style_plot(self.plot, theme, {"left": "x₂", "bottom": "x₁"})

    @property
    def data_side(self) -> float:
        """Side of the data area on screen, in pixels (tests and layout checks read it)."""
        return float(self.plot.vb.width())

    # ------------------------------------------------------------------ settings
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        style_plot(self.plot, theme, {"left": "x₂", "bottom": "x₁"})
        self._data = None
        self.square.place()  # the axes' sizes follow the font
        self._redraw()

    def set_discretize(self, on: bool) -> None:
        self.discretize = on
        self._redraw()

    def set_show_test(self, on: bool) -> None:
        self.show_test = on
        self.test_points.setVisible(on)

    def select_neuron(self, map_layer: str | None, unit: int = 0) -> None:
        self.selected = (map_layer, unit) if map_layer else None
        self._redraw()

    # ------------------------------------------------------------------ content
    def show_info(self, info: RunInfo) -> None:
        if self._info is None or info.extent != self._info.extent:
            x0, x1, y0, y1 = info.extent
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
            self._rect = None
        self._info = info
        if info.data is not self._data:
            self._data = info.data
            self._set_points(info)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.show_info(snap.info)
        self._last = snap
        self._redraw()

    def _set_points(self, info: RunInfo) -> None:
        k = info.num_classes or 2
        brushes = [pg.mkBrush(self.theme.class_color(c, k)) for c in range(k)]
        size = self.theme.point_size
        d = info.data
        self.train_points.setData(
            pos=np.asarray(d.train_x, dtype=np.float64),
            size=size,
            brush=[brushes[int(c) % k] for c in d.train_y],
            pen=pg.mkPen(self.theme.point_outline, width=self.theme.point_outline_width),
        )
        self.test_points.setData(
            pos=np.asarray(d.test_x, dtype=np.float64),
            size=size,
            brush=[brushes[int(c) % k] for c in d.test_y],
            pen=pg.mkPen("#000000", width=max(1.5, self.theme.point_outline_width)),
        )
        self.test_points.setVisible(self.show_test)

    def _redraw(self) -> None:
        snap = self._last
        if snap is None:
            return
        rgba = self._neuron_rgba(snap) if self.selected else None
        if rgba is None and snap.output_map is not None:
            m = snap.output_map
            rgba = (
                self.painter.probability(m, self.discretize)
                if m.ndim == 2
                else self.painter.classes(m, self.discretize)
            )
        if rgba is not None:
            self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
            # setRect scales by the current image size, so it must follow the first setImage of a size
            key = (snap.info.extent, rgba.shape)
            if key != self._rect:
                x0, x1, y0, y1 = snap.info.extent
                self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
                self._rect = key

    def _neuron_rgba(self, snap: Snapshot) -> np.ndarray | None:
        layer, unit = self.selected
        maps = snap.neuron_maps.get(layer)
        if maps is None or maps.ndim != 3 or unit >= len(maps):
            return None
        m = maps[unit]
        return self.painter.diverging(m, neuron_scale(m), pale=True)

    # ------------------------------------------------------------------ clicks
    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._info is None:
            return
        pos = self.plot.vb.mapSceneToView(event.scenePos())
        x0, x1, y0, y1 = self._info.extent
        if x0 <= pos.x() <= x1 and y0 <= pos.y() <= y1:
            self.pointClicked.emit(float(pos.x()), float(pos.y()), event.modifiers())
            event.accept()

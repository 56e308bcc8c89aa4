"""CurvesView: loss and accuracy over epochs side by side, train solid and test dashed (told apart without
colour). Side by side, not stacked: each plot keeps the view's whole height, so its ticks stay readable in a
short strip and with large fonts."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, nice_ceiling, style_plot
from ..common.snapshot import Snapshot
from ..common.theme import Theme

MAX_RATE = 10.0  # curve updates per second while training
ACCURACY_TICKS = [(v / 100, f"{v}%") for v in (0, 25, 50, 75, 100)]


class CurvesView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.loss_plot = self.layout_widget.addPlot(row=0, col=0)
        self.acc_plot = self.layout_widget.addPlot(row=0, col=1)
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, 1.0, padding=0.04)
        self.acc_plot.getAxis("left").setTicks([ACCURACY_TICKS, []])
        self.acc_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.disableAutoRange()
        self.acc_plot.disableAutoRange()
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.hideButtons()
            plot.setMenuEnabled(False)
        self.legend = self.loss_plot.addLegend(offset=(-10, 4), labelTextSize="9pt", colCount=2)
        self.train_loss = self.loss_plot.plot(name="train")
        self.test_loss = self.loss_plot.plot(name="test")
        self.train_acc = self.acc_plot.plot()
        self.test_acc = self.acc_plot.plot()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.layout_widget)
        self._has_accuracy: bool | None = None
        self._last_update = 0.0
        self._ranges = None
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        # names as small titles: a rotated axis label is taller than a short plot and runs into the next
        for plot, name in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            plot.setTitle(name, size=f"{theme.plot_font_pt:.0f}pt", color=theme.text, justify="left")
        style_plot(self.loss_plot, theme, {"bottom": "epoch"})
        style_plot(self.acc_plot, theme, {"bottom": "epoch"})
        # title, five tick rows and the axis label: below this the ticks would overlap
        self.setMinimumHeight(int(theme.plot_font_pt * 11))
        self._has_accuracy = None
        w = theme.line_width
        for train, test in ((self.train_loss, self.test_loss), (self.train_acc, self.test_acc)):
            train.setPen(pg.mkPen(theme.train_curve, width=w))
            test.setPen(pg.mkPen(theme.test_curve, width=w, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")

    def show_snapshot(self, snap: Snapshot) -> None:
        # curves move slowly: 10 updates a second are plenty and leave the frame time to the maps
        now = time.perf_counter()
        if snap.playing and now - self._last_update < 1.0 / MAX_RATE:
            return
        self._last_update = now
        h = snap.history
        has_accuracy = bool(len(h) and np.isfinite(h.train_accuracy).any())
        if has_accuracy != self._has_accuracy:
            self._has_accuracy = has_accuracy
            self.acc_plot.setVisible(has_accuracy)
        if len(h) == 0:
            for c in (self.train_loss, self.test_loss, self.train_acc, self.test_acc):
                c.setData([], [])
            return
        self.train_loss.setData(h.epoch, h.train_loss, connect="finite")
        self.test_loss.setData(h.epoch, h.test_loss, connect="finite")
        if has_accuracy:
            self.train_acc.setData(h.epoch, h.train_accuracy, connect="finite")
            self.test_acc.setData(h.epoch, h.test_accuracy, connect="finite")
        self._set_ranges(h)

    def _set_ranges(self, h) -> None:
        """Axes on round numbers that change only when a curve outgrows them: they stay still and
        readable, and unchanged axes are not redrawn."""
        x_max = nice_ceiling(float(h.epoch[-1]) if len(h) else 1.0)
        losses = np.concatenate([h.train_loss, h.test_loss])
        losses = losses[np.isfinite(losses)]
        y_max = nice_ceiling(float(losses.max()) if losses.size else 1.0)
        ranges = (x_max, y_max)
        if ranges != self._ranges:
            self._ranges = ranges
            self.loss_plot.setRange(xRange=(0, x_max), yRange=(0, y_max), padding=0.02)

    @property
    def points(self) -> int:
        """Number of points on the training-loss curve (the tests watch it grow)."""
        x, _ = self.train_loss.getData()
        return 0 if x is None else len(x)

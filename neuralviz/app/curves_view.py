"""CurvesView: loss and accuracy over epochs, train solid and test dashed (told apart without colour)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from .plot_style import configure_pyqtgraph, style_plot
from .snapshot import Snapshot
from .theme import Theme


class CurvesView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.loss_plot = self.layout_widget.addPlot(row=0, col=0)
        self.acc_plot = self.layout_widget.addPlot(row=1, col=0)
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, 1.0, padding=0.04)
        self.acc_plot.getAxis("left").setTicks([[(0.0, "0%"), (0.5, "50%"), (1.0, "100%")], []])
        self.acc_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.setMouseEnabled(x=False, y=False)
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.hideButtons()
            plot.setMenuEnabled(False)
        self.legend = self.loss_plot.addLegend(offset=(-10, 6), labelTextSize="9pt")
        self.train_loss = self.loss_plot.plot(name="train")
        self.test_loss = self.loss_plot.plot(name="test")
        self.train_acc = self.acc_plot.plot()
        self.test_acc = self.acc_plot.plot()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.layout_widget)
        self._has_accuracy: Optional[bool] = None
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.loss_plot, theme, {"left": "loss"})
        style_plot(self.acc_plot, theme, {"left": "accuracy", "bottom": "epoch"})
        w = theme.line_width
        for train, test in ((self.train_loss, self.test_loss), (self.train_acc, self.test_acc)):
            train.setPen(pg.mkPen(theme.train_curve, width=w))
            test.setPen(pg.mkPen(theme.test_curve, width=w, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")

    def show_snapshot(self, snap: Snapshot) -> None:
        h = snap.history
        has_accuracy = bool(len(h) and np.isfinite(h.train_accuracy).any())
        if has_accuracy != self._has_accuracy:
            self._has_accuracy = has_accuracy
            self.acc_plot.setVisible(has_accuracy)
            style_plot(self.loss_plot, self.theme, {"left": "loss", **({} if has_accuracy else {"bottom": "epoch"})})
        if len(h) == 0:
            for c in (self.train_loss, self.test_loss, self.train_acc, self.test_acc):
                c.setData([], [])
            return
        self.train_loss.setData(h.epoch, h.train_loss, connect="finite")
        self.test_loss.setData(h.epoch, h.test_loss, connect="finite")
        if has_accuracy:
            self.train_acc.setData(h.epoch, h.train_accuracy, connect="finite")
            self.test_acc.setData(h.epoch, h.test_accuracy, connect="finite")

    @property
    def points(self) -> int:
        """Number of points on the training-loss curve (the tests watch it grow)."""
        x, _ = self.train_loss.getData()
        return 0 if x is None else len(x)

"""SquarePlotHost: holds a pyqtgraph plot and sizes it so that its data area is square, centred in the
space the layout gives.

An aspect-locked plot in a wide (or tall) box keeps the square by widening its range instead: a map of
the data's -6..6 square then runs -9..9 with a third of the picture empty. Sized square, the axes span
exactly the data's extent and the spare room is plain background around the plot."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import QSize
from PyQt6.QtWidgets import QWidget

PAD = 12  # the plot's own margins around its axes, in pixels


class SquarePlotHost(QWidget):
    def __init__(self, plot_widget: pg.PlotWidget, parent=None):
        super().__init__(parent)
        self.plot_widget = plot_widget
        plot_widget.setParent(self)
        self.square = True

    def set_square(self, on: bool) -> None:
        """Square data area (maps over the plane) or the whole space (curves)."""
        self.square = bool(on)
        self.place()

    def place(self) -> None:
        if not self.square:
            self.plot_widget.setGeometry(0, 0, self.width(), self.height())
            return
        plot = self.plot_widget.getPlotItem()
        left = plot.getAxis("left").width() if plot.getAxis("left").isVisible() else 0
        bottom = plot.getAxis("bottom").height() if plot.getAxis("bottom").isVisible() else 0
        side = max(20, min(self.width() - left - PAD, self.height() - bottom - PAD))
        w, h = min(self.width(), int(side + left + PAD)), min(self.height(), int(side + bottom + PAD))
        self.plot_widget.setGeometry((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.place()

    def minimumSizeHint(self) -> QSize:
        return QSize(72, 72)  # soft: the page must fit a 720-pixel projector with large fonts

    def sizeHint(self) -> QSize:
        return QSize(300, 300)

"""GanLossView: D's and G's losses over the steps (GAN Lab's metrics panel), one plot, two curves.

A step taken with "train D only" has no G loss (and the other way round): those points are NaN and the
curve simply skips them.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from .frames import GanFrame

D_COLOUR = "#2166ac"  # D's updates: GAN Lab draws them blue
G_COLOUR = "#762a83"  # G: the fake points' purple
CURVE_RATE = 6.0  # redraws a second: a curve of thousands of steps barely moves in 1/30 s
EQUILIBRIUM = 2 * math.log(2)  # D's loss (real + fake) when it can only guess: D(x) = 1/2 everywhere


class GanLossView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self._drawn_at = 0.0
        self.plot = pg.PlotWidget()
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumHeight(90)
        # bottom right, on a white card: the guessing line runs along the top, the curves show through
        self.legend = self.plot.addLegend(offset=(-4, -4), brush=pg.mkBrush(255, 255, 255, 210))
        # aliased: a noisy antialiased curve of a thousand points cost ~90 ms a frame on a 2-core machine
        self.d_curve = self.plot.plot([], [], name="D loss", connect="finite", antialias=False)
        self.g_curve = self.plot.plot([], [], name="G loss", connect="finite", antialias=False)
        self.guess = pg.InfiniteLine(
            angle=0, pos=EQUILIBRIUM, label="D guessing", labelOpts={"position": 0.55, "anchors": [(0, 1), (0, 1)]}
        )
        self.plot.addItem(self.guess)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.plot.setBackground(theme.background)
        style_plot(self.plot.getPlotItem(), theme, {"bottom": "step"})
        self.d_curve.setPen(pg.mkPen(D_COLOUR, width=theme.line_width + 1))
        self.g_curve.setPen(pg.mkPen(G_COLOUR, width=theme.line_width + 1))
        self.guess.setPen(pg.mkPen(theme.muted_text, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.guess.label.setColor(theme.muted_text)
        self.guess.setToolTip("D's loss when it can only guess (D = ½ everywhere): 2·ln 2")

    def show_frame(self, frame: GanFrame) -> None:
        """Draw the curves, at most CURVE_RATE times a second while training (and always for a final frame)."""
        now = time.perf_counter()
        if frame.playing and not frame.final and now - self._drawn_at < 1.0 / CURVE_RATE:
            return
        self._drawn_at = now
        x = frame.curve_steps
        for curve, y in ((self.d_curve, frame.d_loss), (self.g_curve, frame.g_loss)):
            if len(x) and np.isfinite(y).any():
                curve.setData(x, y, connect="finite")
            else:
                curve.setData([], [])

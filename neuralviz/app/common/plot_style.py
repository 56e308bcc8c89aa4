"""Shared set-up of the pyqtgraph plots: white background, themed fonts and axis labels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QGraphicsItem

from .theme import Theme

_configured = False


def configure_pyqtgraph() -> None:
    """Once per process: numpy images are (row, column) and plots are white with antialiased lines."""
    global _configured
    if not _configured:
        pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="k")
        _configured = True


def style_plot(plot: pg.PlotItem, theme: Theme, labels: dict[str, str]) -> None:
    """Fonts and axis labels for a plot (called again when the theme changes).

    Axes are cached as pixmaps: redrawing their text is the most expensive part of a plot, and at 30
    frames per second it would be done for every frame although the axes rarely change.
    """
    font = QFont()
    font.setPointSizeF(theme.plot_font_pt)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        axis.setStyle(tickFont=font, tickTextOffset=4)
        axis.setPen(pg.mkPen(theme.text, width=1.5 if theme.high_contrast else 1))
        axis.setTextPen(pg.mkPen(theme.text))
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" confuses more than it saves
        if side in labels:
            axis.setLabel(labels[side], **{"font-size": f"{theme.plot_font_pt + 1:.0f}pt", "color": theme.text})
        else:
            axis.showLabel(False)
        # after setLabel, which restores pyqtgraph 0.14's SI ranges (an axis 0..0.3 would read 0..300)
        if hasattr(axis, "setSIPrefixEnableRanges"):  # pyqtgraph 0.14 ignores the switch above
            axis.setSIPrefixEnableRanges(())


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) >= value (and > 0)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = np.floor(np.log10(value))
    for m in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * 10**exponent >= value * (1 - 1e-9):
            return float(m * 10**exponent)
    return float(10 ** (exponent + 1))

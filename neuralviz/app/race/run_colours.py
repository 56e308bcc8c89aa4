"""Each run's colour, the same in its panel, its curves and its bars.

The comparison page's Okabe-Ito run colours (comparison/run_style.py): the maps keep orange and blue for the
classes, so no run uses those two; black, green, pink and vermillion stay apart for colour-blind viewers.
Here dash patterns mean train (solid) and test (dashed), not the run.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt

from ..common.theme import Theme
from ..comparison.run_style import run_colour

__all__ = ["run_colour", "curve_pen"]


def curve_pen(theme: Theme, index: int, test: bool) -> pg.QtGui.QPen:
    """A run's loss curve: its colour, solid for the training loss, dashed for the test loss."""
    style = Qt.PenStyle.DashLine if test else Qt.PenStyle.SolidLine
    return pg.mkPen(run_colour(index), width=theme.line_width * 1.25 + 0.5, style=style)

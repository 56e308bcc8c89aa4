"""Building blocks shared by the comparison page's pictures: a plot that only shows, and
the same plot stacked with a caption that replaces it when there is nothing to draw."""
from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QStackedWidget


def static_plot() -> tuple[pg.PlotWidget, pg.PlotItem]:
    """A plot without menu, buttons or mouse zoom; its view sets the range itself."""
    widget = pg.PlotWidget()
    widget.setMenuEnabled(False)
    widget.hideButtons()
    plot = widget.getPlotItem()
    plot.setMouseEnabled(False, False)
    plot.disableAutoRange()
    return widget, plot


def map_items(plot: pg.PlotItem) -> tuple[pg.ImageItem, pg.PlotCurveItem, pg.ScatterPlotItem]:
    """A map image, a curve (1-D regression) and the data points on top, added to plot."""
    image, curve = pg.ImageItem(), pg.PlotCurveItem()
    points = pg.ScatterPlotItem(pxMode=True)
    points.setZValue(2)
    for item in (image, curve, points):
        plot.addItem(item)
    return image, curve, points


def plot_or_note(plot_widget: pg.PlotWidget) -> tuple[QStackedWidget, QLabel]:
    """plot_widget in a stack with a centred caption (index 1) shown in its place."""
    note = QLabel("")
    note.setAlignment(Qt.AlignmentFlag.AlignCenter)
    note.setWordWrap(True)
    note.setProperty("role", "caption")
    stack = QStackedWidget()
    stack.addWidget(plot_widget)
    stack.addWidget(note)
    return stack, note

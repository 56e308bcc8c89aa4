"""Building blocks shared by the comparison page's pictures: a plot that only shows, the
same plot stacked with a caption that replaces it when there is nothing to draw, and the
title-over-picture-over-caption column every panel is laid out as."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QLayout, QStackedWidget, QVBoxLayout, QWidget

from ..common.log_ticks import LogDecadeAxis


def static_plot(log_y: bool = False) -> tuple[pg.PlotWidget, pg.PlotItem]:
    """A plot without menu, buttons or mouse zoom; its view sets the range itself. log_y: a log-scale y
    axis labelled at whole decades spaced to stay readable (common/log_ticks.py)."""
    widget = pg.PlotWidget(axisItems={"left": LogDecadeAxis("left")} if log_y else None)
    if log_y:
        widget.getPlotItem().setLogMode(False, True)
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


def plot_or_note(plot_widget: QWidget) -> tuple[QStackedWidget, QLabel]:
    """plot_widget (or any picture) in a stack with a centred caption (index 1) shown in its place."""
    note = caption_label()
    note.setAlignment(Qt.AlignmentFlag.AlignCenter)
    stack = QStackedWidget()
    stack.addWidget(plot_widget)
    stack.addWidget(note)
    return stack, note


def caption_label(text: str = "") -> QLabel:
    """A word-wrapped label in the theme's caption style."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setProperty("role", "caption")
    return label


def column(
    owner: QWidget, head: QWidget | QLayout, body: QWidget, foot: QWidget | None = None, spacing: int = 2
) -> QVBoxLayout:
    """owner's layout, without margins: head (a title, or a row of them) over body, which takes the
    spare height, over foot (a caption)."""
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(spacing)
    if isinstance(head, QLayout):
        lay.addLayout(head)
    else:
        lay.addWidget(head)
    lay.addWidget(body, 1)
    if foot is not None:
        lay.addWidget(foot)
    return lay

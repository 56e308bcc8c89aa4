"""How each run looks everywhere on the page: one Okabe-Ito colour and one dash pattern per run, so runs
stay apart for colour-blind viewers and in greyscale (the maps keep orange/blue for the classes, so no run
uses those two)."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel

from ..common.theme import Theme

RUN_COLOURS = ("#000000", "#009e73", "#cc79a7", "#d55e00")
RUN_DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine, Qt.PenStyle.DotLine)
RUN_DASH_NAMES = ("solid", "dashed", "dash-dot", "dotted")


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def run_pen(theme: Theme, index: int, width_boost: float = 1.0) -> pg.QtGui.QPen:
    return pg.mkPen(
        run_colour(index), width=theme.line_width * width_boost + 0.5, style=RUN_DASHES[index % len(RUN_DASHES)]
    )


def keep_axis_units(plot: pg.PlotItem) -> None:
    """Tick labels in the data's own units. pyqtgraph 0.14 rescales a labelled axis spanning less than 1
    (0.12 s drawn as "120") even with auto SI prefixes off, and without a unit the label does not say so."""
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        if hasattr(axis, "setSIPrefixEnableRanges"):
            axis.setSIPrefixEnableRanges(())
            axis.updateAutoSIPrefix()


def panel_title(text: str = "") -> QLabel:
    """A panel's title line (bold, themed through the window's style sheet)."""
    label = QLabel(text)
    label.setProperty("role", "paneltitle")
    label.setWordWrap(True)
    return label


def title_css(theme: Theme) -> str:
    """Style sheet for the page's own label roles (titles sit between the studio's title and body sizes)."""
    return (
        f'QLabel[role="paneltitle"] {{ font-size: {theme.font_pt * 1.15:.1f}pt; font-weight: bold; '
        f"color: {theme.text}; }}"
        f'QLabel[role="caption"] {{ font-size: {theme.font_pt:.1f}pt; color: {theme.muted_text}; }}'
    )

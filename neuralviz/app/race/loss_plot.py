"""RaceLossPlot: every run's loss on one plot, training solid and test dashed, in the run's colour, on a log
scale with a few plain-number ticks (log_axis.py). The x axis spans the stop rule's budget from the start, so
the runs race across the plot; the y axis only grows during a race (no jumping while it plays). A dotted line
marks the stop rule's target loss, if it has one."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QWidget

from ..common.plot_style import configure_pyqtgraph, nice_ceiling, style_plot
from ..common.theme import Theme
from ..comparison.static_plot import column, static_plot
from .frames import RaceFrame, RaceLayout
from .log_axis import data_floor, log_range, set_log_ticks, to_log
from .run_colours import curve_pen

LEAST_FLOOR = 1e-8  # the lowest the axis goes (a loss of 0, a perceptron's, is drawn at the data's floor)


class RaceLossPlot(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.layout_: RaceLayout | None = None
        self._curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self._y = None
        self._floor = None
        self._zero = False
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.plot_widget, self.plot = static_plot()
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.target_line = pg.InfiniteLine(angle=0, movable=False)
        self.target_line.setVisible(False)
        self.plot.addItem(self.target_line)
        column(self, self.title, self.plot_widget)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme, {"bottom": "step"})
        self.title.setStyleSheet(f"font-size: {theme.title_pt:.1f}pt; color: {theme.text};")
        self.target_line.setPen(pg.mkPen(theme.muted_text, width=2, style=Qt.PenStyle.DotLine))
        for i, (train, test) in enumerate(self._curves):
            train.setPen(curve_pen(theme, i, test=False))
            test.setPen(curve_pen(theme, i, test=True))
        if self.layout_ is not None:
            self._write_title(self.layout_)

    def show_layout(self, layout: RaceLayout) -> None:
        self.layout_ = layout
        for train, test in self._curves:
            self.plot.removeItem(train)
            self.plot.removeItem(test)
        self._curves = [
            (
                self.plot.plot(pen=curve_pen(self.theme, i, test=False)),
                self.plot.plot(pen=curve_pen(self.theme, i, test=True)),
            )
            for i in range(len(layout.labels))
        ]
        self._y = None
        self._floor = None
        self.plot.setXRange(0, nice_ceiling(max(1, layout.stop.steps)), padding=0.02)
        self._write_title(layout)

    def _write_title(self, layout: RaceLayout) -> None:
        # the runs' colours are in their panels' titles: here only what solid and dashed mean
        self.title.setText("<b>loss</b> (log scale)<br>—— train&nbsp;&nbsp; - - - test")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._ticks()

    def _ticks(self) -> None:
        """Ticks for the current range and height (fewer labels on a shorter plot)."""
        if self._y is not None:
            zero = float(np.log10(self._floor)) if self._zero else None
            set_log_ticks(self.plot, *self._y, 0.85 * self.plot_widget.height(), zero)

    def show_frame(self, frame: RaceFrame) -> None:
        if self.layout_ is None or frame.layout.serial != self.layout_.serial:
            self.show_layout(frame.layout)
        target = frame.layout.stop.loss_below
        values = np.concatenate([c for r in frame.runs for c in (r.train_curve, r.test_curve)] + [[target or np.nan]])
        floor = data_floor(values, LEAST_FLOOR)
        if self._floor is not None:  # only grow during a race: the axis never jumps back
            floor = min(floor, self._floor)
        for (train, test), run in zip(self._curves, frame.runs):
            x = np.asarray(run.steps, dtype=np.float64)
            train.setData(x, to_log(run.train_curve, floor), connect="finite")
            test.setData(x, to_log(run.test_curve, floor), connect="finite")
        lo, hi = log_range(values, floor)
        if self._y is not None:
            lo, hi = min(lo, self._y[0]), max(hi, self._y[1])
        has_zero = bool(np.any(values[np.isfinite(values)] < floor))
        if (lo, hi, floor, has_zero) != (*(self._y or (None, None)), self._floor, self._zero):
            self._y, self._floor, self._zero = (lo, hi), floor, has_zero
            self.plot.setYRange(lo, hi, padding=0.03)
            self._ticks()
        self.target_line.setVisible(bool(target))
        if target:
            self.target_line.setValue(float(np.log10(max(target, floor))))

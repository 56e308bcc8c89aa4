"""LossOverlay: every run's training loss on one plot (log scale), against steps or, switchable, against
the wall-clock time each run spent in its own optimizer steps: a method that needs fewer steps but costs
more per step shows it here. A dotted line marks the target loss; the title says who reached it when."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QWidget

from ..common.plot_style import configure_pyqtgraph, nice_ceiling, style_plot
from ..common.theme import Theme
from .frames import RaceFrame, RunTrace
from .run_style import keep_axis_units, panel_title, run_pen
from .static_plot import caption_label, column, static_plot

FLOOR = 1e-6  # losses below this are drawn at it (log scale)


def steps_to(trace: RunTrace, target: float) -> int | None:
    hit = np.nonzero(trace.loss < target)[0]
    return int(trace.steps[hit[0]]) if hit.size else None


class LossOverlay(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.by_time = False
        self.target: float | None = 0.05
        self._frame: RaceFrame | None = None
        self._curves: list[pg.PlotDataItem] = []
        self._ranges = None
        self.title = panel_title("Training loss")
        self.steps_button = QRadioButton("vs steps")
        self.time_button = QRadioButton("vs wall-clock time")
        self.steps_button.setChecked(True)
        self.steps_button.setToolTip("Every run has done the same number of steps at every point of the x axis")
        self.time_button.setToolTip("Each run's own time in its optimizer steps (evaluation and drawing excluded)")
        group = QButtonGroup(self)
        group.addButton(self.steps_button)
        group.addButton(self.time_button)
        self.time_button.toggled.connect(self.set_by_time)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.steps_button)
        head.addWidget(self.time_button)
        self.plot_widget, self.plot = static_plot(log_y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.legend = self.plot.addLegend(offset=(-8, 6))
        self.target_line = pg.InfiniteLine(angle=0, movable=False)
        self.plot.addItem(self.target_line)
        self.reached = caption_label()
        column(self, head, self.plot_widget, self.reached)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme, {"bottom": "seconds" if self.by_time else "step"})
        keep_axis_units(self.plot)
        self.legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")
        self.target_line.setPen(pg.mkPen(theme.muted_text, width=1.5, style=Qt.PenStyle.DotLine))
        for i, curve in enumerate(self._curves):
            curve.setPen(run_pen(theme, i))
        if self._frame is not None:
            self.show_frame(self._frame)

    def set_target(self, target: float | None) -> None:
        self.target = target
        self.target_line.setVisible(target is not None)
        if target is not None:
            self.target_line.setValue(np.log10(target))

    def set_by_time(self, on: bool) -> None:
        self.by_time = bool(on)
        if self.time_button.isChecked() != self.by_time:
            self.time_button.setChecked(self.by_time)
        style_plot(self.plot, self.theme, {"bottom": "seconds" if self.by_time else "step"})
        keep_axis_units(self.plot)
        self._ranges = None
        if self._frame is not None:
            self.show_frame(self._frame)

    def _ensure_curves(self, frame: RaceFrame) -> None:
        names = [f"{r.label}: {t}" for r, t in zip(frame.runs, frame.info.titles)]
        if [c.name() for c in self._curves] == names:
            return
        for c in self._curves:
            self.plot.removeItem(c)
        self.legend.clear()
        self._curves = [self.plot.plot(name=name, pen=run_pen(self.theme, i)) for i, name in enumerate(names)]

    def show_frame(self, frame: RaceFrame) -> None:
        self._frame = frame
        self._ensure_curves(frame)
        x_max, lows, highs = 0.0, [], []
        for curve, run in zip(self._curves, frame.runs):
            x = run.seconds if self.by_time else run.steps
            y = np.where(np.isfinite(run.loss), np.maximum(run.loss, FLOOR), np.nan)
            curve.setData(x, y, connect="finite")
            if len(x):
                x_max = max(x_max, float(x[-1]))
            finite = y[np.isfinite(y)]
            if finite.size:
                lows.append(finite.min())
                highs.append(finite.max())
        self._set_ranges(x_max, min(lows, default=0.1), max(highs, default=1.0))
        self._say_who_reached(frame)

    def _set_ranges(self, x_max: float, low: float, high: float) -> None:
        lo = np.floor(np.log10(min(low, self.target or low)))
        hi = np.ceil((np.log10(max(high, 1e-12)) + 0.15) * 2) / 2  # half decades: no empty decade on top
        ranges = (nice_ceiling(x_max if x_max > 0 else (1e-3 if self.by_time else 10)), lo, max(hi, lo + 1))
        if ranges != self._ranges:
            self._ranges = ranges
            self.plot.setRange(xRange=(0, ranges[0]), yRange=(ranges[1], ranges[2]), padding=0.02)

    def _say_who_reached(self, frame: RaceFrame) -> None:
        if self.target is None:
            self.reached.setText("")
            return
        parts = []
        for run in frame.runs:
            hit = steps_to(run, self.target)
            if hit is None:
                parts.append(f"{run.label} not yet")
            else:
                k = int(np.nonzero(run.steps == hit)[0][0])
                parts.append(f"{run.label} at step {hit} ({run.seconds[k] * 1e3:.0f} ms)")
        self.reached.setText(f"Loss below {self.target:g} (dotted): " + " · ".join(parts))

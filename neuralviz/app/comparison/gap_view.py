"""GapView: does an optimizer's trajectory depend on the coordinates?

With a reparametrisation on, every run trains a twin that computes the same function in other coordinates
(millimetres instead of metres, a flipped encoding, sigmoid instead of tanh units). The plot shows
log10 max|f − f_twin| / max|f| over the steps: plain gradient's twins part within a few steps; undamped
natural gradient's stay together at rounding level (1e-16 … 1e-9) until the Fisher turns numerically
singular, and any damping λ > 0 breaks the invariance — honestly shown, not hidden.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

from ..common.plot_style import configure_pyqtgraph, nice_ceiling, style_plot
from ..common.theme import Theme
from .config import is_natural
from .frames import RaceFrame
from .run_style import keep_axis_units, panel_title, run_pen
from .static_plot import caption_label, column, plot_or_note, static_plot

LOW, HIGH = 1e-17, 10.0  # the plot's range: rounding level .. completely different functions


class GapView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self._frame: RaceFrame | None = None
        self._curves: list[pg.PlotDataItem] = []
        self._x_max = None
        self.title = panel_title("Same function, other coordinates")
        self.plot_widget, self.plot = static_plot(log_y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setYRange(np.log10(LOW), np.log10(HIGH), padding=0.0)
        self.plot.getAxis("left").setTicks([[(float(k), f"1e{k}" if k else "1") for k in range(-16, 1, 4)], []])
        self.legend = self.plot.addLegend(offset=(8, -8))  # bottom left: above the rounding level
        self.stack, self.placeholder = plot_or_note(self.plot_widget)
        self.placeholder.setText(
            "Choose a reparametrisation above: every run then also trains a twin that "
            "computes the same function in other coordinates, on the same minibatches. "
            "This plot shows how far each pair drifts apart."
        )
        self.caption = caption_label()
        column(self, self.title, self.stack, self.caption)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme, {"bottom": "step"})
        keep_axis_units(self.plot)
        self.legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")
        for i, curve in enumerate(self._curves):
            curve.setPen(run_pen(theme, i))
        if self._frame is not None:
            self.show_frame(self._frame)

    def show_frame(self, frame: RaceFrame) -> None:
        self._frame = frame
        if not frame.info.twin_text:
            self.title.setText("Same function, other coordinates")
            self.stack.setCurrentWidget(self.placeholder)
            self.caption.setText("")
            return
        self.stack.setCurrentWidget(self.plot_widget)
        self.title.setText(f"Gap to a twin with {frame.info.twin_text}")
        names = [f"{r.label}: {t}" for r, t in zip(frame.runs, frame.info.titles)]
        if [c.name() for c in self._curves] != names:
            for c in self._curves:
                self.plot.removeItem(c)
            self.legend.clear()
            self._curves = [self.plot.plot(name=n, pen=run_pen(self.theme, i)) for i, n in enumerate(names)]
        x_max, said = 0, []
        for curve, run in zip(self._curves, frame.runs):
            gap = np.where(np.isfinite(run.gap), np.clip(run.gap, LOW, HIGH), np.nan)
            curve.setData(run.steps, gap, connect="finite")
            if len(run.steps):
                x_max = max(x_max, float(run.steps[-1]))
            last = run.gap[-1] if len(run.gap) else np.nan
            if run.twin_diverged:
                said.append(f"{run.label}: {run.twin_diverged}")
            elif np.isfinite(last):
                said.append(f"{run.label} {last:.0e}")
        x_max = nice_ceiling(max(x_max, 10))
        if x_max != self._x_max:
            self._x_max = x_max
            self.plot.setXRange(0, x_max, padding=0.02)
        text = "max|f − f_twin| / max|f| now: " + " · ".join(said)
        config = frame.info.config
        if any(is_natural(r.name) for r in config.runs):
            text += (
                "<br>Undamped natural gradient keeps its twin on the same function while the Fisher is well "
                "conditioned; once F turns numerically singular (cond F, left) rounding errors grow."
                if config.damping == 0
                else f"<br>Damping λ = {config.damping:.2g} breaks the invariance: natural gradient's twins drift too."
            )
        self.caption.setText(text)

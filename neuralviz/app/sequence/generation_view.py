"""Drawing what a sequence model generates on its own: a free-running forecast, or a text sample.

draw_forecast: the prompt, then the true continuation and the net's free run after it, in one plot (a line
marks where the net starts living on its own predictions). SampleView: the text window the net read, muted,
and the characters it wrote after it, with the step they were written at.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QFontDatabase
from PyQt6.QtWidgets import QTextEdit

from ..common.theme import Theme
from .generated import Forecast, Sample


def draw_forecast(plot: pg.PlotItem, fc: Forecast, theme: Theme) -> None:
    """Steps 1..T the prompt, T+1.. the true wave (test colour) and the free run (training colour, dashed)."""
    plot.clear()
    t = len(fc.prompt)
    after = np.arange(t + 1, t + len(fc.truth) + 1)
    plot.getAxis("bottom").setTicks(None)
    plot.plot(np.arange(1, t + 1), fc.prompt, pen=pg.mkPen(theme.text, width=theme.line_width), name="prompt")
    plot.plot(after, fc.truth, pen=pg.mkPen(theme.test_curve, width=theme.line_width))
    dashed = pg.mkPen(theme.train_curve, width=theme.line_width, style=pg.QtCore.Qt.PenStyle.DashLine)
    plot.plot(after, np.clip(fc.generated, -3.0, 3.0), pen=dashed)  # a diverging run stays on the plot
    plot.addItem(pg.InfiniteLine(t + 0.5, pen=pg.mkPen(theme.muted_text, style=pg.QtCore.Qt.PenStyle.DashLine)))
    plot.setXRange(0.5, t + len(fc.truth) + 0.5, padding=0)
    plot.setYRange(-1.2, 1.2, padding=0)  # a sum of sines with weights summing to 1 stays in [-1, 1]


def forecast_title(fc: Forecast) -> str:
    """Short enough for the panel at 1024 px with large fonts (the x label says which line is which)."""
    err = float(np.sqrt(np.mean((fc.generated - fc.truth) ** 2)))
    return f"Running free · RMS error {err:.2g}"


def forecast_label(fc: Forecast) -> str:
    return f"step t: the prompt 1–{len(fc.prompt)}, then its own (dashed) vs the wave"


def sample_title(s: Sample, loss: float) -> str:
    return f"Writing at step {s.step:,} · loss {loss:.3g}"


class SampleView(QTextEdit):
    """A read-only text box: the window the net read (muted), then what it wrote (bold)."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.setReadOnly(True)
        self.setMinimumSize(120, 60)
        self.theme = theme
        self.sample: Sample | None = None

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        if self.sample is not None:
            self.show_sample(self.sample)

    def show_sample(self, s: Sample) -> None:
        self.sample = s
        self.setToolTip(f"Sampled at temperature {s.temperature:g} with seed {s.seed}: grey, the text it read")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(self.theme.font_pt)
        self.setFont(font)

        def text(chars: str) -> str:
            return html.escape(chars).replace("\n", "<br>")

        self.setHtml(
            f'<span style="color:{self.theme.muted_text}">{text(s.prompt)}</span>'
            f'<b style="color:{self.theme.text}">{text(s.text)}</b>'
        )

    def plain(self) -> str:
        """What the box shows, as plain text (the prompt then the sample)."""
        return self.toPlainText()

"""SequenceBoard: the views of one sequence through a recurrent net, drawn from a SequenceFrame.

    input signal | prediction vs target | loss
    hidden state (units × steps) | gates (units × steps, per gate) | ‖∂L/∂h_t‖ through time (log)
    the net unrolled, one W_hh shared by every step

`show(frame, upto)` reveals steps 1..upto of the example (the step-by-step mode); the gradients are those of
the whole sequence (they flow backwards from its end), so they are always drawn whole, the step marked.
A model that generates (a sine forecast, a character model) shows what it generates in place of the input and
the prediction, two cells wide: the free run after a prompt, or the text it writes (generation_view.py).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGridLayout, QStackedWidget, QWidget

from ...sequence_probe import GATE_NAMES
from ..common.elided_label import ElidedLabel
from ..common.log_ticks import LogDecadeAxis
from ..common.panels import panel
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from .generation_view import SampleView, draw_forecast, forecast_label, forecast_title, sample_title
from .heatmap import HeatMap
from .run import SequenceFrame
from .unrolled_strip import UnrolledStrip

RULES = {  # the step the strip highlights, as the cell computes it
    "rnn": "h_{t} = tanh(W_ih x_{t} + W_hh h_{s} + b)",
    "lstm": "c_{t} = f⊙c_{s} + i⊙g, h_{t} = o⊙tanh(c_{t})",
    "gru": "h_{t} = (1−z)⊙n + z⊙h_{s}",
}
LOSS_MEAN = 20  # the loss beside a text sample: the mean of the last steps (one batch's loss is noisy)
MAX_LINES = 4  # input features drawn as lines (a one-hot input of more draws its token number instead)


def _plot(theme: Theme, labels: dict[str, str], log_y: bool = False) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"left": LogDecadeAxis("left")} if log_y else None)
    w.setMouseEnabled(False, False)
    w.hideButtons()
    w.getPlotItem().setMenuEnabled(False)
    w.setMinimumSize(120, 90)
    if log_y:
        w.setLogMode(y=True)
    style_plot(w.getPlotItem(), theme, labels)
    return w


def _title() -> ElidedLabel:
    """A panel title that cuts itself short on a narrow window instead of widening it."""
    label = ElidedLabel()
    label.setProperty("role", "title")
    return label


class SequenceBoard(QWidget):
    def __init__(self, theme: Theme):
        super().__init__()
        configure_pyqtgraph()
        self.theme = theme
        self.frame: SequenceFrame | None = None
        self.upto = 0
        self.signal = _plot(theme, {"bottom": "step t"})
        self.output = _plot(theme, {"bottom": "the example shown"})
        self.loss = _plot(theme, {"bottom": "training step"}, log_y=True)
        self.hidden = HeatMap(theme, {"bottom": "step t", "left": "unit"})
        self.gates = HeatMap(theme, {"bottom": "step t"})
        self.grads = _plot(theme, {"bottom": "step t"}, log_y=True)
        self.strip = UnrolledStrip(theme)
        self.text = SampleView(theme)
        self.outputs = QStackedWidget()  # the prediction (or free-run) plot, or the text a model writes
        self.outputs.addWidget(self.output)
        self.outputs.addWidget(self.text)
        self.generating = False
        self.output_label = "the example shown"
        self.titles = {k: _title() for k in ("signal", "output", "loss", "hidden", "gates", "grads")}
        self.summary = ElidedLabel()  # one line whatever the width: the pictures above keep their height
        self.summary.setProperty("role", "hint")
        self.grid = grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        cells = [
            ("signal", self.signal),
            ("output", self.outputs),
            ("loss", self.loss),
            ("hidden", self.hidden),
            ("gates", self.gates),
            ("grads", self.grads),
        ]
        self.panels = {}
        for k, (key, view) in enumerate(cells):
            self.panels[key] = panel(self.titles[key], view, margins=(6, 4, 6, 4), stretch=(0, 1))
            grid.addWidget(self.panels[key], k // 3, k % 3)
        self.bottom = panel(self.strip, self.summary, margins=(8, 4, 8, 4))
        grid.addWidget(self.bottom, 2, 0, 1, 3)
        for r, s in enumerate((3, 3, 0)):
            grid.setRowStretch(r, s)
        self._set_titles("rnn")

    def add_step_controls(self, row: QWidget) -> None:
        """The page's step-by-step controls, above the unrolled net they move along."""
        self.bottom.layout().insertWidget(0, row)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for w, labels in (
            (self.signal, {"bottom": "step t"}),
            (self.output, {"bottom": self.output_label}),
            (self.loss, {"bottom": "training step"}),
            (self.grads, {"bottom": "step t"}),
        ):
            style_plot(w.getPlotItem(), theme, labels)
        self.hidden.set_theme(theme)
        self.gates.set_theme(theme)
        self.strip.set_theme(theme)
        self.text.set_theme(theme)
        if self.frame is not None:
            self.show(self.frame, self.upto)

    def _set_titles(self, kind: str) -> None:
        gates = {"rnn": "Gates: a plain RNN has none", "lstm": "LSTM gates", "gru": "GRU gates"}[kind]
        for key, text in (
            ("signal", "Input sequence"),
            ("output", "Prediction vs target"),
            ("loss", "Training loss"),
            ("hidden", "Hidden state h_t"),
            ("gates", gates),
            ("grads", "‖∂L/∂h_t‖ through time"),
        ):
            self.titles[key].setText(text)

    def _set_generating(self, on: bool) -> None:
        """A generating model's output takes the input's cell too: a wave or a text needs the width."""
        if on == self.generating:
            return
        self.generating = on
        out = self.panels["output"]
        self.grid.removeWidget(out)
        self.grid.addWidget(out, 0, 0 if on else 1, 1, 2 if on else 1)
        self.panels["signal"].setVisible(not on)

    # ------------------------------------------------------------------ drawing
    def show(self, frame: SequenceFrame, upto: int) -> None:
        self.frame = frame
        u = frame.probe.unrolled
        t_len = len(u.hidden)
        self.upto = upto = int(np.clip(upto, 1, t_len))
        self._set_titles(u.kind)
        self._set_generating(frame.forecast is not None or frame.sample is not None)
        self._draw_signal(u.x, upto)
        self._draw_output(frame)
        self._draw_loss(frame.losses)
        self.hidden.show_matrix(u.hidden.T, upto, col_start=0.5)
        self._draw_gates(u, upto)
        self._draw_grads(frame.probe.grad_norms, upto)
        self.strip.show_steps(u.kind, t_len, upto)
        g = frame.probe.grad_norms
        ratio = g[0] / g[-1] if g[-1] > 0 else float("nan")
        self.summary.setText(
            f"step {upto} of {t_len}: {RULES[u.kind].format(t=upto, s=upto - 1)} · loss {frame.probe.loss:.4g} · "
            f"‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ = {ratio:.2g} · one W_hh, W_ih, b for every step · heat-maps: blue > 0, orange < 0"
        )

    def _draw_signal(self, x: np.ndarray, upto: int) -> None:
        plot = self.signal.getPlotItem()
        plot.clear()
        t = np.arange(1, len(x) + 1)
        if x.shape[1] > MAX_LINES:  # one-hot tokens: the token number per step
            series = [np.argmax(x, axis=1).astype(np.float64)]
        else:
            series = [x[:, k] for k in range(x.shape[1])]
        for k, s in enumerate(series):
            colour = self.theme.classes[k % len(self.theme.classes)]
            plot.plot(
                t[:upto],
                s[:upto],
                pen=pg.mkPen(colour, width=self.theme.line_width),
                symbol="o",
                symbolSize=4,
                symbolBrush=colour,
                symbolPen=None,
            )
        plot.setXRange(0.5, len(x) + 0.5, padding=0)
        plot.addItem(pg.InfiniteLine(upto, pen=pg.mkPen(self.theme.muted_text, style=pg.QtCore.Qt.PenStyle.DashLine)))

    def _draw_output(self, frame: SequenceFrame) -> None:
        self.outputs.setCurrentWidget(self.text if frame.sample is not None else self.output)
        if frame.sample is not None:
            s = frame.sample
            self.text.show_sample(s)
            loss = float(np.mean(frame.losses[-LOSS_MEAN:])) if len(frame.losses) else float("nan")
            self.titles["output"].setText(sample_title(s, loss))
            return
        plot = self.output.getPlotItem()
        if frame.forecast is not None:
            draw_forecast(plot, frame.forecast, self.theme)
            self.titles["output"].setText(forecast_title(frame.forecast))
            self._label_output(forecast_label(frame.forecast))
            return
        self._label_output("the example shown")
        plot.clear()
        pred, target = frame.probe.prediction.ravel(), frame.probe.target.ravel()
        if pred.size == 1 and target.size == 1:
            bars = pg.BarGraphItem(
                x=[0, 1],
                height=[target[0], pred[0]],
                width=0.6,
                brushes=[self.theme.test_curve, self.theme.train_curve],
            )
            plot.addItem(bars)
            plot.getAxis("bottom").setTicks([[(0, "target"), (1, "prediction")]])
            for k, v in enumerate((target[0], pred[0])):  # the values on the bars: the lecture reads them out
                label = pg.TextItem(f"{v:.3f}", color=self.theme.text, anchor=(0.5, 1.0 if v >= 0 else 0.0))
                label.setPos(k, v)
                plot.addItem(label)
            top = max(0.0, target[0], pred[0])
            plot.setYRange(min(0.0, target[0], pred[0]), top * 1.25 if top > 0 else 1.0, padding=0.02)
            plot.setXRange(-0.6, 1.6, padding=0)
        else:
            plot.getAxis("bottom").setTicks(None)
            plot.plot(np.arange(target.size), target, pen=pg.mkPen(self.theme.test_curve, width=2))
            plot.plot(
                np.arange(pred.size),
                pred,
                pen=pg.mkPen(self.theme.train_curve, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
            )

    def _label_output(self, text: str) -> None:
        """The output plot's x label, restyled only when it changes (restyling redraws the cached axes)."""
        if text != self.output_label:
            self.output_label = text
            style_plot(self.output.getPlotItem(), self.theme, {"bottom": text})

    def _draw_loss(self, losses: np.ndarray) -> None:
        plot = self.loss.getPlotItem()
        plot.clear()
        ok = losses[np.isfinite(losses) & (losses > 0)] if len(losses) else losses
        if len(ok):
            plot.plot(np.arange(1, len(ok) + 1), ok, pen=pg.mkPen(self.theme.train_curve, width=self.theme.line_width))

    def _draw_gates(self, u, upto: int) -> None:
        names = GATE_NAMES[u.kind]
        if not names:
            self.gates.show_matrix(np.full((1, len(u.hidden)), np.nan), row_names=["(none)"], col_start=0.5)
            self.gates.mark_rows([])
            return
        h = u.hidden.shape[1]
        stacked = np.concatenate([u.gates[n].T for n in names], axis=0)  # (G·H, T), first gate at the bottom
        self.gates.show_matrix(stacked, upto, row_names=[], col_start=0.5)
        self.gates.getAxis("left").setTicks([[(k * h + h / 2, n) for k, n in enumerate(names)], []])
        self.gates.mark_rows([k * h for k in range(1, len(names))])

    def _draw_grads(self, norms: np.ndarray, upto: int) -> None:
        plot = self.grads.getPlotItem()
        plot.clear()
        t = np.arange(1, len(norms) + 1)
        safe = np.maximum(norms, 1e-30)
        plot.plot(
            t,
            safe,
            pen=pg.mkPen(self.theme.negative, width=self.theme.line_width),
            symbol="o",
            symbolSize=4,
            symbolBrush=self.theme.negative,
            symbolPen=None,
        )
        plot.addItem(pg.InfiniteLine(upto, pen=pg.mkPen(self.theme.muted_text, style=pg.QtCore.Qt.PenStyle.DashLine)))
        plot.setXRange(0.5, len(norms) + 0.5, padding=0)

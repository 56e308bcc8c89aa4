"""OnlineView: learning without storing the history (the lecture's NoBackTrack point, topic "11+").

Full BPTT, truncated BPTT and UORO (neuralviz.online) train the same tanh RNN on the same stream of the lag
task, one sequence each per step, in a WorkerHost thread (online_worker.py). On screen: the three loss
curves overlaid (running mean, log y, the "always answer 0" loss 1/2 as a dashed line), a bar chart of the
floats each method keeps about the past, and a big readout per method. The point the room should see: the
truncation cannot learn a lag longer than its window, full BPTT can but stores the whole sequence, UORO
learns it while keeping a constant, small memory.

scene.options (all optional): {"window": 1, "lag": window + 5, "length": 40, "hidden": 16, "seed": 0}.
A step is one sequence for every learner; the stop rule counts those.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..comparison.run_style import run_colour
from .fonts import font
from .online_worker import OnlineFrame, OnlineWorker, read_options
from .scene_view import HostedSceneView

__all__ = ["OnlineView"]

BASELINE = 0.5  # the loss of always answering 0 (targets are ±1, loss (y - t)^2 / 2)
SPEED = 4  # sequences per frame while playing: the 1,500-sequence race takes about half a minute


class OnlineView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.options = read_options(scene.options or {})
        self.frame: OnlineFrame | None = None
        self.error = ""
        configure_pyqtgraph()
        self._build()
        self._train_in(WorkerHost(OnlineWorker(), "neuralviz-online"))
        self.host.set_speed(SPEED)
        self._configure()
        self.set_theme(theme)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.loss_plot = pg.PlotWidget()
        self.memory_plot = pg.PlotWidget()
        for w in (self.loss_plot, self.memory_plot):
            w.setMouseEnabled(False, False)
            w.hideButtons()
            w.setMinimumSize(120, 100)
        self.loss_plot.setLogMode(x=False, y=True)
        self.curves = [self.loss_plot.plot([], []) for _ in range(3)]
        self.baseline = pg.InfiniteLine(angle=0, pos=np.log10(BASELINE))
        self.loss_plot.addItem(self.baseline)
        self.bars = pg.BarGraphItem(x=[0, 1, 2], height=[0, 0, 0], width=0.6)
        self.memory_plot.addItem(self.bars)
        self.bar_labels = [pg.TextItem(anchor=(0.5, 1.0)) for _ in range(3)]
        for t in self.bar_labels:
            self.memory_plot.addItem(t)
        self.loss_title = QLabel("Loss on the stream (running mean, log scale)")
        self.memory_title = QLabel()
        self.memory_note = QLabel("full BPTT stores every step (grows with T); the others do not")
        self.memory_note.setWordWrap(True)
        self.readouts = [QLabel() for _ in range(3)]
        for r in self.readouts:
            r.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.task = QLabel()
        self.task.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.loss_title, 0, 0)
        grid.addWidget(self.memory_title, 0, 1)
        grid.addWidget(self.loss_plot, 1, 0)
        grid.addWidget(self.memory_plot, 1, 1)
        grid.addWidget(self.memory_note, 2, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        readouts = QGridLayout()
        for i, r in enumerate(self.readouts):
            readouts.addWidget(r, 0, i)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.task)
        lay.addLayout(grid, 1)
        lay.addLayout(readouts)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        for w, labels in ((self.loss_plot, {"bottom": "time steps seen", "left": "loss"}), (self.memory_plot, {})):
            w.setBackground(theme.background)
            style_plot(w.getPlotItem(), theme, labels)
        self.memory_plot.getAxis("bottom").setTicks([[(i, m) for i, m in enumerate(_short_labels())]])
        for i, c in enumerate(self.curves):
            c.setPen(pg.mkPen(run_colour(i), width=theme.line_width * 1.5 + 1))
        self.baseline.setPen(pg.mkPen(theme.muted_text, width=1.5, style=Qt.PenStyle.DashLine))
        self.bars.setOpts(brushes=[pg.mkBrush(run_colour(i)) for i in range(3)], pens=[pg.mkPen(None)] * 3)
        for t in self.bar_labels:
            t.setColor(theme.text)
            t.setFont(font(theme.plot_font_pt + 2, bold=True))
        for lab in (self.loss_title, self.memory_title):
            lab.setFont(font(theme.title_pt, bold=True))
        self.task.setFont(font(theme.font_pt + 1))
        self.memory_note.setFont(font(theme.font_pt))
        self.memory_plot.getAxis("left").hide()  # the bars carry their numbers
        for r in self.readouts:
            r.setFont(font(theme.title_pt + 4, bold=True))
        self._draw()

    # ------------------------------------------------------------------ frames
    def _configure(self) -> None:
        self.host.post(self.host.worker.configure, self.scene.options or {}, int(self.scene.stop.steps))

    def _on_failed(self, text: str) -> None:
        self.error = text
        self.task.setText(f"Cannot run: {text}")
        self._finish_headless()  # nothing will train: a scripted run must not wait for ever

    def _show_frame(self, frame) -> None:
        self._draw()

    def _draw(self) -> None:
        f = self.frame
        o = self.options
        self.task.setText(
            f"Task: answer the sign seen {o['lag']} steps back, in a stream of {o['length']}-step sequences. "
            f"Truncated BPTT looks back {_steps(o['window'])}; dashed line: always answering 0."
        )
        self.memory_title.setText(f"Memory kept about the past (floats, T = {o['length']})")
        if f is None:
            return
        x = (np.arange(1, f.step + 1) * f.length).astype(np.float64)
        for curve, y in zip(self.curves, f.curves):
            curve.setData(x, np.maximum(y, 1e-6)) if len(y) else curve.setData([], [])
        top = max(max(f.memory), 1)
        self.bars.setOpts(height=list(f.memory))
        self.memory_plot.setYRange(0, top * 1.25, padding=0)
        self.memory_plot.setXRange(-0.6, 2.6, padding=0)
        for i, t in enumerate(self.bar_labels):
            t.setText(f"{f.memory[i]:,d}")
            t.setPos(i, f.memory[i] + top * 0.02)
            t.setAnchor((0.5, 1.0))
        for i, r in enumerate(self.readouts):
            loss = f.loss(i)
            said = "–" if loss is None else f"{loss:.2g}"
            name = f"<span style='color:{run_colour(i)}'>{f.labels[i]}</span>"
            r.setText(f"{name}<br>loss {said}")

    # ------------------------------------------------------------------ SceneView
    def current_loss(self) -> float | None:
        """The best learner's running-mean loss (the stop rule's `loss_below` reads the leader)."""
        if self.frame is None:
            return None
        losses = [v for v in (self.frame.loss(i) for i in range(len(self.frame.labels))) if v is not None]
        return min(losses) if losses else None

    def status(self) -> str:
        step = self.current_step()
        said = f"sequence {step:,d}/{self.scene.stop.steps:,d}"
        reason = self.scene.stop.reason(step, self.current_loss())
        return " · ".join(x for x in (said, reason, self.error) if x)


def _steps(n: int) -> str:
    return "1 step" if n == 1 else f"{n} steps"


def _short_labels() -> list[str]:
    return ["full BPTT", "truncated", "UORO"]

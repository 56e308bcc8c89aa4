"""RaceBoard: the race as the room sees it, shared by the lecture's RaceView and the window's RacePage.

Left, one panel per run (run_panel.py) in the arrangement that makes the pictures largest (panel_grid.py);
right, the loss curves overlaid (loss_plot.py), the gradient bars when asked (gradient_bars.py), and one status
line. The race trains in a RaceWorker in a WorkerHost thread; the board only sends commands and draws the
frames it gets back.

Stop rule: the race pauses itself when `stop.reached(step, loss)`, loss being the lowest current training loss
of the runs (the race ends when the leader crosses the line); the page's rule is the preset's budget.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import StopRule
from ..common.panels import panel
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .frames import LINE, NUMBERS, RaceFrame, RaceLayout
from .gradient_bars import GradientBars
from .loss_plot import RaceLossPlot
from .panel_grid import PanelGrid, width_for
from .run_panel import RunPanel
from .worker import RaceWorker

PLOT_SHARE = 0.3  # the loss plot keeps at least this share of the board's width ...
PLOT_MIN_EM = 40  # ... and at least this many characters
SPACING = 8
LINE_ASPECT = 1.3  # a fitted curve reads best a little wider than tall
BARS_SHARE = 0.4  # of the height, for the gradient bars under the panels


class RaceBoard(QWidget):
    changed = pyqtSignal()  # a new frame, layout, state or message (the page's controls follow it)

    def __init__(self, theme: Theme, show_status: bool = True, parent=None):
        """show_status False: the status line shows only problems (the lecture's presenter shows status() in
        its footer, and the plot gets the room)."""
        super().__init__(parent)
        self.theme = theme
        self.show_status = show_status
        self.layout_: RaceLayout | None = None
        self.latest: RaceFrame | None = None
        self.playing = False
        self.message = ""
        self.frames_drawn = 0
        self._config: tuple | None = None  # (preset, seed, stop, options) of the race asked for
        self._headless: Callable[[], None] | None = None
        self._headless_steps = 0
        self._pending = 0  # configure requests the worker has not answered yet

        self.grid = PanelGrid()
        self.loss = RaceLossPlot(theme)
        self.bars = GradientBars(theme)
        self.status_line = QLabel()
        self.status_line.setWordWrap(True)
        self.status_line.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status_line.setVisible(show_status)
        self.bars_panel = panel(self.bars, margins=(6, 4, 6, 4))
        self.bars_panel.setVisible(False)
        # placed by _fit (no layout: a layout's minimum sizes would keep the board from shrinking to the room)
        self.left = QWidget(self)
        left = QVBoxLayout(self.left)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(SPACING)
        left.addWidget(self.grid, 1)
        left.addWidget(self.bars_panel)
        self.right = QWidget(self)
        right = QVBoxLayout(self.right)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(4)
        right.addWidget(panel(self.loss, margins=(6, 4, 6, 4)), 1)
        right.addWidget(self.status_line)
        self._start_worker()
        self.set_theme(theme)

    def _start_worker(self) -> None:
        self.host = WorkerHost(RaceWorker(), "neuralviz-race", self)
        self.worker = self.host.worker
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        self.host.playingChanged.connect(self._on_playing)
        self.worker.configured.connect(self._on_configured)
        self.worker.finished.connect(self._on_finished)

    # ------------------------------------------------------------------ commands
    def load(self, preset: dict, stop: StopRule | None = None, options: dict | None = None, seed: int = 0) -> None:
        """Race this preset's runs from step 0 (paused); stop None: stop at the preset's budget."""
        self._config = (preset, int(seed), stop, dict(options or {}))
        self.reset()

    def reset(self) -> None:
        """Fresh weights, step 0, paused (the same preset, seed and stop rule)."""
        if self._config is not None:
            self.message = ""
            self._pending += 1
            self.host.post(self.worker.configure, *self._config)

    def toggle_play(self) -> None:
        self.host.toggle_play()

    def pause(self) -> None:
        if self.playing:
            self.host.pause()

    def step(self) -> None:
        self.host.step()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Train `steps` steps flat out (fewer when the stop rule comes first), draw, then call done()."""
        self._headless, self._headless_steps = done, max(0, int(steps))
        if self._pending:
            return  # the race is being built: _on_configured (or _on_failed) goes on
        if self.layout_ is not None:
            self.host.train_for(self._headless_steps)
        else:
            self._finish_headless()

    def shutdown(self) -> None:
        self.host.shutdown()

    # ------------------------------------------------------------------ state
    def current_step(self) -> int:
        return self.latest.step if self.latest is not None else 0

    def current_loss(self) -> float | None:
        return self.latest.stop_loss if self.latest is not None else None

    def status(self) -> str:
        """ "step 340 / 5000 · best loss 0.012", then why it stopped, or what went wrong."""
        if self.latest is None:
            return self.message or "preparing the race…"
        f = self.latest
        text = f"step {f.step:,} / {f.layout.stop.steps:,}"
        loss = f.stop_loss
        if loss is not None:
            text += f" · best training loss {loss:.3g}"
        if f.stopped:
            text += f" · {f.stopped}"
        return f"{text} · {self.message}" if self.message else text

    # ------------------------------------------------------------------ look
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.status_line.setStyleSheet(f"font-size: {theme.font_pt * 1.1:.1f}pt; color: {theme.text};")
        for view in (*self.grid.panels, self.loss, self.bars):
            view.set_theme(theme)
        self.grid.rearrange()
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Place the two columns. The panels (left) get the width that makes their pictures largest while the
        loss plot (right) keeps at least PLOT_SHARE of the board and PLOT_MIN_EM character widths; the plot gets
        the rest. The gradient bars, when shown, span the left column under the panels (BARS_SHARE of the
        height): one group of bars per layer needs the width."""
        width, height = self.width(), self.height()
        if width <= 0 or height <= 0:
            return
        plot_min = max(int(PLOT_SHARE * width), int(PLOT_MIN_EM * self.fontMetrics().averageCharWidth()))
        room = max(1, width - plot_min - SPACING)
        bars = self.layout_ is not None and self.layout_.gradient_bars
        bars_height = int(BARS_SHARE * height) if bars else 0
        self.bars_panel.setFixedHeight(max(1, bars_height))
        grid_height = height - bars_height - (SPACING if bars else 0)
        if not self.grid.panels:
            left = room
        elif self.layout_ is not None and self.layout_.picture == NUMBERS:
            left = room // 2
        else:
            cols, side = self.grid.fit(room, grid_height)
            left = room if bars else max(1, min(room, width_for(cols, side, self.grid.aspect)))
        self.left.setGeometry(0, 0, left, height)
        self.right.setGeometry(left + SPACING, 0, max(1, width - left - SPACING), height)

    # ------------------------------------------------------------------ the worker's reports
    def _on_configured(self, layout: RaceLayout) -> None:
        self._pending = max(0, self._pending - 1)
        self.layout_ = layout
        self.latest = None
        panels = [RunPanel(self.theme, i) for i in range(len(layout.labels))]
        for p in panels:
            p.show_layout(layout)
        self.grid.aspect = LINE_ASPECT if layout.picture == LINE else 1.0
        self.grid.set_panels(panels)
        self._fit()
        self.loss.show_layout(layout)
        self.bars.show_layout(layout)
        self.bars_panel.setVisible(layout.gradient_bars)
        self._fit()
        if self._headless is not None and not self._pending:
            self.host.train_for(self._headless_steps)

    def _on_frame(self, frame: RaceFrame) -> None:
        if self.layout_ is None or frame.layout.serial != self.layout_.serial:
            return  # a frame of a race already replaced
        self.latest = frame
        for p, state in zip(self.grid.panels, frame.runs):
            p.show_state(state)
        self.loss.show_frame(frame)
        if frame.layout.gradient_bars:
            self.bars.show_frame(frame)
        self.frames_drawn += 1
        self._show_status()

    def _on_failed(self, text: str) -> None:
        """A race that could not be built (the previous one stays), or training that had to stop."""
        self.message = text
        building = self._pending > 0
        self._pending = max(0, self._pending - 1) if building else 0
        self._show_status()
        if self._headless is not None and not self._pending:
            if building and self.layout_ is not None:
                self.host.train_for(self._headless_steps)  # the previous race stays: it still shows
            elif building:
                self._finish_headless()  # nothing to train: a screenshot shows the message

    def _on_playing(self, playing: bool) -> None:
        self.playing = playing
        self._show_status()

    def _on_finished(self, reason: str) -> None:
        self._show_status()
        if self._headless is not None:
            self._finish_headless()

    def _finish_headless(self) -> None:
        done, self._headless = self._headless, None
        QTimer.singleShot(0, done)  # after Qt has painted the final frame

    def _show_status(self) -> None:
        self.status_line.setText(self.status() if self.show_status else self.message)
        self.status_line.setVisible(self.show_status or bool(self.message))
        self.changed.emit()

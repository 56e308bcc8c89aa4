"""SequencePage: the main window's "Sequences" tab, in two modes (an inner tab each).

* Recurrent net: a preset with an rnn / lstm / gru layer (lstm-adding, ...) trains in the page's WorkerHost
  thread; one test sequence is shown unrolled (SequenceBoard): input, prediction vs target, hidden states and
  gates over time, ‖∂L/∂h_t‖ through time, and the net drawn with one W_hh shared by every step. The step slider
  and "Next step" reveal t = 1..T of that sequence one step at a time. "Cell" trains the same task with another
  cell (a plain RNN beside the preset's LSTM: its gradient vanishes through time). A task with a lag (the
  adding problem's T, the copy task's delay) can be rebuilt with another lag and trained from scratch. A sine
  forecaster runs free after a prompt, and a character model writes text (at a temperature), as they learn;
  the worker computes both and sends copies in its frames.
* Story QA: the shipped memory network answers questions about a story you type (StoryPanel); the reading
  runs in the same worker thread, and a word it does not know shows its error in the page's message banner.

The page does not follow the studio's network (on_configured does nothing): it brings its own.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ... import presets
from ...sequence_probe import KINDS
from ..common.panels import panel
from ..common.preset_page import preset_picker
from ..common.self_training import SelfTrainingPresetPage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .board import SequenceBoard
from .generated import generation_kind
from .lag import Lag, lag_of
from .qa_panel import StoryPanel
from .run import DEFAULT_TEMPERATURE, SequenceFrame, recurrent_presets
from .worker import SequenceWorker

QA_PRESET = "story-qa"
DEFAULT_PRESET = "lstm-adding"  # the page opens on the lecture's first recurrent demo, whatever sorts first


class SequencePage(SelfTrainingPresetPage, QWidget):
    TITLE = "Sequences"

    def __init__(self, window):
        super().__init__()
        self._set_up(window, WorkerHost(SequenceWorker(), "neuralviz-sequences"))
        self.seed = 0
        self.loaded: str | None = None
        self.board = SequenceBoard(self.theme)
        self.qa = StoryPanel(self.theme)
        self._build_controls()
        self.modes = QTabWidget()
        self.modes.addTab(self._recurrent_tab(), "Recurrent net")
        self.modes.addTab(self.qa, "Story QA")
        self.modes.currentChanged.connect(self._mode_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.addWidget(self.modes, 1)
        self.message.overlay_on(self)
        self._connect()

    def _build_controls(self) -> None:
        self.picker = preset_picker(recurrent_presets(), min_chars=10)
        self.picker.setCurrentIndex(max(0, self.picker.findData(DEFAULT_PRESET)))
        self.cell = QComboBox()
        self.cell.addItem("the preset's cell", None)
        for kind in KINDS:
            self.cell.addItem(kind.upper(), kind)
        self.cell.setToolTip("Train the same task with another cell: a plain RNN's gradient vanishes through time")
        self._key_buttons()
        self.example = QSpinBox()
        self.example.setRange(0, 0)
        self.example.setToolTip("Which test sequence is shown")
        self.time = QSlider(Qt.Orientation.Horizontal)
        self.time.setRange(1, 1)
        self.time.setToolTip("Reveal the sequence up to step t")
        self.next_button = QPushButton("Next step")
        self.time_label = QLabel("t = 1")
        self.lag_label = QLabel("T:")
        self.lag = QSpinBox()
        self.lag.setKeyboardTracking(False)  # rebuild once the number is typed, not at every digit
        self.lag.setToolTip("How far back the net must remember: rebuilds the task and trains from scratch")
        self.temperature_label = QLabel("Temperature:")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(1)
        self.temperature.setValue(DEFAULT_TEMPERATURE)
        self.temperature.setKeyboardTracking(False)
        self.temperature.setToolTip("0 writes the likeliest character every time; 1 samples the net as it is")
        self._show_task_controls(None, False)

    def _recurrent_tab(self) -> QWidget:
        """The run's controls above the views; the step-by-step controls go with the unrolled net below."""
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Preset:"))
        row.addWidget(self.picker, 1)
        row.addWidget(QLabel("Cell:"))
        row.addWidget(self.cell)
        for b in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(b)
        row.addWidget(self.status)
        steps = QWidget()
        row = QHBoxLayout(steps)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Example:"))
        row.addWidget(self.example)
        for w in (self.lag_label, self.lag, self.temperature_label, self.temperature):
            row.addWidget(w)  # here, not above: the run's bar has no width to spare with large fonts
        row.addWidget(self.time_label)
        row.addWidget(self.time, 1)
        row.addWidget(self.next_button)
        self.board.add_step_controls(steps)
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        lay.setSpacing(6)
        lay.addWidget(panel(bar, margins=(8, 4, 8, 4)))
        lay.addWidget(self.board, 1)
        return tab

    def _connect(self) -> None:
        worker = self.host.worker
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self.message.show_error)
        worker.answered.connect(self._on_answer)
        self.qa.asked.connect(lambda story, q: self.host.post(worker.ask, story, q))
        self.picker.currentIndexChanged.connect(lambda _: self._load_chosen() if self.loaded is not None else None)
        self.cell.currentIndexChanged.connect(lambda _: self._reload() if self.loaded is not None else None)
        self.lag.valueChanged.connect(lambda _: self._reload() if self.loaded is not None else None)
        self.temperature.valueChanged.connect(lambda v: self.host.post(worker.set_temperature, float(v)))
        self.example.valueChanged.connect(lambda i: self.host.post(worker.show_example, int(i)))
        self.time.valueChanged.connect(self._redraw)
        self.next_button.clicked.connect(self.next_step)

    # ------------------------------------------------------------------ the run
    def _load_chosen(self) -> None:
        name = self.picker.currentData()
        if name is None:
            self.message.show_error("No preset has an rnn, lstm or gru layer to show.")
            return
        self.loaded = name
        try:
            preset = presets.load(name)
        except ValueError:  # the worker's configure says why, in the message banner
            preset = {}
        self._show_task_controls(lag_of(preset), generation_kind(preset) == "text")
        self.host.post(self.host.worker.configure, name, self.seed, self.cell.currentData(), None)

    def _reload(self) -> None:
        """The preset loaded, trained from scratch with the cell and the lag now chosen."""
        lag = self.lag.value() if self.has_lag else None
        self.host.post(self.host.worker.configure, self.loaded, self.seed, self.cell.currentData(), lag)

    def _show_task_controls(self, lag: Lag | None, text: bool) -> None:
        """The lag box for a task that has one (set to the preset's lag), the temperature for a text model."""
        self.has_lag = lag is not None
        for w in (self.lag_label, self.lag):
            w.setVisible(lag is not None)
        if lag is not None:
            self.lag_label.setText(f"{lag.label}:")
            self.lag.blockSignals(True)
            self.lag.setRange(lag.low, lag.high)
            self.lag.setValue(lag.value)
            self.lag.blockSignals(False)
        for w in (self.temperature_label, self.temperature):
            w.setVisible(text)

    def _on_frame(self, frame: SequenceFrame) -> None:
        t_len = len(frame.probe.unrolled.hidden)
        following = self.frame is None or self.time.value() >= self.time.maximum()
        self.frame = frame
        self.time.blockSignals(True)
        self.time.setMaximum(t_len)
        if following:
            self.time.setValue(t_len)
        self.time.blockSignals(False)
        self.example.blockSignals(True)
        self.example.setMaximum(max(0, frame.examples - 1))
        self.example.blockSignals(False)
        self.status.setText(f"step {frame.step:,} / {frame.budget:,}")
        self._redraw()
        if frame.final:
            self._finish_headless()

    def _redraw(self) -> None:
        if self.frame is not None:
            self.time_label.setText(f"t = {self.time.value()}")
            self.board.show(self.frame, self.time.value())

    def next_step(self) -> None:
        """Reveal one more time step of the sequence shown (back to t = 1 after the last)."""
        t = self.time.value()
        self.time.setValue(1 if t >= self.time.maximum() else t + 1)

    def shown_time(self) -> int:
        return self.board.upto

    # ------------------------------------------------------------------ story QA
    def _mode_changed(self, index: int) -> None:
        """The first look at Story QA answers the question already in the box (the lecture's first)."""
        if self.modes.widget(index) is self.qa and self.qa.reading is None:
            self.qa.ask()

    def _on_answer(self, question: str, result) -> None:
        self.qa.question_answered = question
        if isinstance(result, str):
            self.qa.show_error(result)
            self.message.show_error(result)
        else:
            self.message.clear()
            self.qa.show(result)

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.board.set_theme(theme)
        self.qa.set_theme(theme)

    def wants_preset(self, name: str) -> bool:
        """A recurrent preset opens here (and is trained); story-qa opens the Story QA mode."""
        if name == QA_PRESET:
            self.modes.setCurrentWidget(self.qa)
            return True
        if self.picker.findData(name) < 0:
            return False
        self.modes.setCurrentIndex(0)
        return self._open_preset(name)

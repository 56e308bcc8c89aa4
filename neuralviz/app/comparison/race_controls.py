"""RaceControls: the comparison's control bar.

First line: play / step / reset, the speed, the step counter, the inputs' units and the reparametrisation
the twins are trained in. Second line: one RunRow per run (+ / − to add or drop a run). Third line: what
all natural-gradient runs share (damping λ, Fisher type, metric-normalised step). Changes that keep the weights
(λ, Fisher type, normalisation, learning rates) apply at once; the others restart the race.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .config import FISHER_TITLES, MAX_RUNS, REPARAMS, RUN_NAMES, RaceConfig
from .damping_slider import DampingSlider
from .frames import RaceInfo
from .run_row import RunRow

SPEEDS = (1, 2, 5, 20, 100, 0)  # steps per frame (about 30 frames a second); 0 = as fast as possible


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "hint")
    return label


class RaceControls(QWidget):
    playClicked = pyqtSignal()
    stepClicked = pyqtSignal()
    resetClicked = pyqtSignal()
    speedChanged = pyqtSignal(int)
    optimizerChosen = pyqtSignal(int, str)
    lrChanged = pyqtSignal(int, float)
    addRunClicked = pyqtSignal()
    removeRunClicked = pyqtSignal()
    dampingChanged = pyqtSignal(float)
    fisherChanged = pyqtSignal(str)
    normalizeChanged = pyqtSignal(bool)
    scalingChanged = pyqtSignal(bool)
    reparamChanged = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.play_button = QPushButton("▶  Play")
        self.play_button.setToolTip("Race: every run takes a step on the same minibatch, in turn")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("One lockstep step: every run, the same minibatch")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the shared initial weights, counters at zero")
        for button, signal in (
            (self.play_button, self.playClicked),
            (self.step_button, self.stepClicked),
            (self.reset_button, self.resetClicked),
        ):
            button.clicked.connect(signal)
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem("max speed" if s == 0 else f"{s} step{'s' if s > 1 else ''} / frame", s)
        self.speed.setToolTip("Steps per drawn frame (about 30 frames a second): 1 lets the room watch the race")
        self.speed.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.speed.setMinimumContentsLength(10)
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i]))
        self.step_label = QLabel("step 0")
        self.step_label.setProperty("role", "metric")
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance("step 000,000") + 10)
        self.rows: list[RunRow] = []
        self.rows_box = QHBoxLayout()
        self.rows_box.setSpacing(16)
        self.add_button = QPushButton("+ run")
        self.add_button.setToolTip("Add another run (up to four): the race restarts")
        self.remove_button = QPushButton("− run")
        self.remove_button.setToolTip("Drop the last run: the race restarts")
        self.add_button.clicked.connect(self.addRunClicked)
        self.remove_button.clicked.connect(self.removeRunClicked)

        self.damping = DampingSlider()
        self.damping.dampingChanged.connect(self.dampingChanged)
        self.fisher = QComboBox()
        for key, title in FISHER_TITLES.items():
            self.fisher.addItem(title, key)
        self.fisher.setToolTip(
            "true: expectation over the model's own predictions · empirical: the training "
            "labels' gradients (a biased stand-in) · Monte-Carlo: sampled labels"
        )
        self.fisher.activated.connect(lambda _: self.fisherChanged.emit(self.fisher.currentData()))
        self.normalize = QCheckBox("metric-normalised step")
        self.normalize.setToolTip("Step η·d/√(g·d): a fixed length in the Fisher metric (keeps every invariance)")
        self.normalize.toggled.connect(self.normalizeChanged)
        self.scaling = QComboBox()
        self.scaling.setToolTip("The preset's badly scaled units for the inputs, or the data as generated")
        self.scaling.activated.connect(lambda _: self.scalingChanged.emit(bool(self.scaling.currentData())))
        self.reparam = QComboBox()
        for r in REPARAMS:
            self.reparam.addItem(r.label, r.key)
        self.reparam.setToolTip(
            "Every run also trains a twin computing the same function in these "
            "coordinates, on the same minibatches (the race restarts)"
        )
        self.reparam.activated.connect(lambda _: self.reparamChanged.emit(self.reparam.currentData()))

        # long entries: the combos may shrink (the open list shows them whole) so large fonts still fit
        for combo, chars in ((self.scaling, 12), (self.reparam, 12), (self.fisher, 10)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)
        # three lines, so that four runs or large fonts still fit the window's width:
        # the race and its experiment / the runs / what the natural-gradient runs share
        line1 = QHBoxLayout()
        line1.setSpacing(8)
        for w in (self.play_button, self.step_button, self.reset_button, self.speed, self.step_label):
            line1.addWidget(w)
        line1.addSpacing(16)
        self.scaling_hint = _hint("Inputs:")
        line1.addWidget(self.scaling_hint)
        line1.addWidget(self.scaling, 3)
        line1.addSpacing(12)
        line1.addWidget(_hint("Twin:"))
        line1.addWidget(self.reparam, 2)
        line2 = QHBoxLayout()
        line2.setSpacing(8)
        line2.addWidget(_hint("Runs:"))
        line2.addLayout(self.rows_box)
        line2.addWidget(self.add_button)
        line2.addWidget(self.remove_button)
        line2.addStretch(1)
        line3 = QHBoxLayout()
        line3.setSpacing(8)
        line3.addWidget(_hint("Natural gradient:"))
        line3.addWidget(self.damping, 2)
        line3.addWidget(self.fisher)
        line3.addWidget(self.normalize)
        line3.addStretch(1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(4)
        for line in (line1, line2, line3):
            lay.addLayout(line)

    # ------------------------------------------------------------------ showing what is in force
    def set_playing(self, playing: bool) -> None:
        self.play_button.setText("⏸  Pause" if playing else "▶  Play")

    def show_step(self, step: int) -> None:
        self.step_label.setText(f"step {step:,d}")

    def set_speed(self, steps_per_frame: int) -> None:
        self.speed.blockSignals(True)
        self.speed.setCurrentIndex(SPEEDS.index(steps_per_frame) if steps_per_frame in SPEEDS else 0)
        self.speed.blockSignals(False)

    def set_scaling_choice(self, text: str | None) -> None:
        """text: the bad scaling's description, or None when the problem has none to offer."""
        self.scaling.blockSignals(True)
        self.scaling.clear()
        self.scaling.addItem("as generated", False)
        if text:
            self.scaling.addItem(f"badly scaled: {text}", True)
        self.scaling.blockSignals(False)
        for w in (self.scaling, self.scaling_hint):
            w.setVisible(bool(text))

    def show_config(self, config: RaceConfig, info: RaceInfo | None = None) -> None:
        while len(self.rows) > len(config.runs):
            row = self.rows.pop()
            self.rows_box.removeWidget(row)
            row.deleteLater()
        while len(self.rows) < len(config.runs):
            i = len(self.rows)
            row = RunRow(i, RUN_NAMES[i])
            row.optimizerChosen.connect(lambda name, i=i: self.optimizerChosen.emit(i, name))
            row.lrChanged.connect(lambda lr, i=i: self.lrChanged.emit(i, lr))
            self.rows_box.addWidget(row)
            self.rows.append(row)
        for row, choice in zip(self.rows, config.runs):
            row.show_choice(choice)
            if info is not None:
                why = (
                    f"Exact natural gradient needs the dense {info.problem.parameters:,d} × "
                    f"{info.problem.parameters:,d} Fisher: too large to build and solve every step here. "
                    "K-FAC and the quasi-diagonal method approximate it."
                )
                row.set_exact_allowed(info.exact_allowed, why)
        self.add_button.setEnabled(len(config.runs) < MAX_RUNS)
        self.remove_button.setEnabled(len(config.runs) > 2)
        self.damping.set_value(config.damping)
        for combo, value in ((self.fisher, config.fisher), (self.reparam, config.reparam)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)
        self.normalize.blockSignals(True)
        self.normalize.setChecked(config.normalize)
        self.normalize.blockSignals(False)
        self.scaling.blockSignals(True)
        self.scaling.setCurrentIndex(1 if config.scaled and self.scaling.count() > 1 else 0)
        self.scaling.blockSignals(False)

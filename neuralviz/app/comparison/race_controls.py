"""RaceControls: the comparison's control bar.

First line: play / step / reset, the speed, the step counter, the inputs' units and the reparametrisation
the twins are trained in. Second line: one RunRow per run (+ / − to add or drop a run). Third line: what
all natural-gradient runs share (damping λ, Fisher type, metric-normalised step). Changes that keep the weights
(λ, Fisher type, normalisation, learning rates) apply at once; the others restart the race.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLayout, QPushButton, QVBoxLayout, QWidget

from ..common.live_label import LiveLabel
from ..common.play_icon import play_icon
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
        self.play_button = QPushButton("Play")
        self.play_button.setIcon(play_icon(self, False))
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
        self.speed.setMinimumContentsLength(7)
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i]))
        self.step_label = LiveLabel("step 0")  # changes every frame: repaint it alone
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
        for combo, chars in ((self.scaling, 6), (self.reparam, 6), (self.fisher, 6)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)
        # three lines when wide: the race and its experiment (inputs, twin) / the runs / what the
        # natural-gradient runs share; four when narrow (large fonts, a 1024-pixel projector): the
        # experiment then gets its own line (resizeEvent), so the page's height goes to the pictures
        line1 = QHBoxLayout()
        line1.setSpacing(8)
        for w in (self.play_button, self.step_button, self.reset_button, self.speed, self.step_label):
            line1.addWidget(w)
        self.experiment = QWidget()
        experiment = QHBoxLayout(self.experiment)
        experiment.setContentsMargins(0, 0, 0, 0)
        experiment.setSpacing(8)
        self.scaling_hint = _hint("Inputs:")
        experiment.addWidget(self.scaling_hint)
        experiment.addWidget(self.scaling, 3)
        experiment.addSpacing(12)
        experiment.addWidget(_hint("Twin:"))
        experiment.addWidget(self.reparam, 2)
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

        self.line1, self.lines = line1, (line1, line2, line3)
        self.layout_ = lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(4)
        # the minimum is this widget's own (minimumSizeHint: the narrow arrangement), not the layout's,
        # which would keep a window that once was wide from ever getting narrow again
        lay.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        for line in self.lines:
            lay.addLayout(line)
        line1.addStretch(0)  # takes line 1's spare width while the experiment has a line of its own
        lay.insertWidget(1, self.experiment)
        self.joined = False

    # ------------------------------------------------------------------ arrangement
    def _line1_width(self) -> int:
        """line 1's least width without the experiment."""
        spacing = self.line1.spacing()
        widths = [self.line1.itemAt(i).minimumSize().width() for i in range(self.line1.count())]
        own = [w for i, w in enumerate(widths) if self.line1.itemAt(i).widget() not in (None, self.experiment)]
        return sum(own) + spacing * (len(own) - 1)

    def _margins(self) -> int:
        m = self.layout_.contentsMargins()
        return m.left() + m.right()

    def _arrange(self, joined: bool) -> None:
        """The experiment at the end of line 1 (joined) or on a line of its own under it."""
        if joined == self.joined:
            return
        self.joined = joined
        if joined:
            self.layout_.removeWidget(self.experiment)
            self.line1.insertWidget(self.line1.count() - 1, self.experiment, 1)  # before the stretch
        else:
            self.line1.removeWidget(self.experiment)
            self.layout_.insertWidget(1, self.experiment)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        rest = max(line.minimumSize().width() for line in self.lines[1:])
        width = max(self._line1_width(), self.experiment.minimumSizeHint().width(), rest) + self._margins()
        lines = [line.minimumSize().height() for line in self.lines]
        if not self.joined:
            lines.append(self.experiment.minimumSizeHint().height())
        height = sum(lines) + self.layout_.spacing() * (len(lines) - 1) + 8
        return QSize(width, height)

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint().expandedTo(super().sizeHint())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wanted = self._line1_width() + 24 + self.experiment.minimumSizeHint().width() + self._margins()
        self._arrange(event.size().width() >= wanted)

    # ------------------------------------------------------------------ showing what is in force
    def set_playing(self, playing: bool) -> None:
        # a drawn icon, not the ⏸ character: the fonts Qt finds often lack it (an empty box on screen)
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setIcon(play_icon(self, playing))

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

"""RunRow: one run's controls: its colour and letter, its optimizer, its learning rate."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QAbstractSpinBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from .config import NATURAL, OPTIMIZER_TITLES, PLAIN, RunChoice
from .run_style import RUN_DASH_NAMES, run_colour


class RunRow(QWidget):
    optimizerChosen = pyqtSignal(str)
    lrChanged = pyqtSignal(float)

    def __init__(self, index: int, label: str, parent=None):
        super().__init__(parent)
        self.index = index
        self.chip = QLabel(f'<span style="color:{run_colour(index)}; font-size:130%">■</span> <b>{label}</b>')
        self.chip.setToolTip(f"Run {label}: drawn {RUN_DASH_NAMES[index % len(RUN_DASH_NAMES)]} in the plots")
        self.combo = QComboBox()
        for name in PLAIN + NATURAL:
            self.combo.addItem(OPTIMIZER_TITLES[name], name)
        self.combo.insertSeparator(len(PLAIN))
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(6)  # the open list shows long names whole (narrow: 1024 px)
        self.combo.setToolTip("Changing a run's optimizer restarts the race from the shared initial weights")
        self.combo.activated.connect(lambda _: self.optimizerChosen.emit(self.combo.currentData()))
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(1e-4, 100.0)
        self.lr.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr.setKeyboardTracking(False)
        self.lr.setPrefix("lr ")
        self.lr.setToolTip("Learning rate η of this run (applied at once, weights kept)")
        self.lr.valueChanged.connect(self.lrChanged)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.chip)
        lay.addWidget(self.combo)
        lay.addWidget(self.lr)

    def show_choice(self, choice: RunChoice) -> None:
        for widget in (self.combo, self.lr):
            widget.blockSignals(True)
        self.combo.setCurrentIndex(max(0, self.combo.findData(choice.name)))
        self.lr.setValue(choice.lr)
        for widget in (self.combo, self.lr):
            widget.blockSignals(False)

    def set_exact_allowed(self, allowed: bool, why: str = "") -> None:
        item = self.combo.model().item(self.combo.findData("ng-exact"))
        item.setEnabled(allowed)
        item.setToolTip("" if allowed else why)

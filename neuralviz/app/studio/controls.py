"""ControlsBar: reset, play/pause, single step, speed, and the epoch / step counters."""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStyle, QToolButton, QVBoxLayout, QWidget

from ..common.live_label import LiveLabel

# steps per frame offered by the speed picker (0 = as fast as the machine goes)
SPEEDS = (1, 3, 10, 30, 100, 300, 1000, 0)
DEFAULT_SPEED = 10


def _labelled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    label = QLabel(title)
    label.setProperty("role", "hint")
    lay.addWidget(label)
    lay.addWidget(widget)
    return box


class ControlsBar(QWidget):
    playClicked = pyqtSignal()  # toggles play / pause
    stepClicked = pyqtSignal()
    resetClicked = pyqtSignal()
    speedChanged = pyqtSignal(int)  # steps per frame, 0 = maximum

    def __init__(self, parent=None):
        super().__init__(parent)
        style = self.style()
        self.reset_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
            "Reset: weights back to their initial values (same seed), counters to zero (R)",
            40,
        )
        self.play_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play / pause training (Space)", 52
        )
        self.play_button.setObjectName("playButton")
        self.step_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "One training step (S or →)", 40
        )
        self.reset_button.clicked.connect(self.resetClicked)
        self.play_button.clicked.connect(self.playClicked)
        self.step_button.clicked.connect(self.stepClicked)

        self.epoch_label = LiveLabel("000,000")  # the counters change every frame: see LiveLabel
        self.epoch_label.setProperty("role", "counter")
        self.step_label = LiveLabel("0")
        self.step_label.setProperty("role", "counter")
        self.rate_label = LiveLabel("paused")
        self.rate_label.setProperty("role", "hint")
        self.rate_label.setMinimumWidth(110)
        self.speed_combo = QComboBox()
        for s in SPEEDS:
            self.speed_combo.addItem("max" if s == 0 else f"{s} / frame", s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        self.speed_combo.setToolTip("Training steps per drawn frame (about 30 frames per second)")
        self.speed_combo.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i]))

        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(14)
        for b in (self.reset_button, self.play_button, self.step_button):
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addSpacing(12)
        lay.addWidget(_labelled("Epoch", self.epoch_label))
        lay.addWidget(_labelled("Step", self.step_label))
        lay.addWidget(_labelled("Speed", self.speed_combo))
        lay.addWidget(_labelled("Steps per second", self.rate_label))
        lay.addStretch(1)
        self._playing = False

    def _button(self, icon, tip: str, size: int) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon)
        b.setIconSize(QSize(int(size * 0.55), int(size * 0.55)))
        b.setFixedSize(size, size)
        b.setToolTip(tip)
        return b

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_combo.currentIndex()]

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.step_button.setEnabled(not playing)
        if not playing:
            self.rate_label.setText("paused")

    def show_counters(self, step: int, epoch: float, steps_per_second: float) -> None:
        self.epoch_label.setText(f"{int(epoch):07,d}")  # 000,714 as in the Playground
        self.step_label.setText(f"{step:,d}")
        if self._playing and steps_per_second > 0:
            self.rate_label.setText(f"{steps_per_second:,.0f}")

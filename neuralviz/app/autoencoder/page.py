"""AutoencoderPage: the auto-encoder's tab. A preset with a 2-number "code" layer (autoencoder: digits 8x8;
autoencoder-shapes: shapes 28x28) trains on reconstruction in the page's own WorkerHost thread, and the board
shows its code space live: every test image a dot coloured by class, click to decode a point, drag to walk a
line, a - b + c on classes or picked images, originals over reconstructions, the loss against the mean image.

The page does not follow the studio's network (on_configured does nothing): it brings its own.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ..common.preset_page import preset_picker
from ..common.self_training import SelfTrainingPresetPage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .board import AutoencoderBoard
from .run import AutoencoderFrame, autoencoder_presets
from .worker import SPEED, AutoencoderWorker

DEFAULT_PRESET = "autoencoder"
SPEEDS = (("slow", 2), ("normal", SPEED), ("fast", 50), ("flat out", 0))  # steps per frame (0: as fast as it can)


class AutoencoderPage(SelfTrainingPresetPage, QWidget):
    TITLE = "Auto-encoder"

    def __init__(self, window):
        super().__init__()
        self._set_up(window, WorkerHost(AutoencoderWorker(), "neuralviz-autoencoder"))
        self.seed = 0
        self.loaded: str | None = None
        self.board = AutoencoderBoard(self.theme)
        self._build_controls()
        self._stack(self.bar, self.board)
        self._connect()

    def _build_controls(self) -> None:
        self.picker = preset_picker(autoencoder_presets(), min_chars=12)
        self.picker.setCurrentIndex(max(0, self.picker.findData(DEFAULT_PRESET)))
        self._key_buttons()
        self.speed = QComboBox()
        for label, steps in SPEEDS:
            self.speed.addItem(label, steps)
        self.speed.setCurrentIndex(1)
        self.speed.setToolTip("Training steps per frame")
        self.bar = QWidget()
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Preset:"))
        row.addWidget(self.picker, 1)
        for b in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(b)
        row.addWidget(QLabel("Speed:"))
        row.addWidget(self.speed)
        row.addWidget(self.status)

    def _connect(self) -> None:
        worker = self.host.worker
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self.message.show_error)
        self.picker.currentIndexChanged.connect(lambda _: self._load_chosen() if self.loaded is not None else None)
        self.speed.currentIndexChanged.connect(lambda _: self.host.set_speed(int(self.speed.currentData())))
        self.board.pointAsked.connect(lambda p: self.host.post(worker.set_point, p))
        self.board.lineAsked.connect(lambda ends: self.host.post(worker.set_line, ends))
        self.board.termsAsked.connect(lambda terms: self.host.post(worker.set_terms, terms))

    # ------------------------------------------------------------------ the run
    def _load_chosen(self) -> None:
        name = self.picker.currentData()
        if name is None:
            self.message.show_error("No preset has a 'code' layer and trains on reconstruction.")
            return
        self.loaded = name
        self.message.clear()
        self.host.post(self.host.worker.configure, name, self.seed, None)

    def _on_frame(self, frame: AutoencoderFrame) -> None:
        self.frame = frame
        self.status.setText(f"step {frame.step:,} / {frame.budget:,}")
        self.board.show_frame(frame)
        if frame.final:
            self._finish_headless()

    # ------------------------------------------------------------------ what the user asks (tests use these too)
    def decode_at(self, x: float, y: float) -> None:
        self.board.plane.click(x, y)

    def walk(self, start: tuple, end: tuple) -> None:
        self.board.plane.drag(start, end, True)

    def choose_terms(self, a: tuple, b: tuple, c: tuple) -> None:
        self.board.termsAsked.emit((a, b, c))

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.board.set_theme(theme)

    def _reload(self) -> None:
        self.host.post(self.host.worker.configure, self.loaded, self.seed, None)

"""TexturePage: the "Textures" tab: a texture synthesised from noise by matching Gram matrices (Gatys et al.).

The controls pick the source texture, the noise seed, ReLU or linear filters (without the non-linearity the
Gram matrices hold only second-order statistics: blotchy noise), the filter sizes (small filters, small
blobs; large ones keep larger structure), and "Side by side": the same filters with the ReLU switched the
other way, from the same noise, beside the main run. Any change starts again from noise. The synthesis runs
in the page's WorkerHost thread (TextureWorker); the board draws its frames.

The page does not follow the studio's network (on_configured does nothing): it brings its own features.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QCheckBox, QComboBox, QSpinBox, QWidget

from ...texture import names
from ..common.self_training import SelfTrainingPage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..common.wrap_bar import group, wrap_bar
from .board import TextureBoard
from .run import SIZE_CHOICES, TextureFrame, TextureOptions
from .worker import TextureWorker

DEFAULT_TEXTURE = "bricks"


class TexturePage(SelfTrainingPage, QWidget):
    TITLE = "Textures"

    def __init__(self, window):
        super().__init__()
        self._set_up(window, WorkerHost(TextureWorker(), "neuralviz-texture"))
        self.board = TextureBoard(self.theme)
        self._build_controls()
        self._stack(self._bar(), self.board)
        self._connect()

    def _build_controls(self) -> None:
        self.picker = QComboBox()
        for name in names():
            self.picker.addItem(name, name)
        self.picker.setCurrentIndex(max(0, self.picker.findData(DEFAULT_TEXTURE)))
        self.seed = QSpinBox()
        self.seed.setRange(0, 9999)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("The noise the synthesis starts from")
        self.relu = QCheckBox("ReLU")
        self.relu.setChecked(True)
        self.relu.setToolTip("Without the non-linearity the Gram matrices only hold second-order statistics")
        self.twin = QCheckBox("Side by side")
        self.twin.setToolTip("Also run the same filters with the ReLU switched the other way, from the same noise")
        self.sizes = QComboBox()
        for label, sizes in SIZE_CHOICES.items():
            self.sizes.addItem(label, sizes)
        self.sizes.setToolTip("Filter sizes: small filters give small blobs, large ones keep larger structure")
        self._key_buttons()

    def _bar(self) -> QWidget:
        """The controls, wrapping onto a second line where the page is narrow (large fonts on 1024 pixels)."""
        return wrap_bar(
            group("Texture:", self.picker),
            group("Seed:", self.seed),
            group("Filters:", self.sizes),
            group(self.relu, self.twin),
            group(self.play_button, self.step_button, self.reset_button, self.status),
        )

    def _connect(self) -> None:
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        for signal in (self.picker.currentIndexChanged, self.seed.valueChanged, self.sizes.currentIndexChanged):
            signal.connect(lambda _: self.reset())
        for box in (self.relu, self.twin):
            box.toggled.connect(lambda _: self.reset())

    # ------------------------------------------------------------------ the run
    def options(self) -> TextureOptions:
        return TextureOptions(
            texture=self.picker.currentData(),
            seed=self.seed.value(),
            relu=self.relu.isChecked(),
            sizes=tuple(self.sizes.currentData()),
            twin=self.twin.isChecked(),
        )

    def _on_frame(self, frame: TextureFrame) -> None:
        self.frame = frame
        self.message.clear()
        self.board.show_frame(frame)
        self.status.setText(f"step {frame.step} / {frame.budget}")
        if frame.final:
            self._finish_headless()

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.board.set_theme(theme)

    def reset(self) -> None:
        """Start again from noise with the options now chosen (paused)."""
        self._configured = True
        self.host.post(self.host.worker.configure, self.options())

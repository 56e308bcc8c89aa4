"""GanImagesPage: the image GAN (the "GAN on images" inner tab of Generative). A DCGAN-style generator learns
to draw 8×8 digits against a convolutional discriminator, trained in the page's WorkerHost thread.

On screen (GanImagesBoard): the grid decodes 64 fixed random codes at every frame, so each tile turns from
noise into a digit as G learns; real digits beside it for comparison; the D and G losses and what D believes;
and, for three picked tiles a, b, c, the walk from a to b and the code sum a − b + c. Play / Step / Reset, the
speed, the walk (slerp or lerp) and "New codes" drive the worker. The page trains its own GAN presets
(on_configured does nothing).
"""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QPushButton, QWidget

from ... import presets
from ...generative.latent import MODES
from ..common.preset_page import preset_picker
from ..common.self_training import SelfTrainingPresetPage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..common.wrap_bar import group, wrap_bar
from .board import GanImagesBoard
from .run import PICK_NAMES, GanImagesFrame
from .worker import GanImagesWorker

DEFAULT_PRESET = "gan-digits"
SPEEDS = (("full speed", 0), ("10 steps/frame", 10), ("1 step/frame", 1))


def is_image_gan(preset: dict) -> bool:
    """A GAN preset whose data are images (a dataset source): the presets this page trains."""
    return preset.get("kind") == "gan" and (preset.get("data") or {}).get("source") == "dataset"


def image_gan_presets() -> list[tuple[str, str]]:
    """(name, title) of the GAN presets on images; one that does not load is left out (it costs its entry)."""
    return presets.titles(is_image_gan, kind="gan")


class GanImagesPage(SelfTrainingPresetPage, QWidget):
    TITLE = "GAN on images"

    def __init__(self, window):
        super().__init__()
        self._set_up(window, WorkerHost(GanImagesWorker(), "neuralviz-gan-images"))
        self.seed = 0
        self.loaded: str | None = None
        self.next_slot = 0  # which of a, b, c the next click sets
        self.board = GanImagesBoard(self.theme)
        self._build_controls()
        self._stack(self.bar, self.board)
        self._connect()
        self.board.show_next_pick(self.next_slot)

    def _build_controls(self) -> None:
        self.picker = preset_picker(image_gan_presets(), min_chars=12)
        self.picker.setCurrentIndex(max(0, self.picker.findData(DEFAULT_PRESET)))
        self._key_buttons()
        self.speed = QComboBox()
        for label, steps in SPEEDS:
            self.speed.addItem(label, steps)
        self.speed.setToolTip("Generator + discriminator steps between two frames (1: slow motion)")
        self.walk = QComboBox()
        for mode in MODES:
            self.walk.addItem(mode, mode)
        self.walk.setToolTip(
            "How the strip goes from a to b: slerp along the sphere where the codes live, lerp on the straight line"
        )
        self.codes_button = QPushButton("New codes")
        self.codes_button.setToolTip("Draw another 64 random codes for the grid")
        self.bar = wrap_bar(
            group("Preset:", self.picker),
            group(self.play_button, self.step_button, self.reset_button),
            group("Speed:", self.speed),
            group("Walk:", self.walk),
            group(self.codes_button, self.status),
        )

    def _connect(self) -> None:
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        self.picker.currentIndexChanged.connect(lambda _: self._load_chosen() if self.loaded is not None else None)
        self.speed.currentIndexChanged.connect(lambda _: self.host.set_speed(self.speed.currentData()))
        worker = self.host.worker
        self.walk.currentIndexChanged.connect(lambda _: self.host.post(worker.set_walk, self.walk.currentData()))
        self.codes_button.clicked.connect(lambda: self.host.post(worker.new_codes))
        self.board.picked.connect(self.pick)
        self.host.set_speed(self.speed.currentData())

    # ------------------------------------------------------------------ the run
    def _load_chosen(self) -> None:
        name = self.picker.currentData()
        if name is None:
            self.message.show_error("No GAN preset on images (kind 'gan' with a dataset source) to train.")
            return
        self.loaded = name
        self.message.clear()
        self.host.post(self.host.worker.configure, name, self.seed)

    def pick(self, tile: int) -> None:
        """The clicked tile becomes the next of a, b, c (a again after c)."""
        self.host.post(self.host.worker.pick, int(tile), self.next_slot)
        self.next_slot = (self.next_slot + 1) % len(PICK_NAMES)
        self.board.show_next_pick(self.next_slot)

    def _on_failed(self, text: str) -> None:
        self.message.show_error(text)
        if self.frame is None:  # nothing will train: a scripted run must not hang
            self._finish_headless()

    def _on_frame(self, frame: GanImagesFrame) -> None:
        self.frame = frame
        self.board.show_frame(frame)
        self.status.setText(f"step {frame.step:,} / {frame.budget:,}")
        if frame.final:
            self._finish_headless()

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.board.set_theme(theme)
        self.board.show_next_pick(self.next_slot)

    def _reload(self) -> None:
        """The preset loaded, from fresh weights (the picks stay: the same tiles, a new generator)."""
        self.host.post(self.host.worker.configure, self.loaded, self.seed)

"""GanImagesView: the lecture's image GAN scene (topic 13, after the 2-D GAN view): the grid of 64 fixed codes
turning from noise into digits as the two nets play, real digits beside them, then a walk from a to b and
a − b + c on picked tiles (click the grid to pick).

It trains the scene's GAN preset in a WorkerHost thread (GanImagesWorker) and stops at the scene's step
budget. scene.options (all optional): {"seed": 0, "speed": 0 (steps a frame; 0: full speed)}.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..lecture.fonts import font
from ..lecture.scene_view import HostedSceneView
from .board import GanImagesBoard
from .run import PICK_NAMES, GanImagesFrame
from .worker import GanImagesWorker

__all__ = ["GanImagesView"]

OPTIONS = {"seed": 0, "speed": 0}


def read_options(options: dict) -> dict:
    """The scene's options with their defaults; ValueError naming a bad one."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"gan_images view: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
    out = dict(OPTIONS, **options)
    for key, value in out.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"gan_images view: option {key!r} must be an integer >= 0, got {value!r:.40}")
    return out


class GanImagesView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.options = read_options(scene.options or {})
        if scene.preset is None:
            raise ValueError("gan_images view: the scene needs a GAN preset on images (e.g. 'gan-digits')")
        self.frame: GanImagesFrame | None = None
        self.next_slot = 0
        self.board = GanImagesBoard(theme)
        self.caption = QLabel(
            "The generator turns random codes into images; the discriminator tells them from real digits. "
            "Neither is told what a digit is."
        )
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.caption)
        lay.addWidget(self.board, 1)
        self._train_in(WorkerHost(GanImagesWorker(speed=self.options["speed"]), "neuralviz-gan-images-scene"))
        self.board.picked.connect(self.pick)
        self.host.post(self.host.worker.set_stop, int(scene.stop.steps))
        self._configure()
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        self.caption.setFont(font(theme.font_pt + 2))
        self.board.set_theme(theme)
        self.board.show_next_pick(self.next_slot)

    # ------------------------------------------------------------------ frames
    def _configure(self) -> None:
        self.host.post(self.host.worker.configure, self.scene.preset, self.options["seed"])

    def pick(self, tile: int) -> None:
        """The clicked tile becomes the next of a, b, c (a again after c)."""
        self.host.post(self.host.worker.pick, int(tile), self.next_slot)
        self.next_slot = (self.next_slot + 1) % len(PICK_NAMES)
        self.board.show_next_pick(self.next_slot)

    def _on_failed(self, text: str) -> None:
        self._show_failure(self.caption, text)

    # ------------------------------------------------------------------ SceneView
    def status(self) -> str:
        f = self.frame
        return self._footer(*([f"D(real) {f.d_real:.2f}", f"D(fake) {f.d_fake:.2f}"] if f is not None else []))

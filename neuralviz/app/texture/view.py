"""TextureView: the lecture's texture scene (topic 9, the feature factory): a texture forming from noise.

The same board as the Textures page (board.py): the source, the image forming, the Gram loss over its start
and the Gram matrices of source and image side by side. The synthesis runs in a WorkerHost thread
(TextureWorker), one L-BFGS step per frame while playing, and stops by the scene's rule; a step is one
L-BFGS iteration.

scene.options (all optional): {"texture": "bricks", "seed": 0, "relu": true, "sizes": [3, 5, 7, 11, 15]}.
The stop rule's loss is the Gram loss over its start (so "loss_below": 0.1 stops once it fell by 90%).
"""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..lecture.fonts import font
from ..lecture.scene_view import HostedSceneView
from .board import TextureBoard
from .run import TextureFrame, read_options
from .worker import TextureWorker

__all__ = ["TextureView"]

TASK = (
    "Only the pixels change: L-BFGS moves them until the image's Gram matrices (of fixed random filters) "
    "match the source's. The texture comes back; where things were does not."
)


class TextureView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.options = read_options(scene.options or {}, budget=scene.stop.steps)
        self.frame: TextureFrame | None = None
        self.task = QLabel(TASK)
        self.task.setWordWrap(True)
        self.board = TextureBoard(theme)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.task)
        lay.addWidget(self.board, 1)
        self._train_in(WorkerHost(TextureWorker(), "neuralviz-texture-scene"))
        self._configure()
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        self.task.setFont(font(theme.font_pt + 1))
        self.board.set_theme(theme)

    # ------------------------------------------------------------------ frames
    def _configure(self) -> None:
        self.host.post(self.host.worker.configure, self.options)

    def _on_failed(self, text: str) -> None:
        self._show_failure(self.task, text)

    # ------------------------------------------------------------------ SceneView
    def current_loss(self) -> float | None:
        """The Gram loss over its start (1 at step 0)."""
        return self.frame.relative if self.frame is not None else None

    def status(self) -> str:
        return self._footer(loss=self.current_loss(), word="L-BFGS step")

    def frame_widget(self):
        return self.board

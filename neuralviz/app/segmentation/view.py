"""SegmentationView: the lecture's RNN-as-PDE scene (topic 18): a coarse class map refined iteration by iteration.

The same board as the Segmentation page (board.py): the image, the coarse CNN's map, the refined map after
iteration k with its slider and animation, a class's fuzzy score through the iterations, the ground truth, the
coarse-vs-refined readouts and the learned update's filters. The scene's preset (rnn-pde) races its "coarse" and
"refined" runs in a WorkerHost thread (SegmentationWorker) and stops by the scene's rule; a step trains both
runs on one batch. The rule's loss is the refined run's last training loss.

scene.options (all optional): {"seed": 0, "image": 0 (the test image shown first, counted from 0),
"speed": steps per frame while playing}.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..lecture.fonts import font
from ..lecture.scene_view import HostedSceneView
from .board import SegmentationBoard
from .run import PRESET, SegmentationFrame
from .worker import SPEED, SegmentationWorker

__all__ = ["SegmentationView"]

OPTIONS = {"seed": 0, "image": 0, "speed": SPEED}
TASK = (
    "Coarse: a CNN that pools, predicts at low resolution and upsamples (blocky maps). Refined: the same CNN plus "
    "one learned update u ← u + Δt·f(u, image), applied K times with the same weights: an RNN. Slide k."
)


def read_options(options: dict) -> dict:
    """The scene's options with their defaults; ValueError naming a bad one."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"segmentation view: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
    out = dict(OPTIONS, **options)
    for key, low in (("seed", 0), ("image", 0), ("speed", 1)):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"segmentation view: option {key!r} must be an integer >= {low}, got {value!r:.40}")
    return out


class SegmentationView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.options = read_options(scene.options or {})
        self.frame: SegmentationFrame | None = None
        self.task = QLabel(TASK)
        self.task.setWordWrap(True)
        self.board = SegmentationBoard(theme)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.task)
        lay.addWidget(self.board, 1)
        self._train_in(WorkerHost(SegmentationWorker(), "neuralviz-segmentation-scene"))
        self.board.exampleChosen.connect(lambda i: self.host.post(self.host.worker.show_example, int(i)))
        self.board.painted.connect(lambda points, c: self.host.post(self.host.worker.paint, points, int(c)))
        self.host.set_speed(self.options["speed"])
        self._configure()
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        self.task.setFont(font(theme.font_pt + 1))
        self.board.set_theme(theme)

    # ------------------------------------------------------------------ frames
    def _configure(self) -> None:
        worker = self.host.worker
        preset = self.scene.preset if self.scene.preset is not None else PRESET
        self.host.post(worker.configure, preset, self.options["seed"], int(self.scene.stop.steps))
        self.host.post(worker.show_example, self.options["image"])

    def _on_failed(self, text: str) -> None:
        self._show_failure(self.task, text)

    # ------------------------------------------------------------------ SceneView
    def reset(self) -> None:
        self.board.stop_animation()
        super().reset()

    def current_loss(self) -> float | None:
        return self.frame.losses.get("refined") if self.frame is not None else None

    def status(self) -> str:
        return self._footer(loss=self.current_loss())

    def frame_widget(self):
        return self.board

    def shutdown(self) -> None:
        self.board.stop_animation()
        super().shutdown()

"""AutoencoderView: the lecture's auto-encoder scene (topic 12, "a learned code space can be walked and added").

The page's board (board.py) for the scene's preset, trained in the view's own WorkerHost thread up to the
scene's step budget (the worker stops there with a final frame; Play does not start again once the stop rule
is reached, R resets). The room sees the digits spread over the code plane as the net learns, and the lecturer
clicks, drags and Shift+clicks on it as on the page.

scene.options (all optional): {"seed": 0, "speed": steps per frame (default 10: the digits preset's 6,900
steps in about half a minute)}.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..lecture.fonts import font
from ..lecture.scene_view import HostedSceneView
from .board import AutoencoderBoard
from .run import AutoencoderFrame
from .worker import SPEED, AutoencoderWorker

__all__ = ["AutoencoderView"]

OPTIONS = {"seed": 0, "speed": SPEED}


def read_options(options: dict) -> dict:
    """The scene's options with their defaults; ValueError naming a bad one."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"autoencoder view: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
    out = dict(OPTIONS, **options)
    for key in OPTIONS:
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"autoencoder view: option {key!r} must be an integer >= 0, got {value!r:.40}")
    return out


class AutoencoderView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.options = read_options(scene.options or {})
        if scene.preset is None:
            raise ValueError("autoencoder view: the scene needs a preset with a 'code' layer (e.g. 'autoencoder')")
        self.frame: AutoencoderFrame | None = None
        self.board = AutoencoderBoard(theme)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(self.note)
        lay.addWidget(self.board, 1)
        self._train_in(WorkerHost(AutoencoderWorker(), "neuralviz-autoencoder-scene"))
        self.host.set_speed(self.options["speed"])
        worker = self.host.worker
        self.board.pointAsked.connect(lambda p: self.host.post(worker.set_point, p))
        self.board.lineAsked.connect(lambda ends: self.host.post(worker.set_line, ends))
        self.board.termsAsked.connect(lambda terms: self.host.post(worker.set_terms, terms))
        self._configure()
        self.set_theme(theme)

    def _configure(self) -> None:
        preset = self.scene.preset_name or self.scene.preset
        self.host.post(self.host.worker.configure, preset, self.options["seed"], int(self.scene.stop.steps))

    def _on_failed(self, text: str) -> None:
        self._show_failure(self.note, text)

    # ------------------------------------------------------------------ SceneView
    def reset(self) -> None:
        self.error = ""
        self.note.hide()
        super().reset()

    def current_loss(self) -> float | None:
        """The test MSE (the stop rule's `loss_below` reads it)."""
        return self.frame.test_loss if self.frame is not None else None

    def status(self) -> str:
        loss = self.current_loss()
        said = [f"test MSE {loss:.3f} (mean image {self.frame.baseline:.3f})"] if loss is not None else []
        return self._footer(*said, loss=loss)

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        if self.error:
            done()
            return
        super().run_headless(steps, done)

    def set_theme(self, theme: Theme) -> None:
        HostedSceneView.set_theme(self, theme)
        self.board.set_theme(theme)
        self.note.setFont(font(theme.font_pt + 1))

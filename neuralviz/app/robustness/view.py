"""RobustnessView: one robustness panel as a lecture scene (view name "robustness").

scene.options: {"panel": "compression" | "noise" | "adversarial" | "structure"} plus any of that panel's
settings, which set its controls before the run starts (compression: fraction; noise: noise, dropout,
stochastic; adversarial: eps, example, adversarial_training; structure: strength). The panel's own controls
stay live, so the lecturer can move the slider in front of the room. The run trains in the view's WorkerHost
thread (worker.py) and pauses at the scene's step budget or at the end of its own training, whichever is first.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..lecture.scene_view import HostedSceneView
from .panel_set import PANEL_CLASSES
from .plots import style_readouts
from .worker import RobustnessWorker


def read_options(options: dict) -> tuple[str, dict]:
    """(panel, its settings) from a scene's options; ValueError naming a missing or unknown panel."""
    panel = options.get("panel")
    if panel not in PANEL_CLASSES:
        raise ValueError(f"robustness view: options need 'panel', one of {', '.join(PANEL_CLASSES)}; got {panel!r:.40}")
    return panel, {k: v for k, v in options.items() if k != "panel"}


class RobustnessView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.panel_name, settings = read_options(scene.options or {})
        self.frame = None
        self.error = ""
        self._headless: Callable[[], None] | None = None
        self.panel = PANEL_CLASSES[self.panel_name](theme)
        self.panel.apply(settings)  # before the host exists: a bad option raises with no thread to stop
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.problem)
        lay.addWidget(self.panel, 1)
        self.host = WorkerHost(RobustnessWorker(), "neuralviz-robustness-scene")
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        self.panel.changed.connect(lambda name, value: self.host.post(self.host.worker.command, name, value))
        self._configure()
        self.set_theme(theme)

    def _configure(self) -> None:
        self.host.post(self.host.worker.configure, self.panel_name, 0, None)
        for name, value in self.panel.settings():
            self.host.post(self.host.worker.command, name, value)

    def _on_failed(self, text: str) -> None:
        self.error = text
        self.problem.setText(f"Cannot run: {text}")
        self.problem.show()
        if self._headless is not None:  # nothing will train: a scripted run must not wait for ever
            done, self._headless = self._headless, None
            done()

    def _on_frame(self, frame) -> None:
        self.frame = frame
        if self.scene.stop.reached(frame.step) and self.host.playing:
            self.host.pause()
        self.panel.show_frame(frame)
        if frame.final and self._headless is not None:
            done, self._headless = self._headless, None
            done()

    # ------------------------------------------------------------------ SceneView
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        self.panel.set_theme(theme)
        style_readouts(theme, self.problem)

    def reset(self) -> None:
        self.pause()
        self.frame = None
        self.error = ""
        self.problem.hide()
        self._configure()

    def current_step(self) -> int:
        return self.frame.step if self.frame is not None else 0

    def status(self) -> str:
        step = self.current_step()
        said = f"step {step:,}/{self.scene.stop.steps:,}"
        return " · ".join(x for x in (said, self.scene.stop.reason(step), self.error) if x)

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self._headless = done
        budget = max(0, min(int(steps), self.scene.stop.steps - self.current_step()))
        self.host.train_for(budget)

    def shutdown(self) -> None:
        self.host.shutdown()

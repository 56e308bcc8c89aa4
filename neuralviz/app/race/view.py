"""RaceView: a lecture scene's race (SceneView), e.g. shallow vs deep at equal parameters, plain vs residual.

Built RaceView(scene, theme): the scene's preset must have "runs"; scene.options may ask for
"gradient_bars": true (‖∂L/∂W‖ per layer per run) and "jacobian": true (‖∂f/∂x‖ per run), and "seed".
It pauses itself when scene.stop.reached(step, loss), loss being the lowest current training loss of the runs
(board.py). All of it is the RaceBoard the window's RacePage shows too.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from ..lecture.scene_view import SceneView
from .board import RaceBoard


class RaceView(QWidget, SceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        QWidget.__init__(self, parent)
        SceneView.__init__(self, scene, theme)
        preset = scene.preset
        if not isinstance(preset, dict) or not preset.get("runs"):
            name = preset.get("name") if isinstance(preset, dict) else None
            raise ValueError(
                f"scene {scene.name!r}: the race view needs a preset with 'runs' (got {name or preset!r:.60})"
            )
        self.board = RaceBoard(theme, show_status=False)  # the presenter's footer shows status()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.board)
        options = dict(scene.options or {})
        self.board.load(preset, scene.stop, options, seed=int(options.get("seed", 0)))

    # ------------------------------------------------------------------ presenter keys
    def toggle_play(self) -> None:
        self.board.toggle_play()

    def is_playing(self) -> bool:
        return self.board.playing

    def pause(self) -> None:
        self.board.pause()

    def reset(self) -> None:
        self.board.reset()

    # ------------------------------------------------------------------ state
    def current_step(self) -> int:
        return self.board.current_step()

    def current_loss(self) -> float | None:
        return self.board.current_loss()

    def status(self) -> str:
        return self.board.status()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self.board.run_headless(steps, done)

    # ------------------------------------------------------------------ look and lifetime
    def set_theme(self, theme: Theme) -> None:
        SceneView.set_theme(self, theme)
        self.board.set_theme(theme)

    def shutdown(self) -> None:
        self.board.shutdown()

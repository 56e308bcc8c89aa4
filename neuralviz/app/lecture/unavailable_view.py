"""UnavailableView: what the scene area shows when a scene's view could not be built (the reason, readable
from the back of the room), so the presenter keeps going."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QSizePolicy

from ...lecture.scene import Scene
from ..common.theme import Theme
from .scene_view import SceneView


class UnavailableView(QLabel, SceneView):
    def __init__(self, scene: Scene, theme: Theme, message: str):
        QLabel.__init__(self, message)
        SceneView.__init__(self, scene, theme)
        self.message = message
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"color: {theme.muted_text}; font-size: {theme.font_pt * 1.4:.1f}pt; padding: 24px;")

    def status(self) -> str:
        return self.message.splitlines()[0][:120]

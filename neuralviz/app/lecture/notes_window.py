"""NotesWindow: the lecturer's screen beside the projector: this scene's speaker notes and takeaway, the
next scene's title, the clock and the time elapsed (the whole talk and this scene)."""

from __future__ import annotations

import html
import time

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme


def _clock(seconds: float) -> str:
    s = int(max(0, seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class NotesWindow(QWidget):
    def __init__(self, theme: Theme):
        super().__init__()
        self.setWindowTitle("neuralviz lecture — speaker notes")
        self.theme = theme
        self.started = time.monotonic()
        self.scene_started = self.started
        self.header, self.title, self.takeaway = QLabel(), QLabel(), QLabel()
        self.notes, self.next, self.clock = QLabel(), QLabel(), QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.setSpacing(10)
        for label in (self.header, self.title, self.takeaway, self.notes):
            label.setWordWrap(True)
            lay.addWidget(label)
        lay.addStretch(1)
        self.next.setWordWrap(True)
        lay.addWidget(self.next)
        lay.addWidget(self.clock)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        self._timer.start(1000)
        self.set_theme(theme)
        self.resize(760, 560)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        pt = theme.font_pt
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        self.header.setStyleSheet(f"color: {theme.muted_text}; font-size: {pt:.1f}pt;")
        self.title.setStyleSheet(f"font-size: {pt * 1.5:.1f}pt; font-weight: bold;")
        self.takeaway.setStyleSheet(f"font-size: {pt * 1.15:.1f}pt; font-style: italic;")
        self.notes.setStyleSheet(f"font-size: {pt * 1.3:.1f}pt;")
        self.next.setStyleSheet(f"color: {theme.muted_text}; font-size: {pt * 1.1:.1f}pt;")
        self.clock.setStyleSheet(f"font-size: {pt * 1.6:.1f}pt; font-weight: bold;")

    def show_scene(self, scenes: list[Scene], index: int) -> None:
        s = scenes[index]
        self.scene_started = time.monotonic()
        self.header.setText(f"scene {s.number}/{len(scenes)} · topic {s.topic} · {s.name} · view {s.view}")
        self.title.setText(s.title)
        self.takeaway.setText(f"Takeaway: {s.takeaway}")
        items = "".join(f"<li style='margin-bottom:6px'>{html.escape(n)}</li>" for n in s.notes)
        self.notes.setText(f"<ul style='margin-left:-20px'>{items}</ul>")
        after = scenes[index + 1].title if index + 1 < len(scenes) else "(end of the talk)"
        self.next.setText(f"Next: {after}")
        self.tick()

    def tick(self) -> None:
        now = time.monotonic()
        talk, scene = _clock(now - self.started), _clock(now - self.scene_started)
        self.clock.setText(f"{time.strftime('%H:%M')}   ·   talk {talk}   ·   scene {scene}")

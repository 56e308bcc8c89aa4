"""PresenterWindow: the talk, one scene at a time, made for a projector.

    +---------------------------------------------------------------+
    | Large title                                                   |
    | the one-line takeaway                                         |
    | +-----------------------------------------------------------+ |
    | |                  the scene's view (all the rest)           | |
    | +-----------------------------------------------------------+ |
    | 7/13 · topic 7 · depth        step 1,200 · loss 0.21   ● Rec   |
    +---------------------------------------------------------------+

The chrome is three short lines, so the view gets the room; nothing in the presenter has a minimum size
beyond a 1024 x 768 screen (views are given no minimum of their own here: they lay themselves out in what
they get). Views are built on demand by name (views.py); one that fails shows why in the scene area.
Keys: keys.py. Training stays in each view's worker thread; the presenter only calls the SceneView methods.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from PyQt6.QtCore import QPoint, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QCursor
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ...lecture.recording import RecordingError
from ...lecture.scene import Scene
from ..common.elided_label import ElidedLabel
from ..common.theme import Theme, make_theme
from .keys import PresenterKeys
from .notes_window import NotesWindow
from .overlays import BlankOverlay, Spotlight, item_under
from .record_control import SceneRecorder
from .views import build_view

FOOTER_MS = 250  # footer refresh (the view's status line)
CHROME_PT_MAX = 11.5  # title = 2x, takeaway = 1.25x this at most: about 1.15x the normal look
RECORD_DIR = Path.home()


class PresenterWindow(QWidget):
    sceneChanged = pyqtSignal(int)  # the index now shown

    def __init__(self, scenes: list[Scene], theme: Theme | None = None, start: int = 0, notes: bool = False):
        super().__init__()
        if not scenes:
            raise ValueError("the presenter needs at least one scene")
        self.scenes = scenes
        self.theme = theme or make_theme()
        self.index = -1
        self.view = None
        self.notes = NotesWindow(self.theme)
        self.message = ""  # a passing message in the footer (recording saved, an error)
        self._message_until = 0.0
        self.setWindowTitle("neuralviz lecture")
        self._build()
        self.blank = BlankOverlay(self)
        self.blank.dismissed.connect(self.toggle_blank)
        self.spotlight = Spotlight(self)
        self.spotlight.dismissed.connect(self.spotlight.close_item)
        self.recorder = SceneRecorder(lambda: self.view.frame_widget() if self.view is not None else None, self)
        self.recorder.changed.connect(self._show_recording)
        self.recorder.saved.connect(lambda path: self.say(f"recording saved: {path}"))
        self.recorder.failed.connect(self.say)
        self.keys = PresenterKeys(self)
        self._footer_timer = QTimer(self)
        self._footer_timer.timeout.connect(self.refresh_footer)
        self._footer_timer.start(FOOTER_MS)
        self.set_theme(self.theme)
        self.resize(1280, 720)
        self.go(max(0, min(int(start), len(scenes) - 1)))
        if notes:
            self.notes.show()

    # ================================================================== layout
    def _build(self) -> None:
        self.title = QLabel()
        self.takeaway = QLabel()
        for label in (self.title, self.takeaway):
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.area = QWidget()
        self.area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.area_layout = QVBoxLayout(self.area)
        self.area_layout.setContentsMargins(0, 0, 0, 0)
        self.position = QLabel()
        self.status = ElidedLabel()
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.record_button = QPushButton("● Rec")
        self.record_button.setToolTip("Record the scene's view to a GIF (Ctrl+R)")
        self.record_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record_button.clicked.connect(self.toggle_recording)
        footer = QHBoxLayout()
        footer.setSpacing(12)
        footer.addWidget(self.position)
        footer.addWidget(self.status, 1)
        footer.addWidget(self.record_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 8, 16, 4)
        lay.setSpacing(4)
        lay.addWidget(self.title)
        lay.addWidget(self.takeaway)
        lay.addWidget(self.area, 1)
        lay.addLayout(footer)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def set_theme(self, theme: Theme) -> None:
        """Large fonts enlarge the title and takeaway only a little (they are already large): the room they
        would take is the picture's, and the picture is what large fonts are for."""
        self.theme = theme
        pt = min(theme.font_pt, CHROME_PT_MAX)
        self.setStyleSheet(f"PresenterWindow {{ background: {theme.background}; }}")
        self.title.setStyleSheet(f"color: {theme.text}; font-size: {pt * 2.0:.1f}pt; font-weight: bold;")
        self.takeaway.setStyleSheet(f"color: {theme.text}; font-size: {pt * 1.25:.1f}pt;")
        for label in (self.position, self.status):
            label.setStyleSheet(f"color: {theme.muted_text}; font-size: {theme.font_pt:.1f}pt;")
        self.notes.set_theme(theme)
        if self.view is not None:
            self.view.set_theme(theme)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.blank.setGeometry(self.rect())
        if self.spotlight.isVisible():
            self.spotlight.setGeometry(self.area.geometry())

    # ================================================================== scenes
    @property
    def scene(self) -> Scene:
        return self.scenes[self.index]

    def go(self, index: int) -> None:
        """Show scene `index` (0-based): the previous view is paused and closed, the new one starts paused."""
        index = max(0, min(int(index), len(self.scenes) - 1))
        if index == self.index and self.view is not None:
            return
        self.spotlight.close_item()
        self._close_view()
        self.index = index
        s = self.scene
        self.title.setText(s.title)
        self.takeaway.setText(s.takeaway)
        self.view = build_view(s, self.theme)
        self.view.setMinimumSize(1, 1)  # the view lays itself out in the room it gets; the window must fit
        self.area_layout.addWidget(self.view)
        self.notes.show_scene(self.scenes, index)
        self.refresh_footer()
        self.setFocus()
        self.sceneChanged.emit(index)

    def _close_view(self) -> None:
        view, self.view = self.view, None
        if view is None:
            return
        for step in (view.pause, view.shutdown):
            try:
                step()
            except Exception:  # noqa: BLE001 - a view's bug must not keep the next scene from showing
                traceback.print_exc()
        self.area_layout.removeWidget(view)
        view.hide()
        view.deleteLater()

    def next_scene(self) -> None:
        self.go(self.index + 1)

    def previous_scene(self) -> None:
        self.go(self.index - 1)

    def first_scene(self) -> None:
        self.go(0)

    def last_scene(self) -> None:
        self.go(len(self.scenes) - 1)

    # ================================================================== the scene's keys
    def toggle_play(self) -> None:
        self.view.toggle_play()
        self.refresh_footer()

    def reset_scene(self) -> None:
        self.view.reset()
        self.refresh_footer()

    # ================================================================== screen
    def is_blank(self) -> bool:
        return self.blank.isVisible()

    def toggle_blank(self) -> None:
        if self.is_blank():
            self.blank.hide()
            self.setFocus()
        else:
            self.blank.setGeometry(self.rect())
            self.blank.show()
            self.blank.raise_()
            self.blank.setFocus()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def toggle_spotlight(self, global_pos: QPoint | None = None) -> None:
        """Zoom on the item under the mouse (or under `global_pos`); again to go back."""
        if self.spotlight.isVisible():
            self.spotlight.close_item()
            return
        target = item_under(self.area, global_pos if global_pos is not None else QCursor.pos())
        if target is self.area and self.view is not None:
            target = self.view.frame_widget()
        self.spotlight.show_item(target, self.area.geometry())

    def escape(self) -> None:
        if self.spotlight.isVisible():
            self.spotlight.close_item()
        elif self.isFullScreen():
            self.showNormal()

    def toggle_large_fonts(self) -> None:
        """The whole talk in large fonts (or back): the application font and every view's theme."""
        from PyQt6.QtWidgets import QApplication

        theme = make_theme(not self.theme.large_fonts, self.theme.high_contrast)
        font = QApplication.font()
        font.setPointSizeF(theme.font_pt)
        QApplication.setFont(font)
        self.set_theme(theme)
        self.say("large fonts" if theme.large_fonts else "normal fonts", seconds=3)

    def toggle_notes(self) -> None:
        self.notes.setVisible(not self.notes.isVisible())

    # ================================================================== recording
    def toggle_recording(self, path: str | Path | None = None, fps: float | None = None) -> bool:
        """Start recording the view (to `path`, default ~/neuralviz-<scene>-<time>.gif) or stop and save.
        False (and the reason in the footer) when it cannot start."""
        if self.recorder.recording:
            self.recorder.stop()
            self.say("saving the recording…")
            return True
        if path is None or isinstance(path, bool):  # a button's clicked(bool)
            path = RECORD_DIR / f"neuralviz-{self.scene.name}-{time.strftime('%Y%m%d-%H%M%S')}.gif"
        try:
            self.recorder.start(path, *(() if fps is None else (fps,)))
        except (RecordingError, RuntimeError, ValueError) as err:
            self.say(str(err))
            return False
        self.say(f"recording to {path} (Ctrl+R to stop)")
        return True

    def _show_recording(self, on: bool) -> None:
        self.record_button.setText("■ Stop" if on else "● Rec")
        self.record_button.setStyleSheet("color: #c0392b; font-weight: bold;" if on else "")

    # ================================================================== footer
    def say(self, message: str, seconds: float = 8.0) -> None:
        self.message = message
        self._message_until = time.monotonic() + seconds
        self.refresh_footer()

    def refresh_footer(self) -> None:
        if self.index < 0 or self.view is None:
            return
        s = self.scene
        self.position.setText(f"{s.number}/{len(self.scenes)} · topic {s.topic} · {s.name}")
        try:
            playing = self._enforce_stop()
            state = self.view.status()
        except Exception as err:  # noqa: BLE001 - a view's bug must not stop the footer
            state, playing = f"status unavailable: {err}", False
        parts = [p for p in (("playing" if playing else ""), state) if p]
        if self.message and time.monotonic() < self._message_until:
            parts.insert(0, self.message)  # first: a passing message is what the lecturer must read
        self.status.setText("  ·  ".join(parts))

    def _enforce_stop(self) -> bool:
        """Whether the view plays on. A safety net under the views' own stopping rule: a view seen playing
        past its scene's rule is paused here, so nothing runs away while the lecturer talks."""
        if not self.view.is_playing():
            return False
        if self.scene.stop.reached(self.view.current_step(), self.view.current_loss()):
            self.view.pause()
            return self.view.is_playing()
        return True

    # ================================================================== closing
    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the view's worker, finish a recording, close the notes (idempotent)."""
        self._footer_timer.stop()
        if self.recorder.recording:
            self.recorder.stop()
        self.recorder.wait(60)
        self._close_view()
        self.keys.remove()
        self.notes.close()

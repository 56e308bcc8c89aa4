"""AppView: the studio's own pages (studio, feature maps, plain vs natural) as a scene of the talk.

It embeds a MainWindow opened on the scene's preset, with its menus, status bar and tab bar hidden and its
keyboard shortcuts switched off (the presenter's keys rule), and shows the page the scene asks for. The
page trains in its own WorkerHost thread as it does in the studio; this adapter only watches its frames
and pauses it when the scene's stopping rule is reached.

Which page trains: "studio" and "featuremaps" show what the studio's worker trains; "comparison" runs its
own lockstep race (its loss, for `loss_below`, is the best run's).

Script actions (scene "script": [{"at": step, "do": action}], done once each when the shown step reaches
`at`, again after a reset): "pause" (a stop mid-scene: Space goes on), "show_test_points" (the studio's
held-out points appear on the output map), "edges_delta" (the diagram's edges show Δw of the last step).
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence, QShortcut
from PyQt6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from .scene_view import SceneView

PAGE_CLASS = {"featuremaps": "FeatureMapPage", "comparison": "ComparisonPage"}


class AppView(QWidget, SceneView):
    def __init__(self, scene: Scene, theme: Theme):
        QWidget.__init__(self)
        SceneView.__init__(self, scene, theme)
        if not scene.preset_name:
            raise ValueError(f"the {scene.view!r} view needs a named preset (assets/presets), scene {scene.name!r}")
        from ..main_window import MainWindow
        from ..settings import StudioSettings

        self.window = MainWindow(StudioSettings.from_preset(scene.preset_name), theme)
        self._embed(self.window)
        self.page = self._show_page(scene.view)
        self.host = self.page.host if scene.view == "comparison" else self.window.studio.host
        self.host.frameReady.connect(self._on_frame)
        self._script_done: set[int] = set()
        self._script_note = ""

    # ------------------------------------------------------------------ embedding
    def _embed(self, w) -> None:
        """The window as a plain child: no menus, no status bar, no tabs, no shortcuts of its own, and no
        minimum size of its own (the presenter must fit a 1024 x 768 projector)."""
        w.setWindowFlags(Qt.WindowType.Widget)
        w.menuBar().hide()
        w.statusBar().hide()
        w.tabs.tabBar().hide()
        for shortcut in w.findChildren(QShortcut):
            shortcut.setEnabled(False)
        for action in w.findChildren(QAction):
            action.setShortcut(QKeySequence())
        w.setMinimumSize(1, 1)
        w.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(w)

    def _show_page(self, view: str):
        w = self.window
        if view == "studio":
            w.show_studio()
            return w.studio
        wanted = PAGE_CLASS[view]
        for page in w.pages.values():
            if type(page).__name__ == wanted:
                w.tabs.setCurrentWidget(page)
                return page
        raise RuntimeError(f"the {view!r} page is not part of this build (or could not be opened)")

    # ------------------------------------------------------------------ stopping rule
    def _on_frame(self, frame) -> None:
        step, loss = self.current_step(), self.current_loss()
        self._run_script(step)
        if self.scene.stop.reached(step, loss):
            if self.host.playing:
                self.host.pause()

    def _run_script(self, step: int) -> None:
        for i, item in enumerate(self.scene.script):
            if i not in self._script_done and step >= item["at"]:
                self._script_done.add(i)
                self._do(item["do"])

    def _do(self, action: str) -> None:
        w = self.window
        if action == "pause":
            self.pause()
        elif action == "show_test_points":
            w.data_panel.show_test.setChecked(True)
        elif action == "edges_delta" and hasattr(w.network_panel, "edges"):
            w.network_panel.edges.setChecked(True)
        else:
            self._script_note = f"script: {action!r} is not an action of the {self.scene.view} view"

    def _latest(self):
        return self.page.latest if self.scene.view == "comparison" else self.window.latest

    def current_step(self) -> int:
        latest = self._latest()
        return int(latest.step) if latest is not None else 0

    def current_loss(self) -> float | None:
        latest = self._latest()
        if latest is None:
            return None
        if self.scene.view == "comparison":
            losses = [float(r.loss[-1]) for r in latest.runs if len(r.loss)]
            return min(losses) if losses else None
        loss = latest.metrics.get("train_loss")
        return None if loss is None else float(loss)

    # ------------------------------------------------------------------ presenter keys
    def toggle_play(self) -> None:
        if self.host.playing:
            self.host.pause()
        elif not self.scene.stop.reached(self.current_step(), self.current_loss()):
            self.host.play()

    def is_playing(self) -> bool:
        return bool(self.host.playing)

    def pause(self) -> None:
        if self.host.playing:
            self.host.pause()

    def reset(self) -> None:
        self.pause()
        self._script_done.clear()
        if self.scene.view == "comparison":
            self.page.restart()
        else:
            self.window.reset()

    def status(self) -> str:
        step, loss = self.current_step(), self.current_loss()
        said = f"step {step:,d}/{self.scene.stop.steps:,d}"
        if loss is not None:
            said += f" · loss {loss:.3g}"
        reason = self.scene.stop.reason(step, loss)
        return " · ".join(x for x in (said, reason, self._script_note) if x)

    # ------------------------------------------------------------------ headless, look, lifetime
    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """The page's own scripted run, bounded by the scene's step budget."""
        budget = max(0, min(int(steps), self.scene.stop.steps - self.current_step()))
        self.page.run_headless(budget, done)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.window.apply_theme(theme)

    def frame_widget(self):
        return self.page

    def shutdown(self) -> None:
        try:
            self.host.frameReady.disconnect(self._on_frame)
        except (TypeError, RuntimeError):
            pass
        for page in self.window.all_pages():
            page.shutdown()

"""AppView: the studio's own pages (studio, feature maps, plain vs natural, sequences) as a scene of the talk.

It embeds a MainWindow opened on the scene's preset, with its menus, status bar and tab bar hidden and its
keyboard shortcuts switched off (the presenter's keys rule), and shows the page the scene asks for. The
page trains in its own WorkerHost thread as it does in the studio; this adapter only watches its frames
and pauses it when the scene's stopping rule is reached.

Which page trains: "studio" and "featuremaps" show what the studio's worker trains; "comparison" runs its
own lockstep race (its loss, for `loss_below`, is the best run's); "sequence" (the Sequences page) trains the
scene's recurrent preset in its own worker (option "cell": "rnn" / "lstm" / "gru" swaps the preset's cell),
or, for preset story-qa, shows the memory network reading the lecture's story: nothing trains there, and
Space asks the story's next question. The Sequences page's own Play knows no budget: this adapter pauses it
when the scene's rule is reached.

Script actions (scene "script": [{"at": step, "do": action}], done once each when the shown step reaches
`at`, again after a reset): "pause" (a stop mid-scene: Space goes on), "show_test_points" (the studio's
held-out points appear on the output map), "edges_delta" (the diagram's edges show Δw of the last step).
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QAction, QKeySequence, QShortcut
from PyQt6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.theme import Theme
from .scene_view import HostedSceneView

PAGE_CLASS = {"featuremaps": "FeatureMapPage", "comparison": "ComparisonPage", "sequence": "SequencePage"}
OWN_HOST = ("comparison", "sequence")  # pages that train in their own WorkerHost, not the studio's
LOSS_MEAN = 20  # the sequence page's loss for `loss_below`: the mean of its last batches (one batch is noisy)
LANDING = 100  # the sequence page's last steps before the budget run as one train_for: it stops on the budget
QA_WAIT_MS = 30_000  # run_headless gives the story reader this long to answer


class AppView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme):
        QWidget.__init__(self)
        HostedSceneView.__init__(self, scene, theme)
        if not scene.preset_name:
            raise ValueError(f"the {scene.view!r} view needs a named preset (assets/presets), scene {scene.name!r}")
        from ..main_window import MainWindow
        from ..settings import StudioSettings

        self.window = MainWindow(StudioSettings.from_preset(scene.preset_name), theme)
        self._embed(self.window)
        self._script_note = ""
        self.page = self._show_page(scene.view)
        self.host = self.page.host if scene.view in OWN_HOST else self.window.studio.host
        self.host.frameReady.connect(self._on_frame)
        self._script_done: set[int] = set()
        self._question = 0  # story QA: which of the lecture's questions Space asks next
        self._landing = False  # the sequence page's run to the budget is under way

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
                if view == "sequence":
                    self._open_sequence(page)
                w.tabs.setCurrentWidget(page)
                return page
        raise RuntimeError(f"the {view!r} page is not part of this build (or could not be opened)")

    def _open_sequence(self, page) -> None:
        """The scene's cell first (the page loads nothing until it has a preset), then its preset."""
        cell = self.scene.options.get("cell")
        if cell is not None:
            box = getattr(page, "cell", None)
            if box is None:
                self._script_note = f"this build's sequence page cannot choose a cell ({cell!r} ignored)"
            elif box.findData(cell) < 0:
                known = [box.itemData(i) for i in range(box.count()) if box.itemData(i)]
                raise ValueError(f"scene {self.scene.name!r}: option 'cell' {cell!r:.40} is not one of {known}")
            else:
                box.setCurrentIndex(box.findData(cell))
        if not page.wants_preset(self.scene.preset_name):
            raise ValueError(f"the sequence page cannot open preset {self.scene.preset_name!r} (no recurrent layer)")

    def _story_qa(self) -> bool:
        return self.scene.view == "sequence" and self.page.modes.currentWidget() is self.page.qa

    # ------------------------------------------------------------------ stopping rule
    def _on_frame(self, frame) -> None:
        step, loss = self.current_step(), self.current_loss()
        self._run_script(step)
        if self.scene.stop.reached(step, loss):
            if self.host.playing:
                self.host.pause()
        elif self.scene.view == "sequence":
            self._land_on_budget(step)

    def _land_on_budget(self, step: int) -> None:
        """The Sequences page plays at its own pace and knows no budget, and a frame comes only every few steps:
        pausing when a frame shows the budget passed would overshoot. Near the end, the worker is asked (in its
        own thread, where the step count is current) to train exactly the steps left, then to stop."""
        remaining = self.scene.stop.steps - step
        if self._landing or not self.host.playing or not 0 < remaining <= LANDING:
            return
        self._landing = True
        worker, budget = self.host.worker, self.scene.stop.steps
        self.host.post(lambda: worker.train_for(max(0, budget - worker._model().step)))

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
        if self.scene.view == "sequence":
            return self.page.frame
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
        if self.scene.view == "sequence":
            return float(latest.losses[-LOSS_MEAN:].mean()) if len(latest.losses) else None
        loss = latest.metrics.get("train_loss")
        return None if loss is None else float(loss)

    # ------------------------------------------------------------------ presenter keys
    def toggle_play(self) -> None:
        if self._story_qa():
            self._ask_next()  # Space asks the lecture's next question
        else:
            super().toggle_play()

    def _before_play(self) -> None:
        self._landing = False

    def reset(self) -> None:
        self.pause()
        self._script_done.clear()
        if self._story_qa():
            self._question = -1  # the first question again
            self._ask_next()
        elif self.scene.view == "comparison":
            self.page.restart()
        elif self.scene.view == "sequence":
            self.page.reset()
        else:
            self.window.reset()

    def _ask_next(self) -> None:
        """Story QA: Space asks the lecture's questions in turn (the first is asked when the scene opens)."""
        from ...data.story_qa import LECTURE_QUESTIONS

        questions = list(LECTURE_QUESTIONS)
        self._question = (self._question + 1) % len(questions)
        self.page.qa.ask_about(questions[self._question])

    def status(self) -> str:
        if self._story_qa():
            qa = self.page.qa
            said = f"{qa.question_answered} → {qa.reading.answer}" if qa.reading is not None else "reading the story"
            return " · ".join(x for x in (said, "Space: next question", self._script_note) if x)
        step, loss = self.current_step(), self.current_loss()
        said = f"step {step:,d}/{self.scene.stop.steps:,d}"
        if loss is not None:
            said += f" · loss {loss:.3g}"
        reason = self.scene.stop.reason(step, loss)
        return " · ".join(x for x in (said, reason, self._script_note) if x)

    # ------------------------------------------------------------------ headless, look, lifetime
    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """The page's own scripted run, bounded by the scene's step budget."""
        if self._story_qa():
            self._when_answered(done)
            return
        budget = max(0, min(int(steps), self.scene.stop.steps - self.current_step()))
        self.page.run_headless(budget, done)

    def _when_answered(self, done: Callable[[], None], waited_ms: int = 0) -> None:
        """Story QA trains nothing: done once the question asked at opening has its answer (or an error)."""
        qa = self.page.qa
        if qa.question_answered or waited_ms >= QA_WAIT_MS:
            done()
        else:
            QTimer.singleShot(50, lambda: self._when_answered(done, waited_ms + 50))

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

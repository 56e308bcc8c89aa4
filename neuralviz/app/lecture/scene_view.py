"""SceneView: what the presenter asks of the widget that shows one scene, and all it asks.

A view is a QWidget that also derives from SceneView and is built as Cls(scene, theme). It trains (if it
trains) in a WorkerHost thread, never in the GUI thread, and pauses itself when
`scene.stop.reached(step, loss)`; the presenter reads `status()` for its footer.
Views by name (the scene's "view"): see neuralviz/app/lecture/views.py.
"""

from __future__ import annotations

from collections.abc import Callable

from ...lecture.scene import Scene
from ..common.theme import Theme


class SceneView:
    """Mixin for a scene's widget: `class RaceView(QWidget, SceneView)`."""

    def __init__(self, scene: Scene | None = None, theme: Theme | None = None, **kwargs):
        # PyQt's cooperative __init__ calls this once with no arguments (QWidget.__init__ passes on what it
        # did not use), and the view calls it again with its scene and theme: only that second call sets them.
        if scene is not None:
            self.scene = scene
        if theme is not None:
            self.theme = theme

    # ------------------------------------------------------------------ presenter keys
    def toggle_play(self) -> None:
        """Space: play or pause. A view that has nothing to train does nothing."""

    def is_playing(self) -> bool:
        return False

    def pause(self) -> None:
        """Leave the scene paused (the presenter calls it before switching scenes)."""

    def reset(self) -> None:
        """R: fresh weights (or a re-roll), step 0, paused."""

    # ------------------------------------------------------------------ state for the footer and the stop rule
    def current_step(self) -> int:
        return 0

    def current_loss(self) -> float | None:
        return None

    def status(self) -> str:
        """One short line for the presenter's footer: step, loss, and why it stopped once it has."""
        return self.scene.stop.reason(self.current_step(), self.current_loss())

    # ------------------------------------------------------------------ headless (`--screenshot`, tests)
    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Train `steps` steps at full speed (bounded by the stop rule), wait until the view shows the result,
        then call done(). Views that do not train call done() once they are drawn."""
        done()

    # ------------------------------------------------------------------ look and lifetime
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme

    def frame_widget(self):
        """The widget whose pixels make a recorded frame (the views, not the presenter's chrome)."""
        return self

    def shutdown(self) -> None:
        """The scene is closed: stop the worker thread (idempotent)."""


class HostedSceneView(SceneView):
    """A SceneView that trains in a WorkerHost `self.host`: Space, pause and the stop rule, written once.
    Play never starts again once the scene's rule is reached (R resets it first)."""

    host = None  # the view's WorkerHost, set in its __init__

    def toggle_play(self) -> None:
        if self.host.playing:
            self.host.pause()
        elif not self.scene.stop.reached(self.current_step(), self.current_loss()):
            self._before_play()
            self.host.play()

    def _before_play(self) -> None:
        """Hook: what a view resets just before Play starts it again."""

    def is_playing(self) -> bool:
        return bool(self.host.playing)

    def pause(self) -> None:
        if self.host.playing:
            self.host.pause()

    # ------------------------------------------------------------------ one run's frames (the views over one host)
    frame = None  # the last frame shown (None before the first, and after R)
    _headless: Callable[[], None] | None = None  # a scripted run's done(), until its final frame
    error = ""  # the worker's last failure, for the footer

    def _train_in(self, host) -> None:
        """Train in `host` (the view's WorkerHost): its frames to _on_frame, its failures to _on_failed."""
        self.host = host
        host.frameReady.connect(self._on_frame)
        host.failed.connect(self._on_failed)

    def _on_frame(self, frame) -> None:
        """A frame from the worker: keep it, pause once it reaches the scene's stop rule (the worker would play
        on), draw it, and end a scripted run on the final one."""
        self.frame = frame
        if self.scene.stop.reached(frame.step, self.current_loss()) and self.host.playing:
            self.host.pause()
        self._show_frame(frame)
        if frame.final:
            self._finish_headless()

    def _configure(self) -> None:
        """Required with reset(): post the scene's run (fresh weights, step 0, paused) to the worker."""
        raise NotImplementedError

    def reset(self) -> None:
        self.pause()
        self.frame = None
        self._configure()

    def _show_frame(self, frame) -> None:
        """Draw `frame` (self.frame is it already): by default the view's `board` draws it."""
        self.board.show_frame(frame)

    def _show_failure(self, label, text: str) -> None:
        """A failure of the worker: kept for the footer, said in `label`, and a waiting scripted run released
        (no frame will come, and a script must not wait for ever)."""
        self.error = text
        label.setText(f"Cannot run: {text}")
        label.show()
        self._finish_headless()

    def _footer(self, *extra: str, loss: float | None = None, word: str = "step") -> str:
        """The footer line: "step 120/300", the view's own readouts, the stop rule's reason, the error."""
        step = self.current_step()
        said = " · ".join([f"{word} {step:,d}/{self.scene.stop.steps:,d}", *extra])
        return " · ".join(x for x in (said, self.scene.stop.reason(step, loss), self.error) if x)

    def _finish_headless(self) -> None:
        """Hand a waiting scripted run its done() (once): at the final frame, or at a failure, after which no
        frame will come and the script must not wait for ever."""
        if self._headless is not None:
            done, self._headless = self._headless, None
            done()

    def current_step(self) -> int:
        return self.frame.step if self.frame is not None else 0

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Train at full speed up to `steps` more, never past the scene's step budget; done() at the final frame."""
        self._headless = done
        self.host.train_for(max(0, min(int(steps), self.scene.stop.steps - self.current_step())))

    def shutdown(self) -> None:
        self.host.shutdown()

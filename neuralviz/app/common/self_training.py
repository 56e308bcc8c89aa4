"""SelfTrainingPage: the Page protocol of a tab that trains its own run in its WorkerHost `self.host` (the
auto-encoder, GAN, GAN-on-images, segmentation, texture and sequence pages), written once.

Such a page answers the Play / Step / Reset keys itself (trains_itself), sets its run up on first need
(_ensure_run: the first Play, Step or scripted run), pauses when hidden (a hidden page would only take the CPU
from the others) and ends a scripted run (run_headless) with the final frame, or with a failure, since then no
final frame will come and the script must not wait for ever.

The page keeps `self.frame` (the last frame shown, None before the first) and `self._headless` (a scripted
run's callback, None otherwise), writes reset(), which sets `self._configured` (SelfTrainingPresetPage writes
it for a page that trains a picked preset; that page writes _reload()), and extends deactivate() where more
than the host must stop. _set_up(), _key_buttons() and _stack() build the state, the Play / Step / Reset
buttons and the bar-over-board layout that these pages share; a page that shows failures otherwise than in
its banner writes its own _on_failed.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .message_panel import MessagePanel
from .page import Page
from .panels import panel
from .preset_page import PresetPage
from .theme import Theme
from .worker_host import WorkerHost


class SelfTrainingPage(Page):
    """Mixin listed before QWidget, so that its showEvent/hideEvent are the ones Qt calls:
    `class SegmentationPage(SelfTrainingPage, QWidget)` (SelfTrainingPresetPage for a page with a preset picker)."""

    frame: object | None  # the last frame shown (None before the first)
    _headless: Callable[[], None] | None  # a scripted run's done(), None otherwise

    _configured = False  # reset() has run once (reset() sets it; SelfTrainingPresetPage asks `loaded` instead)

    def _ensure_run(self) -> None:
        """Set the run up if the page has none yet: the first reset()."""
        if not self._configured:
            self.reset()

    def _finish_headless(self) -> None:
        """Hand a waiting scripted run its done() (once)."""
        if self._headless is not None:
            done, self._headless = self._headless, None
            done()

    def _on_failed(self, text: str) -> None:
        """The worker's error in the banner; it ends a scripted run too, since no final frame will come."""
        self.message.show_error(text)
        self._finish_headless()

    # ------------------------------------------------------------------ what every such page has
    def _set_up(self, window, host: WorkerHost) -> None:
        """The state the page starts from, before it builds its widgets: the window and its theme, no frame and
        no scripted run yet, the WorkerHost its run trains in, the banner for its errors."""
        self.window = window
        self.theme: Theme = window.theme
        self.frame = None
        self._headless = None
        self.host = host
        self.message = MessagePanel()

    def _key_buttons(self) -> None:
        """The Play, Step and Reset buttons wired like the keys (Play reads "Pause" while the run plays), and the
        status label that goes beside them in the page's bar. Call it once `self.host` exists."""
        self.play_button = QPushButton("Play")
        self.step_button = QPushButton("Step")
        self.reset_button = QPushButton("Reset")
        self.status = QLabel()
        self.status.setProperty("role", "hint")
        self.host.playingChanged.connect(lambda on: self.play_button.setText("Pause" if on else "Play"))
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button.clicked.connect(self.step)
        self.reset_button.clicked.connect(self.reset)

    def _stack(self, bar: QWidget, board: QWidget) -> None:
        """The page's layout: its bar in a panel above its board (which takes the height), and the page's
        MessagePanel `self.message` laid over both."""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(panel(bar, margins=(8, 4, 8, 4)))
        lay.addWidget(board, 1)
        self.message.overlay_on(self)

    # ------------------------------------------------------------------ the Page protocol
    def on_configured(self, info) -> None:
        """The page trains its own run: the studio's configuration does not change it."""

    def activate(self) -> None:
        """Shown: set the run up the first time."""
        self._ensure_run()

    def deactivate(self) -> None:
        self.host.pause()  # a hidden page would only take the CPU from the others

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.activate()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        if self.host.playing:
            self.deactivate()

    def trains_itself(self) -> bool:
        return True

    def toggle_play(self) -> None:
        self._ensure_run()
        self.host.toggle_play()

    def step(self) -> None:
        self._ensure_run()
        self.host.step()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self._ensure_run()
        self._headless = done
        self.host.train_for(steps)

    def shown_step(self) -> int:
        return self.frame.step if self.frame is not None else 0

    def shutdown(self) -> None:
        self.host.shutdown()


class SelfTrainingPresetPage(SelfTrainingPage, PresetPage):
    """A SelfTrainingPage whose run is a preset picked in its own combo box (PresetPage):
    `class GanPage(SelfTrainingPresetPage, QWidget)`. The page writes _load_chosen() and _reload()."""

    def _reload(self) -> None:
        """Required. Train the loaded preset again from fresh weights (with the options now chosen)."""
        raise NotImplementedError

    def _ensure_run(self) -> None:
        self._ensure_loaded()

    def wants_preset(self, name: str) -> bool:
        """A preset the picker offers opens here (and is trained)."""
        return self._open_preset(name)

    def reset(self) -> None:
        """Fresh weights, step 0, paused; the picked preset's first load where none is loaded yet."""
        if self.loaded is None:
            self._ensure_loaded()
            return
        self._reload()

"""RobustnessPage: the main window's "Robustness" tab: compact and robust networks, one panel (inner tab) each.

* Compression: prune a trained digits net by magnitude with a slider, retrain it with the mask.
* Noise & dropout: input noise / dropout smooth a spirals net's function: its ‖∂f/∂x‖ falls.
* Adversarial: FGSM at the ε of a slider flips a digit's class where random noise of that size does not.
* Structure: group sparsity deletes whole hidden neurons while a digits net trains.

The shown panel's run trains in the page's WorkerHost thread (worker.py); switching panels starts that panel's
run afresh (paused). The page brings its own networks: the studio's configuration does not change it.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ..common.message_panel import MessagePanel
from ..common.page import Page
from ..common.panels import panel
from ..common.snapshot import RunInfo
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .panel_set import FRAME_PANELS, PANEL_CLASSES, PANEL_TITLES
from .worker import RobustnessWorker

PRESETS = ("compression",)  # lecture presets that open this page


class RobustnessPage(QWidget, Page):
    TITLE = "Robustness"

    def __init__(self, window, steps: int | None = None):
        """steps: each run's training budget (None: the run's own; tests take a few)."""
        super().__init__()
        self.window = window
        self.theme: Theme = window.theme
        self.seed, self.steps = 0, steps
        self.frame = None
        self.loaded: str | None = None
        self._headless: Callable[[], None] | None = None
        self.host = WorkerHost(RobustnessWorker(), "neuralviz-robustness")
        self.message = MessagePanel()
        self.panels = {name: cls(self.theme) for name, cls in PANEL_CLASSES.items()}
        self.modes = QTabWidget()
        for name, widget in self.panels.items():
            self.modes.addTab(widget, PANEL_TITLES[name])
        self.play_button, self.step_button, self.reset_button = (
            QPushButton("Play"),
            QPushButton("Step"),
            QPushButton("Reset"),
        )
        self.status = QLabel()
        self.status.setProperty("role", "hint")
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        for b in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(b)
        row.addWidget(self.status, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.addWidget(panel(bar, margins=(8, 4, 8, 4)))
        lay.addWidget(self.modes, 1)
        self.message.overlay_on(self)
        self._connect()

    def _connect(self) -> None:
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        self.host.playingChanged.connect(lambda on: self.play_button.setText("Pause" if on else "Play"))
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button.clicked.connect(self.step)
        self.reset_button.clicked.connect(self.reset)
        self.modes.currentChanged.connect(lambda _: self._load_shown())
        for widget in self.panels.values():
            widget.changed.connect(self._command)

    # ------------------------------------------------------------------ the run
    def current_panel(self) -> str:
        widget = self.modes.currentWidget()
        return next(name for name, w in self.panels.items() if w is widget)

    def _load_shown(self) -> None:
        """A fresh run for the panel shown (paused), with that panel's current settings."""
        name = self.current_panel()
        self.loaded, self.frame = name, None
        self.message.clear()
        self.host.post(self.host.worker.configure, name, self.seed, self.steps)
        for setting, value in self.panels[name].settings():
            self.host.post(self.host.worker.command, setting, value)

    def _command(self, name: str, value) -> None:
        if self.loaded is not None and self.sender() is self.panels[self.loaded]:
            self.message.clear()
            self.host.post(self.host.worker.command, name, value)

    def _on_failed(self, text: str) -> None:
        self.message.show_error(text)
        if self._headless is not None:  # nothing will train: a scripted run must not wait for ever
            done, self._headless = self._headless, None
            done()

    def _on_frame(self, frame) -> None:
        if self.loaded is None or FRAME_PANELS.get(type(frame)) != self.loaded:
            return  # a frame of the run shown before the switch
        self.frame = frame
        self.panels[self.loaded].show_frame(frame)
        state = "" if frame.step < frame.limit else " (done: press Reset to train again)"
        self.status.setText(f"step {frame.step:,} / {frame.limit:,}{state}")
        if frame.final and self._headless is not None:
            done, self._headless = self._headless, None
            done()

    # ================================================================== the Page protocol
    def on_configured(self, info: RunInfo) -> None:
        """The page trains its own networks: the studio's configuration does not change it."""

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for widget in self.panels.values():
            widget.set_theme(theme)

    def wants_preset(self, name: str) -> bool:
        if name not in PRESETS:
            return False
        self.modes.setCurrentWidget(self.panels["compression"])
        self._ensure_loaded()
        return True

    def activate(self) -> None:
        self._ensure_loaded()

    def _ensure_loaded(self) -> None:
        if self.loaded is None:
            self._load_shown()

    def deactivate(self) -> None:
        self.host.pause()  # a hidden page would only take the CPU from the others

    def trains_itself(self) -> bool:
        return True

    def reset(self) -> None:
        self._load_shown()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self._ensure_loaded()
        self._headless = done
        self.host.train_for(steps)

    def shown_step(self) -> int:
        return self.frame.step if self.frame is not None else 0

    def shutdown(self) -> None:
        self.host.shutdown()

"""RacePage: the main window's "Races" tab: pick a preset with "runs" and race its networks.

The same RaceBoard as the lecture's RaceView, under a row of controls: the preset picker (every preset that has
"runs"), Play/Pause, Step and Reset. The race stops at the preset's own budget (its training block's epochs);
the page does not follow the studio's network (on_configured does nothing): a race brings its own networks.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ... import presets
from ..common.active_while_shown import ActiveWhileShown
from ..common.panels import panel
from ..common.preset_page import PresetPage, preset_picker
from ..common.snapshot import RunInfo
from ..common.theme import Theme
from .board import RaceBoard


def race_presets() -> list[tuple[str, str]]:
    """(name, title) of every preset with "runs", by name (a preset that does not load is left out). A race whose
    networks draw segmentation maps (rnn-pde) belongs to the Segmentation tab: its outputs are maps, not classes."""
    return presets.titles(lambda preset: bool(preset.get("runs")) and "segmentation" not in preset.get("views", []))


class RacePage(ActiveWhileShown, QWidget, PresetPage):
    TITLE = "Races"

    def __init__(self, window):
        super().__init__()
        self.window = window
        self.theme: Theme = window.theme
        self.loaded: str | None = None
        self.board = RaceBoard(self.theme)
        self.host = self.board.host  # Page.toggle_play / step drive it
        self.picker = preset_picker(race_presets(), min_chars=12)
        self.play_button = QPushButton("Play")
        self.step_button = QPushButton("Step")
        self.reset_button = QPushButton("Reset")
        self.description = QLabel()
        self.description.setProperty("role", "hint")
        self.description.setWordWrap(True)
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Race:"))
        row.addWidget(self.picker, 1)
        for b in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(panel(bar, self.description, margins=(8, 6, 8, 6)))
        lay.addWidget(self.board, 1)
        self.picker.currentIndexChanged.connect(lambda _: self._load_chosen() if self.loaded is not None else None)
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button.clicked.connect(self.step)
        self.reset_button.clicked.connect(self.reset)
        self.board.changed.connect(self._follow_board)

    def chosen(self) -> str | None:
        return self.picker.currentData()

    def _load_chosen(self) -> None:
        name = self.chosen()
        if name is None:
            self.description.setText("No preset has “runs” to race.")
            return
        preset = presets.load(name)
        self.loaded = name
        self.description.setText(str(preset.get("description", "")))
        self.board.load(preset)

    def _follow_board(self) -> None:
        self.play_button.setText("Pause" if self.board.playing else "Play")

    # ================================================================== the Page protocol
    def on_configured(self, info: RunInfo) -> None:
        """A race brings its own networks and data: the studio's configuration does not change it."""

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.board.set_theme(theme)

    def wants_preset(self, name: str) -> bool:
        """A preset with "runs" opens here (and becomes the race shown)."""
        return self._open_preset(name)

    def deactivate(self) -> None:
        self.board.pause()  # a hidden race would only take the CPU from the studio

    def trains_itself(self) -> bool:
        return True

    def reset(self) -> None:
        self.board.reset()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self._ensure_loaded()
        self.board.run_headless(steps, done)

    def shown_step(self) -> int:
        return self.board.current_step()

    def shutdown(self) -> None:
        self.board.shutdown()

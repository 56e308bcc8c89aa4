"""RunRow: one optimizer run in the loss-surface scene's side panel."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel

from ..common.theme import Theme
from .fonts import font

__all__ = ["RunRow"]


class RunRow:
    """One run in the side panel: its colour and label, its current loss in large type, and below them its
    step size (and momentum) in small type."""

    def __init__(self, grid: QGridLayout, row: int, colour: str, label: str):
        self.colour, self.label = colour, label
        self.name = QLabel(f'<span style="color:{colour}">━━</span> {label}')
        self.detail = QLabel()
        self.value = QLabel("–")
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.name, 2 * row, 0)
        grid.addWidget(self.value, 2 * row, 1, 2, 1)
        grid.addWidget(self.detail, 2 * row + 1, 0)

    def show(self, lr: float, momentum: float, loss: float, diverged: bool) -> None:
        self.detail.setText(f"step {lr:.3g}" + (f" · momentum {momentum:g}" if momentum else ""))
        self.value.setText("diverged" if diverged else f"{loss:.3g}")

    def set_theme(self, theme: Theme) -> None:
        self.name.setFont(font(theme.font_pt * 1.3))
        self.detail.setFont(font(theme.font_pt))
        self.detail.setStyleSheet(f"color: {theme.muted_text};")
        self.value.setFont(font(theme.title_pt * 1.4, bold=True))
        # as wide as the widest reading from the start: the layout does not jump as the digits change
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance("0.000000") + 4)
        self.value.setStyleSheet(f"color: {self.colour};")

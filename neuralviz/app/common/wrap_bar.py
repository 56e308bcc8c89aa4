"""wrap_bar: a page's row of controls that wraps onto a second line instead of widening the window.

With large fonts the Generative pages' control rows are wider than a 1024-pixel projector; in a plain
QHBoxLayout that width becomes the whole window's minimum and the window overflows the screen. The row is a
FlowRow (the editor's wrapping tool bar) of groups: a label stays on the line of the box it names, and Play /
Step / Reset stay together, so a wrapped row still reads as before.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..editor.flow_row import FlowRow

GROUP_GAP = 8  # between two groups, beyond the row's spacing (dropped at the start of a line)


def group(*items: QWidget | str) -> QWidget:
    """Widgets side by side that never wrap apart; a str item is a label ("Speed:" before its box)."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for item in items:
        row.addWidget(QLabel(item) if isinstance(item, str) else item)
    return box


def wrap_bar(*groups: QWidget) -> QWidget:
    """The groups left to right, wrapping where the page is too narrow (as narrow as its widest group)."""
    bar = QWidget()
    row = FlowRow(bar, spacing=6)
    for i, g in enumerate(groups):
        if i:
            row.addSpacing(GROUP_GAP)
        row.addWidget(g)
    return bar

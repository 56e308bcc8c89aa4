"""The panel frame every page draws its views in, and the scroll area a long panel sits in.

One helper for all pages, so a panel looks the same on every tab: the frame's look comes from the theme's
style sheet (QFrame[role="panel"]); pages only choose the margins, the spacing and an optional title.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget


def panel(
    *widgets: QWidget,
    title: str = "",
    margins: int | tuple[int, int, int, int] = 0,
    spacing: int | None = None,
    stretch: tuple[int, ...] = (),
) -> QFrame:
    """The widgets stacked in one panel frame, under a title if given. stretch: the layout stretch of each
    widget in turn (0 for those past its end)."""
    frame = QFrame()
    frame.setProperty("role", "panel")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(*((margins,) * 4 if isinstance(margins, int) else margins))
    if spacing is not None:
        lay.setSpacing(spacing)
    if title:
        lay.addWidget(title_label(title))
    for i, w in enumerate(widgets):
        lay.addWidget(w, stretch[i] if i < len(stretch) else 0)
    return frame


def title_label(text: str) -> QLabel:
    """A panel's title (its look comes from the theme: QLabel[role="title"])."""
    label = QLabel(text)
    label.setProperty("role", "title")
    return label


def titled_column(widget: QWidget, title: str, margins: int = 8, spacing: int = 6) -> QVBoxLayout:
    """widget's layout: a column that starts with its title (for panels that are classes of their own)."""
    lay = QVBoxLayout(widget)
    lay.setContentsMargins(margins, margins, margins, margins)
    lay.setSpacing(spacing)
    lay.addWidget(title_label(title))
    return lay


def scrolling(widget: QWidget) -> QScrollArea:
    """widget in a frameless area that scrolls vertically when it cannot fit (large fonts, small screens)."""
    scroll = QScrollArea()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll

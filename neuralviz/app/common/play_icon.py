"""The play / pause icon of every page's play button, drawn by the Qt style.

Not the characters ▶ / ⏸: DejaVu, the font most Linux installs give Qt, has no ⏸ (U+23F8), which then
shows as an empty box; the style's icons are drawn, so they look right whatever fonts are installed."""

from __future__ import annotations

from PyQt6.QtGui import QIcon
from PyQt6.QtWidgets import QStyle, QWidget


def play_icon(widget: QWidget, playing: bool) -> QIcon:
    """The icon a play button shows: pause while playing (what a click does), play otherwise."""
    pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
    return widget.style().standardIcon(pixmap)

"""The lecture views' one font helper: they size text from the theme's point sizes, not from a style sheet."""

from __future__ import annotations

from PyQt6.QtGui import QFont


def font(points: float, bold: bool = False) -> QFont:
    """A font of that size: the presenter's views size their text from the theme, not from a style sheet."""
    result = QFont()
    result.setPointSizeF(points)
    result.setBold(bold)
    return result

"""ElidedLabel: one line of text, cut with "…" to the width it gets (the whole text in its tooltip).

A word-wrapped QLabel grows a line taller whenever its panel gets narrower (large fonts, a 1024-pixel
projector), and that height comes out of the pictures below it; an elided one keeps its height."""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = str(text)
        self.setToolTip(self._full)
        self._elide()

    def text(self) -> str:
        """The whole text (not the elided one on screen)."""
        return self._full

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            getattr(self, "_full", ""), Qt.TextElideMode.ElideRight, max(10, self.width())
        )
        super().setText(shown)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("Mm…"), super().minimumSizeHint().height())

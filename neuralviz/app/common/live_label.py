"""LiveLabel: a QLabel for text that changes every frame (counters, metrics) without re-laying out the window.

QLabel.setText always asks its layout to recompute (updateGeometry), and that request climbs to the tab
widget, which repaints the whole page when it gets it (QTabWidget::setUpLayout calls update()): one step
counter changing made Qt repaint every panel, spin box and button of the studio each frame (about 5 ms of
the GUI thread's 10 to 14). A LiveLabel repaints only itself while the new text fits the room it already
has, and falls back to QLabel.setText (one re-layout) only when it does not.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QLabel, QStyle


class LiveLabel(QLabel):
    """A plain-text QLabel (styled as any QLabel: role properties, fonts, colours) whose setText repaints it
    alone when the text fits; text() returns the text shown."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self._shown = text

    def text(self) -> str:
        return self._shown

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        if text == self._shown:
            return
        self._shown = text
        if self._fits(text):
            self.update()  # painted from _shown: no geometry change, no re-layout
        else:
            super().setText(text)

    def _fits(self, text: str) -> bool:
        room = self.contentsRect()
        m = self.fontMetrics()
        return (
            self.isVisible()
            and m.horizontalAdvance(text) + 2 * self.margin() + max(self.indent(), 0) <= room.width()
            and m.height() + 2 * self.margin() <= room.height()
        )

    def paintEvent(self, event) -> None:
        if self._shown == super().text():
            super().paintEvent(event)
            return
        p = QPainter(self)
        self.drawFrame(p)
        m = self.margin()
        rect = self.contentsRect().adjusted(m, m, -m, -m)
        align = QStyle.visualAlignment(self.layoutDirection(), self.alignment())
        self.style().drawItemText(
            p, rect, int(align.value), self.palette(), self.isEnabled(), self._shown, self.foregroundRole()
        )

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        # a new font or style sheet: QLabel measures its own copy of the text, so it must hold the one shown
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and super().text() != self._shown:
            super().setText(self._shown)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if super().text() != self._shown and not self._fits(self._shown):
            super().setText(self._shown)  # squeezed below the text shown: lay out for it again

"""MessagePanel: a banner across the window for errors (it stays until dismissed or replaced) and for
notices about what a change did (they fade after a few seconds)."""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton


class MessagePanel(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messagePanel")
        self.label = QLabel()
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.level = ""
        self._full = ""
        self.hide()

    @property
    def text(self) -> str:
        """The whole message shown now ('' when none)."""
        return self._full

    def show_error(self, text: str) -> None:
        self._show("error", f"⚠ {text}")
        self._timer.stop()

    def show_info(self, text: str, seconds: float = 6.0) -> None:
        if self.level == "error":
            return  # an unread error is more important than a notice
        self._show("info", text)
        self._timer.start(int(seconds * 1000))

    def _show(self, level: str, text: str) -> None:
        self.level = level
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        # one line, elided to the banner's width; the whole message is in the tooltip and in `text`
        self._full = text
        self.label.setToolTip(text)
        self.show()
        self._elide()

    def _elide(self) -> None:
        first = self._full.splitlines()[0] if self._full else ""
        width = max(100, self.label.width())
        self.label.setText(self.label.fontMetrics().elidedText(first, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def clear(self) -> None:
        self.level = ""
        self._full = ""
        self.label.setText("")
        self.hide()

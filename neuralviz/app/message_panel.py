"""MessagePanel: a banner across the window for errors (it stays until dismissed or replaced) and for
notices about what a change did (they fade after a few seconds)."""
from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton


class MessagePanel(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messagePanel")
        self.label = QLabel()
        self.label.setWordWrap(True)
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
        self.hide()

    @property
    def text(self) -> str:
        """The message shown now ('' when none)."""
        return self.label.text()

    def show_error(self, text: str) -> None:
        self._show("error", f"⚠ {text}")
        self._timer.stop()

    def show_info(self, text: str, seconds: float = 6.0) -> None:
        if self.level == "error":
            return            # an unread error is more important than a notice
        self._show("info", text)
        self._timer.start(int(seconds * 1000))

    def _show(self, level: str, text: str) -> None:
        self.level = level
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.show()

    def clear(self) -> None:
        self.level = ""
        self.label.setText("")
        self.hide()

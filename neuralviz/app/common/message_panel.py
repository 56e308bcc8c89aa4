"""MessagePanel: a banner across the window for errors (it stays until dismissed or replaced) and for
notices about what a change did (they fade after a few seconds).

In a layout it takes its row when shown (and moves what is below); `overlay_on(host)` instead lays it over
the top edge of `host`, so its appearing and fading move nothing on screen (a jumping layout under a
lecturer's pointer is worse than a banner covering the panels' title strip for a few seconds)."""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget


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
        self._host: QWidget | None = None
        self.hide()

    def overlay_on(self, host: QWidget) -> None:
        """Float over the top of `host` (a child of it, outside its layout), following its width."""
        self.setParent(host)
        self._host = host
        host.installEventFilter(self)
        self._place()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._host and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        host = self._host
        if host is None:
            return
        margin = 6
        width = max(50, host.width() - 2 * margin)
        self.setGeometry(margin, margin, width, self.sizeHint().height())
        self.raise_()

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
        self._place()
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

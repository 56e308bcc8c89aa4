"""What the presenter lays over the scene: a black screen (B) and a spotlight that zooms on one item (Z).

Both are child widgets raised above the rest, so the scene keeps running underneath and comes back as it
was when they go away.
"""

from __future__ import annotations

from PyQt6.QtCore import QRect, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPixmap
from PyQt6.QtWidgets import QWidget

SPOTLIGHT_FPS = 10  # the zoomed copy follows the live item at this rate
MIN_ITEM_SHARE = 0.03  # the spotlight zooms on an item at least this share of the scene area (not on one label)


class BlankOverlay(QWidget):
    """All black: the room looks at the lecturer. Any key or click brings the scene back."""

    dismissed = pyqtSignal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()

    def paintEvent(self, event) -> None:
        QPainter(self).fillRect(self.rect(), QColor("black"))

    def mousePressEvent(self, event) -> None:
        self.dismissed.emit()

    def keyPressEvent(self, event) -> None:
        self.dismissed.emit()


def item_under(area: QWidget, global_pos) -> QWidget:
    """The widget under a screen position inside `area`, widened to a panel-sized item (an axis label alone
    is too small to be worth zooming on); `area` itself when the position is outside it."""
    local = area.mapFromGlobal(global_pos)
    widget = area.childAt(local) if area.rect().contains(local) else None
    floor = MIN_ITEM_SHARE * max(1, area.width() * area.height())
    while widget is not None and widget is not area and widget.width() * widget.height() < floor:
        widget = widget.parentWidget()
    return widget if widget is not None else area


class Spotlight(QWidget):
    """The chosen item magnified to fill the scene area (aspect kept), refreshed live; a click closes it."""

    dismissed = pyqtSignal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.target: QWidget | None = None
        self._pixmap: QPixmap | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / SPOTLIGHT_FPS))
        self._timer.timeout.connect(self.refresh)
        self.hide()

    def show_item(self, target: QWidget, geometry: QRect) -> None:
        self.target = target
        self.setGeometry(geometry)
        self.refresh()
        self.show()
        self.raise_()
        self._timer.start()

    def close_item(self) -> None:
        self._timer.stop()
        self.target = None
        self._pixmap = None
        self.hide()

    def refresh(self) -> None:
        if self.target is None:
            return
        try:
            self._pixmap = self.target.grab()
        except RuntimeError:  # the item was deleted (the scene changed)
            self.close_item()
            return
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0, 200))
        if self._pixmap is None or self._pixmap.isNull():
            return
        scaled = self._pixmap.scaled(
            self.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        p.drawPixmap((self.width() - scaled.width()) // 2, (self.height() - scaled.height()) // 2, scaled)

    def mousePressEvent(self, event) -> None:
        self.dismissed.emit()

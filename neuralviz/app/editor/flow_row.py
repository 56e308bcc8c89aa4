"""FlowRow: a row of buttons that wraps onto a second line when the page is narrower than the row.

The editor's tool bar is wider than a 1024-pixel projector with large fonts; a plain QHBoxLayout would make
that width the whole window's minimum (and the window would overflow the screen). A wrapping row asks only for
its widest button and takes a second line of height instead (heightForWidth, which the page's column honours).
"""

from __future__ import annotations

from PyQt6.QtCore import QPoint, QRect, QSize, Qt
from PyQt6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowRow(QLayout):
    """Items left to right, wrapping to a new line where the next one would not fit. addSpacing(n) adds a gap
    that is dropped at the start of a line (a group separator, not an indent)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gaps: dict[int, int] = {}  # item index -> extra space before it
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    # ------------------------------------------------------------------ QLayout
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt's name
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def addSpacing(self, size: int) -> None:  # noqa: N802 - Qt's name
        self._gaps[len(self._items)] = self._gaps.get(len(self._items), 0) + int(size)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """One line: every item side by side."""
        shown = self._shown()
        width = sum(item.sizeHint().width() + self._gaps.get(i, 0) for i, item in shown)
        width += self.spacing() * max(0, len(shown) - 1)
        height = max((item.sizeHint().height() for _, item in shown), default=0)
        return self._plus_margins(QSize(width, height))

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        """As narrow as the widest item (the rest wrap)."""
        size = QSize()
        for _, item in self._shown():
            size = size.expandedTo(item.minimumSize())
        return self._plus_margins(size)

    # ------------------------------------------------------------------ placing
    def _shown(self) -> list[tuple[int, QLayoutItem]]:
        return [(i, item) for i, item in enumerate(self._items) if not item.isEmpty()]

    def _plus_margins(self, size: QSize) -> QSize:
        m = self.contentsMargins()
        return QSize(size.width() + m.left() + m.right(), size.height() + m.top() + m.bottom())

    def _place(self, rect: QRect, move: bool) -> int:
        """Lays the items out in rect (moving them only if move); returns the height the lines take."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height, first = area.x(), area.y(), 0, True
        for i, item in self._shown():
            hint = item.sizeHint()
            gap = 0 if first else self.spacing() + self._gaps.get(i, 0)
            if not first and x + gap + hint.width() > area.right() + 1:
                x, y, line_height, gap = area.x(), y + line_height + self.spacing(), 0, 0
            x += gap
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width()
            line_height = max(line_height, hint.height())
            first = False
        return y + line_height - rect.y() + m.bottom()

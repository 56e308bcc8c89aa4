"""UnrolledStrip: the recurrent net drawn unrolled, x_t → [h_t] → h_{t+1}, with every arrow between states
labelled by the same W_hh: one weight matrix, shared by every step ("a feedforward net with identical weights
through time"). The step shown in the step-by-step mode is highlighted."""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import QWidget

from ..common.theme import Theme

BOXES = 6  # cells drawn; a long sequence shows its first steps, "…", and the last one


class UnrolledStrip(QWidget):
    def __init__(self, theme: Theme):
        super().__init__()
        self.theme = theme
        self.steps = 1
        self.current = 1
        self.kind = "rnn"
        self.setMinimumHeight(self._height())

    def _height(self) -> int:
        """W_hh labels, the boxes and the x_t labels: about four lines of text."""
        return int(self.fontMetrics().height() * 4.1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setMinimumHeight(self._height())
        self.update()

    def show_steps(self, kind: str, steps: int, current: int) -> None:
        self.kind, self.steps, self.current = kind, max(1, steps), current
        self.update()

    def _labels(self) -> list[int | None]:
        """The step numbers drawn (None: the gap)."""
        if self.steps <= BOXES:
            return list(range(1, self.steps + 1))
        return [1, 2, 3, 4, None, self.steps]

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setMinimumHeight(self._height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text, accent = QColor(self.theme.text), QColor(self.theme.positive)
        fm = p.fontMetrics()
        line = fm.height()
        labels = self._labels()
        w = self.width()
        slot = w / len(labels)
        box_w, box_h = min(slot * 0.55, 6 * line), line * 1.6
        top = 0.0
        p.setPen(QPen(text))
        for k, t in enumerate(labels):
            cx = slot * (k + 0.5)
            rect = QRectF(cx - box_w / 2, top + line, box_w, box_h)
            if t is None:
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "…")
                continue
            on = t == self.current
            p.setPen(QPen(accent if on else text, 2.5 if on else 1.2))
            p.drawRoundedRect(rect, 4, 4)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self.kind.upper()} h{t}" if k == 0 else f"h{t}")
            p.setPen(QPen(text))
            p.drawText(
                QRectF(cx - box_w / 2, top + line + box_h + 1, box_w, line * 1.2),
                Qt.AlignmentFlag.AlignCenter,
                f"↑ x{t}",
            )
            if k + 1 < len(labels):
                y = rect.center().y()
                x0, x1 = rect.right(), rect.right() + slot - box_w
                p.drawLine(int(x0), int(y), int(x1), int(y))
                p.drawText(QRectF(x0, top, x1 - x0, line), Qt.AlignmentFlag.AlignCenter, "W_hh")
        p.end()

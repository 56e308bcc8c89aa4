"""ColourLegend: the diverging colour bar with its meaning, as in the Playground, or the class swatches
for data with more than two classes."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QLinearGradient, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme


class ColourLegend(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.class_names: tuple[str, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_theme(theme)

    def _caption(self) -> str:
        return {0: "Colours show neuron and weight values.", 2: "Colours show data, neuron and weight values."}.get(
            len(self.class_names), "Colours show the class; pale = unsure."
        )

    def _resize(self) -> None:
        """Caption (one line, elided; whole in the tooltip), bar, labels: a fixed height whatever the width,
        so a narrow panel does not give the map's height to a wrapped caption."""
        self.setToolTip(self._caption())
        # large fonts (the lecture hall): the caption lives in the tooltip, its line goes to the map
        lines = 2.3 if self._caption_hidden() else 3.3
        height = int(self.fontMetrics().height() * lines) + 6
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._resize()

    def _caption_hidden(self) -> bool:
        return bool(getattr(self, "theme", None) and self.theme.large_fonts)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        font = QFont(self.font())
        font.setPointSizeF(theme.font_pt * 0.95)
        self.setFont(font)
        self._resize()
        self.update()

    def set_classes(self, names: tuple[str, ...]) -> None:
        self.class_names = tuple(names)
        self._resize()
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        t = self.theme
        fm = p.fontMetrics()
        line = fm.height()
        p.setPen(QColor(t.text))
        top = 0.0
        if not self._caption_hidden():
            caption = fm.elidedText(self._caption(), Qt.TextElideMode.ElideRight, self.width())
            p.drawText(QPointF(0, fm.ascent()), caption)
            top = line
        # the bar under the caption, labels under the bar: nothing overlaps however narrow the panel
        bar = QRectF(2, top + 4, self.width() - 4, line * 0.9)
        if len(self.class_names) <= 2:
            grad = QLinearGradient(QPointF(bar.left(), 0), QPointF(bar.right(), 0))
            for stop, colour in ((0.0, t.negative), (0.5, t.neutral), (1.0, t.positive)):
                grad.setColorAt(stop, QColor(colour))
            p.fillRect(bar, grad)
            p.setPen(QColor(t.text))
            p.drawRect(bar)
            if len(self.class_names) == 2:
                a, b = self.class_names
                labels = ((0.0, f"−1 · class {a}"), (0.5, "0"), (1.0, f"+1 · class {b}"))
            else:
                labels = ((0.0, "−1"), (0.5, "0"), (1.0, "+1"))
            for stop, text in labels:
                x = bar.left() + stop * bar.width()
                w = fm.horizontalAdvance(text)
                left = min(max(x - w / 2, bar.left()), bar.right() - w)
                p.drawText(QPointF(left, bar.bottom() + fm.ascent() + 3), text)
        else:
            k = len(self.class_names)
            cell = bar.width() / k
            for i, name in enumerate(self.class_names):
                r = QRectF(bar.left() + i * cell, bar.top(), cell - 2, bar.height())
                p.fillRect(r, QColor(t.class_color(i, k)))
                p.setPen(QColor(t.text))
                w = fm.horizontalAdvance(name)
                p.drawText(QPointF(r.center().x() - w / 2, bar.bottom() + fm.ascent() + 3), name)

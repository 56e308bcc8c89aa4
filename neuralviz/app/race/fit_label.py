"""FitLabel: a one-line label whose font shrinks (never grows) so that its text fits its width.

The panels' big numbers are set for the back of the room; with four runs on a 1024-pixel projector a number
like "0.0096" would be cut off, and a cut-off number is worse than a smaller one. The font is fitted to the
widest of the text and a sample ("100%"), so every panel's numbers keep one size while they change.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QFont, QFontMetrics
from PyQt6.QtWidgets import QLabel, QSizePolicy

LEAST_SHARE = 0.45  # the font never shrinks below this share of its set size


class FitLabel(QLabel):
    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self._point_size = 12.0
        self._colour = "#000000"
        self._sample = ""  # the widest text this label will show: labels with one sample keep one size
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_style(self, point_size: float, colour: str) -> None:
        self._point_size, self._colour = float(point_size), colour
        self.setStyleSheet(f"color: {colour};")
        self._fit()

    def set_sample(self, sample: str) -> None:
        self._sample = sample
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _base_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(self._point_size)
        return font

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self._base_font())
        return QSize(metrics.horizontalAdvance(self.text()) + 4, metrics.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(10, self.sizeHint().height())

    def _fit(self) -> None:
        font = self._base_font()
        width = max(1, self.width() - 4)
        metrics = QFontMetrics(font)
        text_width = max(metrics.horizontalAdvance(self.text()), metrics.horizontalAdvance(self._sample))
        if text_width > width:
            font.setPointSizeF(max(self._point_size * LEAST_SHARE, self._point_size * width / text_width))
        if font != self.font():
            self.setFont(font)

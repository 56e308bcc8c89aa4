"""TopImagesView: "what does this unit respond to?" The test images that excite one channel most.

A channel's response to an image is its largest activation anywhere in its map (a feature detector fires
wherever the feature is). The view ranks the whole test set by it, from the latest sweep, and shows the
strongest images with their class and response. Pick the channel by clicking a map in the feature-map view,
or step through the channels of the layer with the arrows.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from ..common.theme import Theme
from .drawing import draw_pixels, fitted, grey_image, theme_font
from .sweep import SweepResult
from .workbench import PageContext

TOP = 12


def top_indices(responses: np.ndarray, count: int = TOP) -> np.ndarray:
    """Indices of the `count` largest responses, largest first (ties: the lower index first)."""
    count = min(count, len(responses))
    if count == 0:
        return np.empty(0, dtype=np.int64)
    part = np.argpartition(-responses, count - 1)[:count]
    return part[np.lexsort((part, -responses[part]))]


class _Grid(QWidget):
    """The painted grid of images with their captions."""

    def __init__(self, owner: TopImagesView):
        super().__init__(owner)
        self.owner = owner
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def paintEvent(self, event) -> None:
        self.owner.paint_grid(QPainter(self), self.width(), self.height())


class TopImagesView(QWidget):
    channelChanged = pyqtSignal(str, int)  # the arrows chose another channel of the layer

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.ctx: PageContext | None = None
        self.sweep: SweepResult | None = None
        self.layer: str | None = None
        self.channel = 0
        self.indices = np.empty(0, dtype=np.int64)
        self.responses = np.empty(0)
        self._images: list[QImage] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        head = QHBoxLayout()
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.prev_button, self.next_button = QToolButton(), QToolButton()
        self.prev_button.setText("◀")
        self.next_button.setText("▶")
        self.prev_button.setToolTip("previous channel")
        self.next_button.setToolTip("next channel")
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(1))
        head.addWidget(self.title, 1)
        head.addWidget(self.prev_button)
        head.addWidget(self.next_button)
        lay.addLayout(head)
        hint = QLabel("Click any map in the feature maps to choose its channel.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.grid = _Grid(self)
        lay.addWidget(self.grid, 1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.grid.update()

    def set_context(self, ctx: PageContext) -> None:
        self.ctx, self.sweep = ctx, None
        self.select(ctx.map_layers[0].id if ctx.map_layers else None, 0)

    def select(self, layer: str | None, channel: int) -> None:
        self.layer, self.channel = layer, int(channel)
        self._rank()

    def show_sweep(self, sweep: SweepResult) -> None:
        self.sweep = sweep
        self._rank()

    def _layer_channels(self) -> int:
        m = next((m for m in self.ctx.map_layers if m.id == self.layer), None) if self.ctx else None
        return m.channels if m is not None else 0

    def _step(self, delta: int) -> None:
        n = self._layer_channels()
        if n:
            self.select(self.layer, (self.channel + delta) % n)
            self.channelChanged.emit(self.layer, self.channel)

    def _rank(self) -> None:
        ctx, s = self.ctx, self.sweep
        m = next((m for m in ctx.map_layers if m.id == self.layer), None) if ctx is not None else None
        name = f"{m.source} map {self.channel}" if m is not None else "–"
        self.title.setText(
            f"<b>What excites {name}?</b> The test images it responds to most (its peak value under each)"
        )
        self.indices, self.responses, self._images = np.empty(0, dtype=np.int64), np.empty(0), []
        if ctx is not None and s is not None and self.layer in s.channel_max:
            peaks = s.channel_max[self.layer]
            if self.channel < peaks.shape[1]:
                self.responses = peaks[:, self.channel]
                self.indices = top_indices(self.responses)
                self._images = [grey_image(ctx.test_images[i].max(axis=0)) for i in self.indices]
        self.grid.update()

    def paint_grid(self, p: QPainter, width: int, height: int) -> None:
        t = self.theme
        p.fillRect(QRectF(0, 0, width, height), QColor(t.panel))
        if not self._images:
            p.setPen(QColor(t.muted_text))
            p.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "Measuring the test set…")
            return
        p.setFont(theme_font(t))
        line = p.fontMetrics().height() + 2
        n = len(self._images)
        cols = 4 if width >= 320 else 3
        rows = -(-n // cols)
        cell_w = width / cols
        side = max(16.0, min(cell_w - 14, height / rows - 2 * line - 8))
        names = self.ctx.class_names
        for i, (image, idx) in enumerate(zip(self._images, self.indices)):
            r, c = divmod(i, cols)
            x = c * cell_w + (cell_w - side) / 2
            y = r * (side + 2 * line + 8) + 4
            draw_pixels(p, fitted(QRectF(x, y, side, side), image.height(), image.width()), image)
            label = int(self.ctx.test_labels[idx])
            for k, (text, colour) in enumerate(
                (
                    (f"“{names[label] if label < len(names) else label}”", t.text),
                    (f"{self.responses[idx]:.2f}", t.muted_text),
                )
            ):
                p.setPen(QColor(colour))
                shown = p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(cell_w - 4))
                p.drawText(
                    QRectF(c * cell_w, y + side + 1 + k * line, cell_w, line), Qt.AlignmentFlag.AlignHCenter, shown
                )

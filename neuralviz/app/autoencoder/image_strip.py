"""ImageStrip: a few small greyscale images in a grid, painted (no widget per image), each with a caption.

Pixels are drawn as ink on paper (dark = 1), scaled up without smoothing so an 8x8 digit shows its 64 squares;
the cells take all the width they are given and stay square. A frame sets new arrays (`show`); nothing is
built per frame.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.render import grey_qimage
from ..common.theme import Theme
from ..lecture.fonts import font


class ImageStrip(QWidget):
    def __init__(self, theme: Theme, rows: int = 1, min_cell: int = 24, max_cell: int = 400):
        super().__init__()
        self.theme = theme
        self.rows = rows
        self.min_cell = min_cell
        self.max_cell = max_cell
        self.images: list[np.ndarray] = []
        self.captions: list[str] = []
        self.row_titles: list[str] = []
        self.highlight: set[int] = set()
        self.placeholder = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.updateGeometry()
        self.update()

    def show_images(self, images, captions=(), highlight=()) -> None:
        """images: (N, H, W) in [0, 1] (or a list of such arrays); captions: one short text per image."""
        self.images = [np.asarray(a, dtype=np.float32) for a in images]
        self.captions = list(captions)
        self.highlight = set(highlight)
        self.update()

    def clear(self, placeholder: str = "") -> None:
        self.images, self.captions, self.placeholder = [], [], placeholder
        self.update()

    # ------------------------------------------------------------------ geometry
    def _caption_font(self):
        return font(self.theme.plot_font_pt + 1)

    def _caption_height(self) -> int:
        return QFontMetrics(self._caption_font()).height() + 4 if self.captions else 0

    def _cols(self) -> int:
        return max(1, -(-len(self.images) // self.rows)) if self.images else 1

    def _cell(self) -> float:
        """Side of one square image: as large as width and height allow."""
        cols, gap = self._cols(), 6
        # 3 pixels spare: a highlighted image's frame is drawn half outside its square
        by_width = (self.width() - 3 - gap * (cols - 1) - self._title_width()) / cols
        by_height = (self.height() - 3 - self.rows * self._caption_height() - gap * (self.rows - 1)) / self.rows
        return float(max(4.0, min(by_width, by_height, self.max_cell)))

    def _title_width(self) -> int:
        if not self.row_titles:
            return 0
        metrics = QFontMetrics(font(self.theme.font_pt))
        return max(metrics.horizontalAdvance(t) for t in self.row_titles) + 10

    def sizeHint(self) -> QSize:
        cell = max(self.min_cell, 48)
        return QSize(cell * max(1, self._cols()), self.rows * (cell + self._caption_height()))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.min_cell * 2, self.rows * (self.min_cell + self._caption_height()))

    # ------------------------------------------------------------------ drawing
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setFont(font(self.theme.font_pt))
        if not self.images:
            p.setPen(QColor(self.theme.muted_text))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        cols, gap, cell = self._cols(), 6, self._cell()
        left = self._title_width()
        x0 = left + max(1.5, (self.width() - left - cols * cell - gap * (cols - 1)) / 2)
        row_h = cell + self._caption_height()
        y0 = max(1.5, (self.height() - self.rows * row_h - gap * (self.rows - 1)) / 2)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for r, title in enumerate(self.row_titles[: self.rows]):
            p.setPen(QColor(self.theme.text))
            p.drawText(QRectF(0, y0 + r * (row_h + gap), left - 6, cell), Qt.AlignmentFlag.AlignVCenter, title)
        for i, image in enumerate(self.images):
            r, c = divmod(i, cols)
            box = QRectF(x0 + c * (cell + gap), y0 + r * (row_h + gap), cell, cell)
            p.drawImage(box, grey_qimage(1.0 - np.clip(image, 0.0, 1.0)))
            highlighted = i in self.highlight
            width = 3.0 if highlighted else 1.0
            p.setPen(QPen(QColor(self.theme.text if highlighted else self.theme.muted_text), width))
            p.drawRect(box)
            if i < len(self.captions) and self.captions[i]:
                p.setFont(self._caption_font())
                p.setPen(QColor(self.theme.text))
                text_box = QRectF(box.left() - gap / 2, box.bottom() + 2, cell + gap, self._caption_height())
                text = p.fontMetrics().elidedText(self.captions[i], Qt.TextElideMode.ElideRight, int(cell + gap))
                p.drawText(text_box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)

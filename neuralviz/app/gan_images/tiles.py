"""TileGrid: small greyscale images as a grid of square tiles, scaled with hard pixel edges, that can be clicked.

The image GAN draws its sample grid, the real digits, the interpolation strip and the "a − b + c" row with it.
Pixels stay square and sharp (nearest-neighbour scaling): an 8×8 digit blown up smoothly looks like a blur, and
the point of the grid is to see each of its 64 pixels settle. Strokes are drawn as ink on paper (1 dark, −1
white): dark on light reads best on a projector, and handwriting looks like that. Marked tiles get a coloured
frame and a letter (the picks a, b, c). Painting reads only the images handed to `show_images` (its own QImages).
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

GAP = 0.08  # space between tiles, as a fraction of a tile
EDGE = QColor("#aab2bb")  # a tile's thin frame: white paper on a white panel needs an edge


def to_grey(image: np.ndarray) -> QImage:
    """An (H, W) image in [-1, 1] as a greyscale QImage that owns its pixels (1 black ink, −1 white paper)."""
    g = np.ascontiguousarray(np.clip((1.0 - image) * 127.5, 0, 255).astype(np.uint8))
    h, w = g.shape
    return QImage(g.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class TileGrid(QWidget):
    clicked = pyqtSignal(int)  # the tile index under a left click

    def __init__(self, columns: int, rows: int, parent=None, claims_height: bool = True):
        """claims_height: the grid asks for the height its width gives square tiles (height-for-width); off, it
        takes the height its layout gives it and draws smaller tiles (a grid stacked over a plot, which
        would otherwise squeeze the plot on a short window)."""
        super().__init__(parent)
        self.columns, self.rows = columns, rows
        self.claims_height = claims_height
        self.tiles: list[QImage] = []
        self.marks: dict[int, tuple[str, str]] = {}  # tile -> (letter, colour)
        self.background = QColor("#ffffff")
        self.label_font = QFont()
        self.label_font.setBold(True)
        self.clickable = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(columns * 12, rows * 12)

    def show_images(self, images: np.ndarray, marks: dict[int, tuple[str, str]] | None = None) -> None:
        """Up to columns × rows images (n, H, W) in [-1, 1], row by row; marks: tile -> (letter, colour)."""
        self.tiles = [to_grey(im) for im in np.asarray(images)[: self.columns * self.rows]]
        self.marks = dict(marks or {})
        self.update()

    def set_background(self, colour: str) -> None:
        self.background = QColor(colour)
        self.update()

    def set_clickable(self, on: bool) -> None:
        self.clickable = on
        self.setCursor(Qt.CursorShape.PointingHandCursor if on else Qt.CursorShape.ArrowCursor)

    # ------------------------------------------------------------------ geometry
    def tile_size(self) -> float:
        """The side of one tile in pixels: the grid fills the widget's shorter fit, tiles square."""
        pitch = min(self.width() / self.columns, self.height() / self.rows)
        return pitch / (1.0 + GAP)

    def tile_rect(self, index: int) -> QRectF:
        size = self.tile_size()
        pitch = size * (1.0 + GAP)
        left = (self.width() - pitch * self.columns) / 2 + size * GAP / 2
        top = (self.height() - pitch * self.rows) / 2 + size * GAP / 2
        r, c = divmod(index, self.columns)
        return QRectF(left + c * pitch, top + r * pitch, size, size)

    def tile_at(self, x: float, y: float) -> int | None:
        for i in range(min(len(self.tiles), self.columns * self.rows)):
            if self.tile_rect(i).adjusted(-2, -2, 2, 2).contains(x, y):
                return i
        return None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.columns * 40, self.rows * 40)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return self.claims_height

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return int(width * self.rows / self.columns)

    # ------------------------------------------------------------------ Qt events
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), self.background)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.setPen(QPen(EDGE, 1.0))
        for i, tile in enumerate(self.tiles):
            rect = self.tile_rect(i)
            p.drawImage(rect, tile)
            p.drawRect(rect)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for i, (letter, colour) in self.marks.items():
            if i >= len(self.tiles):
                continue
            rect = self.tile_rect(i)
            width = max(2.0, rect.width() * 0.07)
            p.setPen(QPen(QColor(colour), width))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(-width / 2, -width / 2, width / 2, width / 2))
            if letter:
                badge = QRectF(rect.left(), rect.top(), rect.width() * 0.3, rect.height() * 0.3)
                p.fillRect(badge, QColor(colour))
                self.label_font.setPixelSize(max(8, int(badge.height() * 0.8)))  # the letter scales with its tile
                p.setFont(self.label_font)
                p.setPen(QColor("#ffffff"))
                p.drawText(badge, Qt.AlignmentFlag.AlignCenter, letter)
        p.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.clickable and event.button() == Qt.MouseButton.LeftButton:
            tile = self.tile_at(event.position().x(), event.position().y())
            if tile is not None:
                self.clicked.emit(tile)
                return
        super().mousePressEvent(event)

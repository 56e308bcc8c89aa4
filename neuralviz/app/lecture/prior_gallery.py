"""The prior scene's gallery widgets: GalleryBoard places one Gallery per architecture (its title, a line
describing the network, and a MapMosaic of its maps) where plan_galleries (prior_layout.py) says, whenever
the size or the fonts change.
"""

from __future__ import annotations

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QImage, QPainter, QPen
from PyQt6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..common.theme import Theme
from .fonts import font
from .prior_layout import GAP, LABEL_GAP, SPACING, GalleryPlan, plan_galleries

__all__ = ["GalleryBoard", "Gallery", "MapMosaic"]


class MapMosaic(QWidget):
    """One gallery's maps: columns x rows square tiles, sized and placed by the board (GalleryBoard)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.images: list[QImage] = []
        self.columns, self.tile = 1, 1

    def set_images(self, images: list[QImage]) -> None:
        self.images = images
        self.update()

    def set_shape(self, columns: int, tile: int) -> None:
        self.columns, self.tile = columns, tile
        self.update()

    def tile_size(self) -> int:
        return self.tile

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setPen(QPen(QColor("#9aa4ae"), 1))
        step = self.tile + GAP
        for k, image in enumerate(self.images):
            row, col = divmod(k, self.columns)
            rect = QRectF(col * step + 0.5, row * step + 0.5, self.tile - 1, self.tile - 1)
            painter.drawImage(rect, image)
            painter.drawRect(rect)
        painter.end()


class Gallery:
    """One architecture: its name, a line describing it, and its mosaic of maps."""

    def __init__(self, label: str, description: str, parent: QWidget):
        self.title = QLabel(_keep_together(label), parent)
        self.subtitle = QLabel(description, parent)
        for w in (self.title, self.subtitle):
            w.setWordWrap(True)  # a narrow gallery wraps its title: it never widens the view
        self.mosaic = MapMosaic(parent)

    def label_height(self, width: int) -> int:
        return self.title.heightForWidth(width) + self.subtitle.heightForWidth(width)

    def place(self, x: int, y: int, plan: GalleryPlan, cell: int) -> None:
        """The mosaic at (x, y); the labels above it (centred in a cell `cell` wide) or in the column left of it."""
        mw, mh = plan.mosaic_size()
        if plan.beside:
            th, sh = self.title.heightForWidth(plan.label), self.subtitle.heightForWidth(plan.label)
            top = y + (mh - th - sh) // 2
            self._set(self.title, x - SPACING - plan.label, top, plan.label, th, Qt.AlignmentFlag.AlignLeft)
            self._set(self.subtitle, x - SPACING - plan.label, top + th, plan.label, sh, Qt.AlignmentFlag.AlignLeft)
        else:
            left = x + (mw - cell) // 2
            th, sh = self.title.heightForWidth(cell), self.subtitle.heightForWidth(cell)
            bottom = y - LABEL_GAP  # bottom-aligned: each subtitle sits on its maps, whatever wraps above
            self._set(self.subtitle, left, bottom - sh, cell, sh, Qt.AlignmentFlag.AlignHCenter)
            self._set(self.title, left, bottom - sh - th, cell, th, Qt.AlignmentFlag.AlignHCenter)
        self.mosaic.setGeometry(x, y, mw, mh)
        self.mosaic.set_shape(plan.columns, plan.tile)

    @staticmethod
    def _set(label: QLabel, x: int, y: int, w: int, h: int, align: Qt.AlignmentFlag) -> None:
        label.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        label.setGeometry(x, y, w, h)

    def set_theme(self, theme: Theme) -> None:
        self.title.setFont(font(theme.title_pt * 1.3, bold=True))
        self.subtitle.setFont(font(theme.font_pt * 1.2))
        self.title.setStyleSheet(f"color: {theme.text};")
        self.subtitle.setStyleSheet(f"color: {theme.muted_text};")


class GalleryBoard(QWidget):
    """The galleries, placed by plan_galleries whenever the size or the fonts change, centred."""

    def __init__(self, labels: list[tuple[str, str]], maps: int, parent=None):
        super().__init__(parent)
        self.maps = maps
        self.galleries = [Gallery(label, description, self) for label, description in labels]
        self.plan: GalleryPlan | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.arrange()

    def label_height(self, width: int) -> int:
        return max(g.label_height(width) for g in self.galleries)

    def arrange(self) -> None:
        width, height = self.width(), self.height()
        plan = self.plan = plan_galleries(width, height, len(self.galleries), self.maps, self.label_height)
        mw, mh = plan.mosaic_size()
        if plan.beside:
            cell, cell_h = mw, mh
            total_w = plan.label + SPACING + mw
        else:
            cell, cell_h = (width - (plan.across - 1) * SPACING) // plan.across, plan.label + mh
            total_w = plan.across * cell + (plan.across - 1) * SPACING
        x0 = (width - total_w) // 2 + (plan.label + SPACING if plan.beside else (cell - mw) // 2)
        y0 = (height - plan.down * cell_h - (plan.down - 1) * SPACING) // 2 + (0 if plan.beside else plan.label)
        for i, gallery in enumerate(self.galleries):
            down, across = divmod(i, plan.across)
            gallery.place(x0 + across * (cell + SPACING), y0 + down * (cell_h + SPACING), plan, cell)


def _keep_together(label: str) -> str:
    """Spaces inside parentheses made non-breaking: 'wide shallow tanh (1 x 64)' wraps before the
    parenthesis, never as '(1 x' / '64)'."""
    out, depth = [], 0
    for ch in label:
        depth += (ch == "(") - (ch == ")")
        out.append("\u00a0" if ch == " " and depth > 0 else ch)
    return "".join(out)

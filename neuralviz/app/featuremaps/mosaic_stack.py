"""MosaicStack: titled rows of mosaics, one per layer (the base of the maps and filters views).

Each row is a caption and a mosaic of that layer's maps. All rows draw their maps about equally tall on
screen (a 28x28 map and a 7x7 one both about `cell` pixels): the largest cell for which every row fits
the widget is chosen, so deep layers with small maps are not lost beside the big ones. Layouts are worked
out when the rows or the widget size change; a frame only re-rasterises the mosaics (mosaic.py) and
repaints. Clicking a map emits mapClicked(row key, map index); a selected map is outlined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme, diverging_lut
from .drawing import rgba_image, theme_font
from .mosaic import MosaicLayout, MosaicPainter, layout_for_cell

GAP = 3
ROW_SPACING = 8
MAX_CELL = 160  # screen pixels: the tallest a map is drawn
MIN_CELL = 12  # ... and the least (below, the view scrolls)
MAX_SCALE = 24  # screen pixels per map pixel at most (1x1 and 2x2 maps would otherwise be huge)
TITLE_SCALES = (1.0, 0.9, 0.8)  # a row title's font, tried in turn until the title fits its line
MAX_MAPS = 64  # more maps than this per row: the first 64 are shown (the caption says so)


@dataclass(frozen=True)
class RowSpec:
    key: str  # what clicks report (a layer id)
    title: str
    count: int
    map_h: int
    map_w: int
    cols_step: int = 1  # keep groups of maps on one line (filters: the in-channels)
    limit: int = MAX_MAPS  # at most this many maps are drawn (the title says so)
    gap: int = GAP  # pixels between maps
    zoom: float = 1.0  # drawn this much taller than the common cell (to stand out)


def title_parts(title: str, caption: str, fm: QFontMetrics, room: int) -> tuple[str, str]:
    """What a row's title line shows in `room` pixels: (left text, right-aligned muted text).

    The whole title and the caption (the colour scale) where both fit; else the title alone; else, in a
    narrow column (large fonts on a 1024-pixel projector), the title cut at its " · " with the rest ("8 maps
    of 4x4") right-aligned where it fits, so the layer and its size both stay readable; else the title cut
    short with "…". One line in every case: a taller title would take its height from the maps."""
    gap = 16
    width = fm.horizontalAdvance(title)
    if caption and width + gap + fm.horizontalAdvance(caption) <= room:
        return title, caption
    if width <= room:
        return title, ""
    head, sep, tail = title.partition(" · ")
    if sep and fm.horizontalAdvance(head) + gap + fm.horizontalAdvance(tail) <= room:
        return head, tail
    return fm.elidedText(title, Qt.TextElideMode.ElideRight, max(0, room)), ""


class MosaicStack(QWidget):
    mapClicked = pyqtSignal(str, int)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.rows: tuple[RowSpec, ...] = ()
        self.layouts: list[MosaicLayout] = []
        self.origins: list[QPointF] = []
        self.images: dict[str, QImage] = {}
        self.captions: dict[str, str] = {}
        self._data: dict[str, tuple] = {}  # key -> the last (maps, vmin, vmax): redrawn on resize
        self.selected: tuple[str, int] | None = None
        self.placeholder = ""
        self.painter = MosaicPainter(diverging_lut(theme))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 120)
        # it paints every pixel itself: Qt need not repaint the panel beneath it on each frame
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    # ------------------------------------------------------------------ set-up
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter = MosaicPainter(diverging_lut(theme))
        self._relayout()  # fonts change the title heights; the colours need a new rasterising

    def set_rows(self, rows: tuple[RowSpec, ...]) -> None:
        self.rows = tuple(rows)
        self.images.clear()
        self.captions.clear()
        self._data.clear()
        self._relayout()

    def set_selected(self, key: str | None, index: int = 0) -> None:
        self.selected = None if key is None else (key, int(index))
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _title_height(self) -> int:
        return int(self.fontMetrics().height() * 1.0) + 4

    def _layouts(self, cell: int, width: int) -> list[MosaicLayout]:
        return [
            layout_for_cell(
                min(r.count, r.limit),
                r.map_h,
                r.map_w,
                min(cell * r.zoom, MAX_SCALE * r.map_h),
                width,
                r.gap,
                r.cols_step,
            )
            for r in self.rows
        ]

    def _relayout(self) -> None:
        """The largest common map height (cell) at which all rows fit; at the smallest, the widget grows
        (the views sit in scroll areas)."""
        self.setFont(theme_font(self.theme))
        width = max(40, self.width() - 12)
        title_h = self._title_height()
        free = self.height() - len(self.rows) * (title_h + ROW_SPACING) - 8
        smallest = layouts = self._layouts(MIN_CELL, width)
        for cell in range(MAX_CELL, MIN_CELL - 1, -1):
            candidate = self._layouts(cell, width)
            if sum(l.height for l in candidate) <= free:
                layouts = candidate
                break
        self.layouts, self.origins = layouts, []
        y = 4.0
        for layout in layouts:
            self.origins.append(QPointF(6, y + title_h))
            y += title_h + layout.height + ROW_SPACING
        # the least height the rows need (at the smallest scale): the view can shrink and grow again
        least = 12 + sum(title_h + l.height + ROW_SPACING for l in smallest)
        self.setMinimumHeight(min(least, 4000))
        for key, data in list(self._data.items()):
            self._render(key, *data)
        self.update()

    # ------------------------------------------------------------------ frames
    def show_maps(self, key: str, maps: np.ndarray, vmax: float, vmin: float | None = None, caption: str = "") -> None:
        """Rasterise one row's maps (N, h, w) with the colour scale vmin..vmax (default -vmax..vmax)."""
        self._data[key] = (maps, -vmax if vmin is None else vmin, vmax)
        self.captions[key] = caption
        self._render(key, *self._data[key])

    def _render(self, key: str, maps: np.ndarray, lo: float, hi: float) -> None:
        i = next((k for k, r in enumerate(self.rows) if r.key == key), None)
        if i is None or i >= len(self.layouts):
            return
        layout = self.layouts[i]
        maps = maps[: layout.count]
        if maps.shape == (layout.count, layout.map_h, layout.map_w):
            self.images[key] = rgba_image(self.painter.render(maps, layout, lo, hi))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self.theme.panel))
        p.setFont(theme_font(self.theme))
        fm = p.fontMetrics()
        title_h = self._title_height()
        if not self.rows and self.placeholder:
            p.setPen(QColor(self.theme.muted_text))
            p.drawText(
                QRectF(self.rect()).adjusted(10, 10, -10, -10),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            return
        for r, layout, origin in zip(self.rows, self.layouts, self.origins):
            p.setPen(QColor(self.theme.text))
            title = r.title + ("" if r.count <= r.limit else f" (first {r.limit} of {r.count})")
            room = int(self.width() - 8 - origin.x())
            for scale in TITLE_SCALES:  # a long title shrinks a little before it is cut short
                font = theme_font(self.theme, scale)
                left, right = title_parts(title, self.captions.get(r.key, ""), QFontMetrics(font), room)
                if not left.endswith("…"):
                    break
            p.setFont(font)
            baseline = origin.y() - title_h + fm.ascent() + 1
            p.drawText(QPointF(origin.x(), baseline), left)
            if right:
                p.setPen(QColor(self.theme.muted_text))
                p.drawText(QPointF(self.width() - p.fontMetrics().horizontalAdvance(right) - 8, baseline), right)
            image = self.images.get(r.key)
            if image is not None:
                p.drawImage(origin, image)
            if self.selected and self.selected[0] == r.key and self.selected[1] < layout.count:
                x, y = layout.cell_origin(self.selected[1])
                pen = QPen(QColor(self.theme.text), 3 if self.theme.high_contrast else 2)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(origin.x() + x - 2, origin.y() + y - 2, layout.cell_w + 3, layout.cell_h + 3))

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        for r, layout, origin in zip(self.rows, self.layouts, self.origins):
            i = layout.cell_at(pos.x() - origin.x(), pos.y() - origin.y())
            if i is not None:
                self.mapClicked.emit(r.key, i)
                return
        super().mousePressEvent(event)

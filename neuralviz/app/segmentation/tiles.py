"""The small picture widgets of the segmentation board: one map with square pixels (MapTile), a row of a class's
fuzzy score through the iterations (ScoreStrip), the learned update's filters (FilterGrid) and the class legend.

Each is built once (a strip or grid again only when the number of its pictures changes, never per frame) and
shown from arrays: RGB uint8 maps, probabilities on the score scale (neutral 0 .. blue 1), filters on the
diverging map (orange negative, blue positive) scaled by the largest |weight| shown.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..common.theme import Theme, diverging_lut
from ..lecture.fonts import font
from .maps import score_lut
from .painting import BRUSH

MAX_STRIP = 6  # score pictures in the strip at most (iterations picked evenly, first and last always)


def _image_box(layout: pg.GraphicsLayout, row: int, col: int) -> tuple[pg.ViewBox, pg.ImageItem]:
    box = layout.addViewBox(row=row, col=col, lockAspect=True, invertY=True, enableMouse=False)
    box.setMenuEnabled(False)
    item = pg.ImageItem()
    box.addItem(item)
    return box, item


class MapTile(pg.GraphicsLayoutWidget):
    """One picture, square pixels, scaled to fit: an RGB uint8 map, or values on a lookup table."""

    def __init__(self, square: bool = True):
        super().__init__()
        self.square = square  # no taller than wide (a map of the top row; the strip sizes its own pictures)
        self.box, self.item = _image_box(self.ci, 0, 0)
        self.frame: pg.QtWidgets.QGraphicsRectItem | None = None
        self.box.sigResized.connect(self._fit)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.setMinimumSize(90, 90)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name; small, so the layouts' stretch factors share the room
        return QSize(200, 200)

    def resizeEvent(self, event) -> None:  # noqa: N802
        """No taller than wide (the maps are square): a narrow screen's spare height goes to the panels below."""
        super().resizeEvent(event)
        if getattr(self, "square", False):
            self.setMaximumHeight(max(self.minimumHeight(), self.width() + 4))

    def _fit(self, *_) -> None:
        """The picture fills the box (a framed one with room for its frame); runs again whenever the box is
        resized, or a locked aspect would keep the range of the box's earlier shape."""
        if self.item.image is not None:
            self.box.autoRange(padding=0.03 if self.frame is not None else 0.0)

    def set_framed(self, colour: str | None) -> None:
        """A thick frame round the picture in `colour` (None: no frame): the strip marks the slider's iteration."""
        if self.frame is None:
            self.frame = pg.QtWidgets.QGraphicsRectItem()
            self.frame.setZValue(10)
            self.box.addItem(self.frame, ignoreBounds=True)
        self.frame.setPen(pg.mkPen(colour, width=4) if colour else pg.mkPen(None))

    def show_rgb(self, rgb: np.ndarray) -> None:
        self.item.setLookupTable(None)
        self.item.setImage(np.ascontiguousarray(rgb), autoLevels=False, levels=(0, 255))
        self._fit()

    def show_values(self, values: np.ndarray, lut: np.ndarray, levels: tuple[float, float]) -> None:
        self.item.setImage(np.asarray(values, np.float32), autoLevels=False, levels=levels, lut=lut)
        if self.frame is not None:
            self.frame.setRect(0, 0, values.shape[1], values.shape[0])
        self._fit()


class StrokeImage(pg.ImageItem):
    """An ImageItem that turns a left-button drag (or click) into a stroke of (row, col) points: `on_point` sees
    each point as it comes (the live trace), `on_stroke` the whole stroke at the release."""

    def __init__(self, on_point, on_stroke):
        super().__init__()
        self.on_point, self.on_stroke = on_point, on_stroke
        self.points: list[tuple[float, float]] = []

    def _add(self, ev) -> None:
        p = ev.pos()
        self.points.append((float(p.y()), float(p.x())))
        self.on_point(self.points)

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's name
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self.points = []
        self._add(ev)
        if ev.isFinish():
            self.on_stroke(list(self.points))

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.points = []
        self._add(ev)
        self.on_stroke(list(self.points))


class PaintTile(MapTile):
    """The test image, painted on with the mouse: a drag traces a stroke in the brush's colour at once, and its
    points, in image pixels (row, col), go out with `stroked` at the release (the worker paints the pixels)."""

    stroked = pyqtSignal(object)  # list of (row, col) points

    def __init__(self):
        super().__init__()
        self.box.removeItem(self.item)
        self.item = StrokeImage(self._trace, self.stroked.emit)
        self.box.addItem(self.item)
        self.trace = pg.PlotDataItem()
        self.trace.setZValue(5)
        self.box.addItem(self.trace, ignoreBounds=True)
        self.brush_colour = (0, 0, 0)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to paint the class chosen under “Paint”: both nets answer for the painted scene")

    def _trace(self, points) -> None:
        rows, cols = np.array(points, dtype=np.float64).reshape(-1, 2).T
        side = self.item.image.shape[1] if self.item.image is not None else 64
        pen = pg.mkPen(self.brush_colour, width=max(3.0, self.box.width() * (2 * BRUSH + 1) / side))
        self.trace.setData(cols + 0.5, rows + 0.5, pen=pen, symbol=None)

    def show_rgb(self, rgb: np.ndarray) -> None:
        self.trace.setData([], [])  # the worker's picture now holds the stroke
        super().show_rgb(rgb)


def strip_iterations(k: int, most: int = MAX_STRIP) -> list[int]:
    """The iterations 0..k the strip shows: all of them if they fit, else `most` spread evenly (0 and k kept)."""
    if k + 1 <= most:
        return list(range(k + 1))
    return sorted({int(round(v)) for v in np.linspace(0, k, most)})


class ScoreStrip(QWidget):
    """One class's probability at a few iterations side by side (Qt columns of a label over a MapTile, so a
    label never widens its column), the one nearest the slider's iteration framed."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.theme = theme
        self.shown: list[int] = []
        self.tiles: list[MapTile] = []
        self.labels: list[QLabel] = []
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        self._k = -1
        self.most = MAX_STRIP
        self.scores: np.ndarray | None = None
        self.current = 0
        self.setMinimumSize(160, 90)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(400, 120)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._k = -1  # rebuilt with the new fonts at the next show
        if self.scores is not None:
            self.show_scores(self.scores, self.current)

    def resizeEvent(self, event) -> None:  # noqa: N802
        """As many pictures as leave each label room (large fonts, a narrow screen), and no taller than one row
        of square pictures under their labels: spare height goes below, not between."""
        super().resizeEvent(event)
        most = int(np.clip(self.width() // (6.0 * self.theme.plot_font_pt), 2, MAX_STRIP))
        if most != self.most:
            self.most = most
            self._k = -1
            if self.scores is not None:
                self.show_scores(self.scores, self.current)
        n = max(1, len(self.shown) or most)
        label = self.labels[0].sizeHint().height() if self.labels else 2.2 * self.theme.plot_font_pt
        side = (self.width() - self.row.spacing() * (n - 1)) / n
        self.setMaximumHeight(int(label + side + 8))

    def _build(self, k: int) -> None:
        _clear(self.row)
        self._k, self.shown = k, strip_iterations(k, self.most)
        self.tiles, self.labels = [], []
        for it in self.shown:
            column = QVBoxLayout()
            column.setSpacing(1)
            label = QLabel(f"k = {it}")
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            label.setFont(font(self.theme.plot_font_pt + 1))
            tile = MapTile(square=False)
            tile.setMinimumSize(30, 30)
            tile.setBackground(self.theme.background)
            column.addWidget(label)
            column.addWidget(tile, 1)
            self.row.addLayout(column, 1)
            self.labels.append(label)
            self.tiles.append(tile)

    def show_scores(self, scores: np.ndarray, current: int) -> None:
        """scores: (K + 1, H, W) probabilities of one class; current: the slider's iteration (framed)."""
        self.scores, self.current = scores, current
        k = len(scores) - 1
        if k != self._k:
            self._build(k)
        lut = score_lut(self.theme)
        near = min(self.shown, key=lambda it: abs(it - current))
        for it, tile, label in zip(self.shown, self.tiles, self.labels):
            on = it == near
            tile.set_framed(self.theme.text if on else None)
            tile.show_values(scores[it], lut, (0.0, 1.0))
            label.setFont(font(self.theme.plot_font_pt + 1, bold=on))


class FilterGrid(pg.GraphicsLayoutWidget):
    """A 4-D weight's (rows, cols) small kernels, one heat-map each, on one colour scale."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.theme = theme
        self.items: list[list[pg.ImageItem]] = []
        self._shape: tuple[int, int] | None = None
        self.setMinimumSize(120, 90)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.ci.layout.setSpacing(1)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, 120)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        self._shape = None

    def _build(self, rows: int, cols: int) -> None:
        self.clear()
        self._shape = (rows, cols)
        self.items = [[_image_box(self.ci, r, c)[1] for c in range(cols)] for r in range(rows)]

    def show_filters(self, weights: np.ndarray) -> None:
        """weights: (rows, cols, kh, kw)."""
        rows, cols = weights.shape[:2]
        if (rows, cols) != self._shape:
            self._build(rows, cols)
        scale = float(np.max(np.abs(weights))) or 1.0
        lut = diverging_lut(self.theme)
        for r in range(rows):
            for c in range(cols):
                item = self.items[r][c]
                item.setImage(np.asarray(weights[r, c], np.float32), autoLevels=False, levels=(-scale, scale), lut=lut)
                item.getViewBox().autoRange(padding=0.05)


class ClassLegend(QWidget):
    """A swatch of each class's colour beside its name, in one row."""

    def __init__(self):
        super().__init__()
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(14)
        self.entries: list[QLabel] = []
        self._key: tuple | None = None
        self._pt = 10.0

    def set_font_size(self, points: float) -> None:
        self._pt = points
        self._key = None

    def show_classes(self, names: tuple[str, ...], colours: np.ndarray) -> None:
        key = (names, colours.tobytes())
        if key == self._key:
            return
        self._key = key
        _clear(self.row)
        self.entries = []
        self.row.addWidget(_plain_label("Classes:", self._pt, bold=True))
        for name, (r, g, b) in zip(names, colours):
            swatch = f"<span style='background-color: rgb({r},{g},{b}); color: rgb({r},{g},{b});'>████</span>"
            label = _plain_label(f"{swatch}&nbsp;{name}", self._pt)
            self.entries.append(label)
            self.row.addWidget(label)
        self.row.addStretch(1)


def _clear(layout) -> None:
    """Empties a layout, deleting its widgets and those of the layouts inside it."""
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
        elif item.layout() is not None:
            _clear(item.layout())


def _plain_label(text: str, points: float, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setFont(font(points, bold=bold))
    return label

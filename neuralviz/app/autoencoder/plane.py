"""LatentPlane: the auto-encoder's 2-D code space, every test image a dot coloured by its class.

Mouse: a click decodes that point (pointClicked); a drag draws a line to walk (lineDrawn; an end that lands
on a dot snaps to that image, so the line follows it as the code moves); Shift+click picks the nearest dot
as the next term of a - b + c (dotPicked). Under the dots, faintly, a grid of decodes shows what every place
of the plane decodes to (Kingma & Welling 2013, Fig. 4: the gaps between the clusters decode to blurs). Over
them: the decoded point (a cross), the line with its decodes' places, and the parallelogram a, b, c,
a - b + c. The bounds come from the frame (data percentiles: an auto-encoder's code has no fixed scale).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from ..lecture.fonts import font
from .run import UNDERLAY, AutoencoderFrame

SNAP = 0.03  # an end of a drag within this share of the plane's width of a dot snaps to it
INK = "#111111"
RESULT = "#c2185b"  # the arithmetic's fourth vertex and its edges
UNDERLAY_OPACITY = 0.35  # the decoded grid under the dots: readable, yet the dots stay on top
EXTRA_CLASSES = ("#8c564b", "#9e9e9e", "#2e7d32", "#7b1fa2")  # beyond the theme's eight: ten digits need two more


def class_colour(theme: Theme, c: int, k: int) -> str:
    """Colour of class c of k: the theme's, and distinct ones past its palette (the theme's repeat after eight)."""
    if k <= len(theme.classes) or c < len(theme.classes):
        return theme.class_color(c, k)
    return EXTRA_CLASSES[(c - len(theme.classes)) % len(EXTRA_CLASSES)]


class _PlaneBox(pg.ViewBox):
    """A ViewBox whose drags are the plane's questions, not pan and zoom. (Clicks come from the scene's
    sigMouseClicked, which fires whatever item is under the pointer: a dot would otherwise take the click.)"""

    def __init__(self, plane: LatentPlane):
        super().__init__(enableMenu=False)
        self.setMouseEnabled(False, False)
        self._plane = plane

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        a = self.mapSceneToView(ev.buttonDownScenePos())
        b = self.mapSceneToView(ev.scenePos())
        self._plane.drag((a.x(), a.y()), (b.x(), b.y()), ev.isFinish())

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802 - the bounds follow the data, not the wheel
        ev.ignore()


class LatentPlane(QWidget):
    pointClicked = pyqtSignal(float, float)
    lineDrawn = pyqtSignal(object, object)  # two ends: ("code", (x, y)) or ("image", i)
    dotPicked = pyqtSignal(int)

    def __init__(self, theme: Theme):
        super().__init__()
        configure_pyqtgraph()
        self.theme = theme
        self.frame: AutoencoderFrame | None = None
        self.plot = pg.PlotWidget(viewBox=_PlaneBox(self))
        self.plot.hideButtons()
        self.plot.setMinimumSize(200, 200)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        self.underlay = pg.ImageItem()
        self.underlay.setOpacity(UNDERLAY_OPACITY)
        self.dots = pg.ScatterPlotItem(pxMode=True)
        self.line = pg.PlotDataItem()
        self.preview = pg.PlotDataItem()
        self.sides = pg.PlotDataItem()
        self.result_sides = pg.PlotDataItem()
        self.marker = pg.ScatterPlotItem(pxMode=True)
        self.corner_labels = [pg.TextItem(anchor=(0.5, 1.2)) for _ in range(4)]
        for it in (self.underlay, self.dots, self.sides, self.result_sides, self.line, self.preview, self.marker):
            item.addItem(it)
        for t in self.corner_labels:
            item.addItem(t)
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)
        self._brushes: list = []
        self._labels_key: bytes | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.setBackground(theme.panel)
        style_plot(self.plot.getPlotItem(), theme, {"bottom": "code value 1", "left": "code value 2"})
        width = theme.line_width
        self.line.setPen(pg.mkPen(INK, width=width + 0.5, style=Qt.PenStyle.DashLine))
        self.line.setSymbol("o")
        self.line.setSymbolSize(theme.point_size + 2)
        self.line.setSymbolBrush(pg.mkBrush("#ffffff"))
        self.line.setSymbolPen(pg.mkPen(INK, width=2))
        self.preview.setPen(pg.mkPen(INK, width=width, style=Qt.PenStyle.DotLine))
        self.sides.setPen(pg.mkPen(INK, width=width))
        self.result_sides.setPen(pg.mkPen(RESULT, width=width + 0.5, style=Qt.PenStyle.DashLine))
        for t in self.corner_labels:
            t.setFont(font(theme.plot_font_pt + 3, bold=True))
        self._labels_key = None
        if self.frame is not None:
            self.show_frame(self.frame)

    # ------------------------------------------------------------------ drawing
    def _class_brushes(self, frame: AutoencoderFrame) -> list:
        key = frame.labels.tobytes()
        if key != self._labels_key:
            k = max(len(frame.class_names), int(frame.labels.max()) + 1 if len(frame.labels) else 1)
            colours = [pg.mkBrush(class_colour(self.theme, c, k)) for c in range(k)]
            self._brushes = [colours[int(c)] for c in frame.labels]
            self._labels_key = key
        return self._brushes

    def show_frame(self, frame: AutoencoderFrame) -> None:
        self.frame = frame
        x0, x1, y0, y1 = frame.bounds
        self.plot.setXRange(x0, x1, padding=0)
        self.plot.setYRange(y0, y1, padding=0)
        self._draw_underlay(frame)
        outline = pg.mkPen(self.theme.point_outline, width=self.theme.point_outline_width)
        self.dots.setData(
            pos=frame.codes, brush=self._class_brushes(frame), pen=outline, size=self.theme.point_size + 1
        )
        self.marker.setData(
            pos=frame.point[None], symbol="x", size=self.theme.point_size * 3, brush=pg.mkBrush(INK), pen=pg.mkPen(INK)
        )
        if frame.line is not None:
            self.line.setData(frame.line[:, 0], frame.line[:, 1])
        else:
            self.line.setData([], [])
        self._draw_parallelogram(frame)

    def _draw_underlay(self, frame: AutoencoderFrame) -> None:
        """The decoded grid as ink on paper, each tile centred on the point it decodes."""
        x0, x1, y0, y1 = frame.bounds
        side = UNDERLAY
        dx, dy = (x1 - x0) / (side - 1), (y1 - y0) / (side - 1)
        tiles = frame.underlay.reshape(side, frame.underlay.shape[0] // side, side, -1)
        tiles = np.pad(tiles, ((0, 0), (0, 1), (0, 0), (0, 1)))  # a blank line between tiles: each reads alone
        mosaic = tiles.reshape(side * tiles.shape[1], side * tiles.shape[3])
        self.underlay.setImage(1.0 - np.clip(mosaic, 0.0, 1.0), levels=(0.0, 1.0), autoLevels=False)
        self.underlay.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))

    def _draw_parallelogram(self, frame: AutoencoderFrame) -> None:
        corners = frame.parallelogram
        if corners is None:
            self.sides.setData([], [])
            self.result_sides.setData([], [])
            for t in self.corner_labels:
                t.setText("")
            return
        a, b, c, d = corners
        # b -> a and b -> c are the two given differences; a -> d and c -> d close the parallelogram at the result
        self.sides.setData([a[0], b[0], c[0]], [a[1], b[1], c[1]])
        self.result_sides.setData([a[0], d[0], c[0]], [a[1], d[1], c[1]])
        for t, p, name, colour in zip(self.corner_labels, corners, ("a", "b", "c", "a − b + c"), [INK] * 3 + [RESULT]):
            t.setText(name)
            t.setColor(colour)
            t.setPos(float(p[0]), float(p[1]))

    # ------------------------------------------------------------------ the mouse
    def nearest_dot(self, x: float, y: float) -> tuple[int, float]:
        """(index, distance as a share of the plane's width) of the dot nearest (x, y); (-1, inf) with none."""
        if self.frame is None or not len(self.frame.codes):
            return -1, float("inf")
        x0, x1, y0, y1 = self.frame.bounds
        scale = np.array([max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)])
        d = np.hypot(*((self.frame.codes - [x, y]) / scale).T)
        i = int(np.argmin(d))
        return i, float(d[i])

    def _scene_clicked(self, ev) -> None:
        box = self.plot.getPlotItem().getViewBox()
        if ev.button() != Qt.MouseButton.LeftButton or not box.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = box.mapSceneToView(ev.scenePos())
        self.click(p.x(), p.y(), bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier))

    def click(self, x: float, y: float, shift: bool = False) -> None:
        if shift:
            i, _ = self.nearest_dot(x, y)
            if i >= 0:
                self.dotPicked.emit(i)
            return
        self.pointClicked.emit(float(x), float(y))

    def _end(self, x: float, y: float) -> tuple:
        i, d = self.nearest_dot(x, y)
        return ("image", i) if i >= 0 and d <= SNAP else ("code", (float(x), float(y)))

    def drag(self, start: tuple, end: tuple, finished: bool) -> None:
        """A drag in progress draws a dotted preview; once released, the line is asked for."""
        if not finished:
            self.preview.setData([start[0], end[0]], [start[1], end[1]])
            return
        self.preview.setData([], [])
        self.lineDrawn.emit(self._end(*start), self._end(*end))

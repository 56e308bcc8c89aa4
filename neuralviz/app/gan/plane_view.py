"""GanPlaneView: GAN Lab's "layered distributions" on one square plot, each layer switchable.

    D's map      D(x) over the plane: green where D says "real", purple where it says "fake" (PRGn, as GAN Lab)
    real         the data (green dots)
    generated    G(z) for a fixed batch of z (purple dots, gliding as G learns)
    manifold     G's image of a lattice over the latent plane (purple grid lines): the sheet G folds onto the data
    arrows       −∂L_G/∂x on each generated point (pink): where the generator's loss pushes it. Lengths are
                 relative within a frame (the 95th percentile gets ARROW_SHARE of the view): the gradient's size
                 grows a hundredfold as D sharpens, and a fixed scale would show nothing early or a thicket later

With `set_drawing(True)` a drag (or a click) on the plane adds points: `pointsDrawn` carries the whole list.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, pyqtSignal
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.square_plot import SquarePlotHost
from ..common.theme import Theme
from .frames import GanFrame

REAL = "#1b7837"  # PRGn's dark green
FAKE = "#762a83"  # PRGn's dark purple
MANIFOLD = "#5b2266"  # darker than FAKE: thin lines must show on the purple map
ARROW = "#e7298a"  # GAN Lab's pink
LAYERS = {
    "map": "D's map",
    "real": "real data",
    "fake": "generated",
    "manifold": "G's manifold",
    "arrows": "arrows",
}
ARROW_SHARE = 0.06  # the longest arrow: this share of the view's width


def prgn_lut() -> np.ndarray:
    """(256, 4) uint8: purple (D = 0, "fake") through white (0.5) to green (D = 1, "real"), paled so the dots
    stay readable on it."""
    stops = np.array([[118, 42, 131], [194, 165, 207], [247, 247, 247], [166, 219, 160], [27, 120, 55]], float)
    t = np.linspace(0, 1, 256)[:, None]
    pos = np.linspace(0, 1, len(stops))
    rgb = np.stack([np.interp(t[:, 0], pos, stops[:, c]) for c in range(3)], axis=1)
    rgb = 255 - 0.6 * (255 - rgb)  # pale: 60 % of the colour over white
    return np.concatenate([rgb, np.full((256, 1), 255.0)], axis=1).astype(np.uint8)


def grid_lines(sheet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of a k×k×2 lattice's rows and columns as one polyline broken by NaNs (connect="finite")."""
    k = sheet.shape[0]
    gap = np.full((k, 1, 2), np.nan, dtype=np.float32)
    rows = np.concatenate([sheet, gap], axis=1).reshape(-1, 2)
    cols = np.concatenate([sheet.transpose(1, 0, 2), gap], axis=1).reshape(-1, 2)
    line = np.concatenate([rows, cols])
    return line[:, 0], line[:, 1]


def arrow_segments(points: np.ndarray, vectors: np.ndarray, longest: float) -> tuple[np.ndarray, np.ndarray]:
    """Segment pairs (connect="pairs") for arrows from points along vectors, the longest `longest` long,
    each with a two-stroke head."""
    if not len(points):
        return np.zeros(0), np.zeros(0)
    norm = np.linalg.norm(vectors, axis=1)
    top = np.percentile(norm, 95) if np.any(norm > 0) else 1.0
    scale = longest / max(top, 1e-12)
    v = vectors * scale
    length = np.linalg.norm(v, axis=1, keepdims=True)
    v = np.where(length > longest, v * longest / np.maximum(length, 1e-12), v)
    tips = points + v
    back = -v * 0.3
    c, s = np.cos(0.5), np.sin(0.5)
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], axis=1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], axis=1)
    segs = np.stack([points, tips, tips, tips + left, tips, tips + right], axis=1).reshape(-1, 2)
    return segs[:, 0], segs[:, 1]


class _DrawBox(pg.ViewBox):
    """A ViewBox whose drags and clicks draw points (when drawing) instead of panning."""

    stroke = pyqtSignal(float, float, bool)  # x, y, whether the stroke ended

    def __init__(self):
        super().__init__()
        self.drawing = False

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - pyqtgraph's name
        if not self.drawing:
            ev.ignore()
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        self.stroke.emit(p.x(), p.y(), ev.isFinish())

    def mouseClickEvent(self, ev):  # noqa: N802
        if not self.drawing:
            return super().mouseClickEvent(ev)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        self.stroke.emit(p.x(), p.y(), True)


class GanPlaneView(QWidget):
    pointsDrawn = pyqtSignal(object)  # the whole list of drawn points, (n, 2)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self.frame: GanFrame | None = None
        self.layers = dict.fromkeys(LAYERS, True)
        self.drawn: list[tuple[float, float]] = []
        self._rect = self._range = None
        self.box = _DrawBox()
        self.plot = pg.PlotWidget(viewBox=self.box)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        for side in ("left", "bottom"):  # GAN Lab's plane has no axes: the picture is the point
            self.plot.getPlotItem().hideAxis(side)
        self.box.setAspectLocked(True)
        self.box.stroke.connect(self._on_stroke)
        self.image = pg.ImageItem()
        self.image.setLookupTable(prgn_lut())
        # opaque and aliased: a translucent antialiased web of 900 segments cost 16 ms a frame, this one 2
        self.manifold = pg.PlotCurveItem(connect="finite", antialias=False)
        self.real = pg.ScatterPlotItem(pxMode=True)
        self.fake = pg.ScatterPlotItem(pxMode=True)
        self.arrows = pg.PlotCurveItem(connect="pairs", antialias=False)
        for item in (self.image, self.manifold, self.arrows, self.fake, self.real):  # real on top: the target
            self.plot.addItem(item)
        self.host = SquarePlotHost(self.plot)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.host, 1)
        self.set_theme(theme)

    # ------------------------------------------------------------------ settings
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.setBackground(theme.background)
        style_plot(self.plot.getPlotItem(), theme, {})
        size = theme.point_size + 1
        self.real.setPen(pg.mkPen("#ffffff", width=0.6))
        self.real.setBrush(pg.mkBrush(REAL))
        self.real.setSize(size - 2)
        self.fake.setPen(pg.mkPen("#ffffff", width=0.8))
        self.fake.setBrush(pg.mkBrush(FAKE))
        self.fake.setSize(size)
        self.manifold.setPen(pg.mkPen(MANIFOLD, width=1))
        self.arrows.setPen(pg.mkPen(ARROW, width=1.2 * theme.line_width))
        self.draw()

    def set_layer(self, name: str, on: bool) -> None:
        if name not in self.layers:
            raise ValueError(f"GanPlaneView: unknown layer {name!r}; layers: {', '.join(LAYERS)}")
        self.layers[name] = bool(on)
        self.draw()

    def set_drawing(self, on: bool, points=()) -> None:
        """Drawing mode (drags add real points) with the points drawn so far."""
        self.box.drawing = bool(on)
        self.drawn = [tuple(map(float, p)) for p in points]

    def clear_drawing(self) -> None:
        self.drawn = []
        self.pointsDrawn.emit(np.zeros((0, 2)))

    def _on_stroke(self, x: float, y: float, finished: bool) -> None:
        extent = self.frame.extent if self.frame is not None else 3.0
        if abs(x) > extent or abs(y) > extent:
            return
        if not self.drawn or np.hypot(x - self.drawn[-1][0], y - self.drawn[-1][1]) > 0.03 * extent or finished:
            self.drawn.append((x, y))
            self.pointsDrawn.emit(np.asarray(self.drawn))

    # ------------------------------------------------------------------ drawing
    def show_frame(self, frame: GanFrame) -> None:
        self.frame = frame
        self.draw()

    def draw(self) -> None:
        f = self.frame
        if f is None:
            return
        on = self.layers
        self.image.setVisible(on["map"])
        if on["map"]:
            self.image.setImage(f.heat, autoLevels=False, levels=(0.0, 1.0))
            if self._rect != (f.extent, f.heat.shape):  # setRect must follow the first image of a size
                self.image.setRect(QRectF(-f.extent, -f.extent, 2 * f.extent, 2 * f.extent))
                self._rect = (f.extent, f.heat.shape)
        self._show(self.real, on["real"], f.real)
        self._show(self.fake, on["fake"], f.fake)
        self.manifold.setVisible(on["manifold"] and f.manifold is not None)
        if self.manifold.isVisible():
            self.manifold.setData(*grid_lines(f.manifold))
        self.arrows.setVisible(on["arrows"] or f.phase.startswith("4") and f.phase_side == "G")
        if self.arrows.isVisible():
            self.arrows.setData(*arrow_segments(f.fake, f.arrows, ARROW_SHARE * 2 * f.extent))
        if self._range != f.extent:  # not every frame: a range change re-lays the plot out
            self.box.setRange(xRange=(-f.extent, f.extent), yRange=(-f.extent, f.extent), padding=0)
            self._range = f.extent

    @staticmethod
    def _show(item: pg.ScatterPlotItem, on: bool, points: np.ndarray) -> None:
        item.setVisible(on)
        if on:
            item.setData(points[:, 0], points[:, 1]) if len(points) else item.setData([], [])

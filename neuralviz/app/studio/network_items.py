"""The graphics items of the network diagram: neurons with live maps, bundles of weighted edges, and
layer blocks for networks that are not small MLPs."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen, QTransform
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsObject

from ..common.theme import BLOCK_COLOURS, Theme, hex_to_rgb

FADED = 0.3  # opacity of an input feature switched off
# Qt's enum members looked up once: PyQt6 enum access costs microseconds, and a frame draws dozens of neurons
_NO_BRUSH = Qt.BrushStyle.NoBrush
_IGNORE_ASPECT = Qt.AspectRatioMode.IgnoreAspectRatio
_SMOOTH = Qt.TransformationMode.SmoothTransformation
_PREMULTIPLIED = QImage.Format.Format_ARGB32_Premultiplied


class NeuronItem(QGraphicsObject):
    """One neuron: a heat-map of its activation over the input plane (or its curve over x for 1-D data),
    a small bias square; faded when it is an input feature that is switched off.

    The item handles clicks and tooltips; its pixels are drawn by the NeuronLayer it belongs to (the item
    itself has no contents), because one paint call per frame costs far less than one per neuron.
    """

    def __init__(self, size: float, tooltip: str, on_click: Callable[[], None], layer: NeuronLayer):
        super().__init__()
        self.size = size
        self.image: QImage | None = None
        self._scaled: QImage | None = None  # the image at its size on screen
        self.curve: QPainterPath | None = None
        self.bias: QColor | None = None
        self.active = True
        self.selected = False
        self.layer = layer
        self._on_click = on_click
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        self.setToolTip(tooltip)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        layer.add(self)

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, self.size + 6, self.size + 6)

    def paint(self, p: QPainter, option, widget=None) -> None:
        """Nothing: see NeuronLayer."""

    # ------------------------------------------------------------------ content
    def set_image(self, image: QImage) -> None:
        self.image, self.curve, self._scaled = image, None, None
        self.layer.update()

    def set_curve(self, values: np.ndarray, scale: float) -> None:
        """A 1-D activation curve, values in [-scale, scale] drawn across the box."""
        n = len(values)
        s = self.size
        path = QPainterPath()
        v = np.clip(np.nan_to_num(values / scale), -1, 1)
        xs = np.linspace(2, s - 2, n)
        ys = s / 2 - v * (s / 2 - 3)
        path.moveTo(xs[0], ys[0])
        for x, y in zip(xs[1:], ys[1:]):
            path.lineTo(x, y)
        self.curve, self.image = path, None
        self.layer.update()

    def set_bias(self, colour: QColor | None) -> None:
        self.bias = colour
        self.layer.update()

    def set_state(self, active: bool, selected: bool) -> None:
        if (active, selected) != (self.active, self.selected):
            self.active, self.selected = active, selected
            self.layer.update()

    def mousePressEvent(self, event) -> None:
        self._on_click()
        event.accept()


class NeuronLayer(QGraphicsItem):
    """Draws every neuron of the diagram in one paint call (see NeuronItem)."""

    # pens and colours made once: a frame draws dozens of neurons
    _WHITE = QColor("#ffffff")
    _ZERO_PEN = QPen(QColor("#c0c4c8"), 0.8, Qt.PenStyle.DashLine)
    _BIAS_PEN = QPen(QColor("#333333"), 0.5)
    _SELECTED_PEN = QPen(QColor("#000000"), 3.0)
    _BORDER_PEN = QPen(QColor("#1f2328"), 1.2)
    _FADED_PEN = QPen(QColor("#8b949e"), 1.2)

    def __init__(self, theme: Theme):
        super().__init__()
        self.theme = theme
        self._curve_pen = QPen(QColor(theme.positive), 2.0)
        self.neurons: list[NeuronItem] = []
        self._bounds = QRectF()

    def add(self, neuron: NeuronItem) -> None:
        self.neurons.append(neuron)

    def finish(self) -> None:
        """Call once every neuron has its position."""
        self.prepareGeometryChange()
        self._bounds = QRectF()
        for n in self.neurons:
            self._bounds = self._bounds.united(n.boundingRect().translated(n.pos()))

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, p: QPainter, option, widget=None) -> None:
        base = p.worldTransform()
        # the maps first, all in screen pixels under one transform (neurons never overlap, so drawing the
        # borders after every map puts them on top as before); then each neuron's squares and border
        p.resetTransform()
        for n in self.neurons:
            if n.image is not None:
                p.setOpacity(1.0 if n.active else FADED)
                self._blit(p, base, n)
        for n in self.neurons:
            p.setTransform(QTransform.fromTranslate(n.x(), n.y()) * base)
            p.setOpacity(1.0 if n.active else FADED)
            self._draw(p, n)
        p.setOpacity(1.0)
        p.setTransform(base)

    def _draw(self, p: QPainter, n: NeuronItem) -> None:
        """Everything of a neuron but its map, in its own coordinates (the box is (0, 0, size, size))."""
        s = n.size
        rect = QRectF(0, 0, s, s)
        if n.image is None:
            p.fillRect(rect, self._WHITE)
            if n.curve is not None:
                p.setPen(self._ZERO_PEN)
                p.drawLine(QPointF(1, s / 2), QPointF(s - 1, s / 2))
                p.setPen(self._curve_pen)
                p.drawPath(n.curve)
        if n.bias is not None:
            bias_rect = QRectF(-2, s - 8, 8, 8)
            p.fillRect(bias_rect, n.bias)
            p.setPen(self._BIAS_PEN)
            p.drawRect(bias_rect)
        p.setPen(self._SELECTED_PEN if n.selected else (self._BORDER_PEN if n.active else self._FADED_PEN))
        p.setBrush(_NO_BRUSH)
        p.drawRect(rect)

    @staticmethod
    def _blit(p: QPainter, base: QTransform, n: NeuronItem) -> None:
        """Draw the map 1:1 in screen pixels (the painter holds no transform), scaled once per new map or
        size: a scaled draw under the view's antialiased transform takes Qt's slow path."""
        corner = base.map(n.pos())
        far = base.map(QPointF(n.x() + n.size, n.y() + n.size))
        w, h = max(1, round(far.x() - corner.x())), max(1, round(far.y() - corner.y()))
        if n._scaled is None or (n._scaled.width(), n._scaled.height()) != (w, h):
            n._scaled = n.image.scaled(w, h, _IGNORE_ASPECT, _SMOOTH).convertToFormat(_PREMULTIPLIED)
        p.drawImage(QPointF(round(corner.x()), round(corner.y())), n._scaled)


class EdgeLayer:
    """All the weights of the diagram, one curve each: colour = sign, width = |w| (the Playground's
    encoding). Drawn by the view as its (cached) background, so a frame that only changes the neuron
    maps copies the edges instead of drawing them again.

    Antialiased wide curves are the most expensive thing the studio draws (hundreds of them for a
    16-16-16 net), so the view redraws them at most every `4 x their own cost` seconds (`due`): small
    networks get fresh edges every frame, big ones a few times a second, and neither slows the window.
    """

    def __init__(self, theme: Theme):
        self.curves: dict[str, list[list[list[QLineF]]]] = {}  # dense id -> curves[k][j] (input j -> unit k)
        self.weights: dict[str, np.ndarray] = {}
        self.theme = theme
        self._pen_cache: dict[tuple[bool, int, int], QPen] = {}  # (w >= 0, width x 16, strength x 64) -> pen
        self.dirty = True
        self.cost = 0.0
        self.drawn_at = 0.0
        self.draws = 0

    @staticmethod
    def _curve(a: QPointF, b: QPointF, segments: int = 18) -> list[QLineF]:
        """The S-curve from a to b (a cubic with horizontal tangents, as the Playground draws its links)
        as straight segments: Qt rasterises wide antialiased straight lines several times faster than
        it strokes a curve, and at this length the eye cannot tell."""
        t = np.linspace(0.0, 1.0, segments + 1)
        # Bezier a, (mid, a.y), (mid, b.y), b written out per coordinate
        x = a.x() + (b.x() - a.x()) * (1.5 * t - 1.5 * t**2 + t**3)
        y = a.y() + (b.y() - a.y()) * (3 * t**2 - 2 * t**3)
        return [QLineF(x[i], y[i], x[i + 1], y[i + 1]) for i in range(segments)]

    def add_bundle(self, dense_id: str, starts: list[QPointF], ends: list[QPointF]) -> None:
        self.curves[dense_id] = [[self._curve(a, b) for a in starts] for b in ends]
        self.dirty = True

    def set_weights(self, dense_id: str, w: np.ndarray) -> None:
        """w: (units, inputs) as PyTorch's Linear."""
        self.weights[dense_id] = w
        self.dirty = True

    def due(self) -> bool:
        return self.dirty and time.perf_counter() - self.drawn_at >= 4.0 * self.cost

    def draw(self, p: QPainter) -> None:
        start = time.perf_counter()
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for dense_id, curves in self.curves.items():
            w = self.weights.get(dense_id)
            if w is None or w.shape != (len(curves), len(curves[0]) if curves else 0):
                continue
            n_in = w.shape[1]
            # weak edges first so strong ones lie on top
            order = np.argsort(np.nan_to_num(np.abs(w)), axis=None).tolist()
            pens = self._pens(w.ravel()[order])
            for flat, pen in zip(order, pens):
                k, j = divmod(flat, n_in)
                p.setPen(pen)
                p.drawLines(curves[k][j])
        p.restore()
        self.dirty = False
        self.drawn_at = time.perf_counter()
        self.cost = self.drawn_at - start
        self.draws += 1

    def _pens(self, w: np.ndarray) -> list[QPen]:
        """One pen per weight: width grows with |w| up to |w| = 3, faint edges recede toward the white background
        (opaque colours, paled toward white, blend faster than translucent ones and keep crossings clean).
        Widths (1/16 px) and paleness (1/64) are rounded so the pens come from a cache: a frame makes none."""
        theme = self.theme
        magnitude = np.nan_to_num(np.abs(w))
        widths = np.rint((0.5 + np.minimum(magnitude, 3.0) / 3.0 * (theme.edge_max_width - 0.5)) * 16.0)
        strength = np.rint((0.25 + 0.75 * np.minimum(magnitude, 1.0)) * 64.0)
        keys = zip((w >= 0).tolist(), widths.astype(int).tolist(), strength.astype(int).tolist())
        cache, make = self._pen_cache, self._make_pen
        return [cache[key] if key in cache else make(key) for key in keys]

    def _make_pen(self, key: tuple[bool, int, int]) -> QPen:
        positive, width16, strength64 = key
        base = np.array(hex_to_rgb(self.theme.positive if positive else self.theme.negative), float)
        rgb = 255.0 + (base - 255.0) * (strength64 / 64.0)
        pen = QPen(QColor(*(int(c) for c in rgb)), width16 / 16.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.SquareCap)
        self._pen_cache[key] = pen
        return pen


class LayerBlockItem(QGraphicsObject):
    """A layer as a box: id and type, output shape, parameter count."""

    WIDTH, HEIGHT = 230.0, 48.0

    def __init__(self, title: str, line2: str, kind: str, tooltip: str):
        super().__init__()
        self.title, self.line2, self.kind = title, line2, kind
        self.theme: Theme | None = None
        self.setToolTip(tooltip)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, self.WIDTH + 4, self.HEIGHT + 4)

    def paint(self, p: QPainter, option, widget=None) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(0, 0, self.WIDTH, self.HEIGHT)
        fill = BLOCK_COLOURS.get(
            self.kind, "#e0f2fe" if self.kind not in ("relu", "tanh", "sigmoid", "leaky_relu", "step") else "#f1f5f9"
        )
        p.setBrush(QBrush(QColor(fill)))
        p.setPen(QPen(QColor("#1f2328"), 1.5 if not (self.theme and self.theme.high_contrast) else 2.5))
        p.drawRoundedRect(rect, 8, 8)
        font = QFont(p.font())
        base = self.theme.font_pt if self.theme else 10
        font.setPointSizeF(base * 1.05)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor("#000000"))
        p.drawText(rect.adjusted(10, 4, -10, -self.HEIGHT / 2), Qt.AlignmentFlag.AlignVCenter, self.title)
        font.setBold(False)
        font.setPointSizeF(base * 0.95)
        p.setFont(font)
        p.setPen(QColor("#30363d"))
        p.drawText(rect.adjusted(10, self.HEIGHT / 2 - 2, -10, -4), Qt.AlignmentFlag.AlignVCenter, self.line2)

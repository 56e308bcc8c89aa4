"""The graphics items of the network diagram: neurons with live maps, bundles of weighted edges, and
layer blocks for networks that are not small MLPs."""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsObject

from .theme import Theme


class NeuronItem(QGraphicsObject):
    """One neuron: a heat-map of its activation over the input plane (or its curve over x for 1-D data),
    a small bias square, a label for inputs; faded when it is an input feature that is switched off."""

    def __init__(self, size: float, label: str, tooltip: str, on_click: Callable[[], None]):
        super().__init__()
        self.size = size
        self.label = label
        self.image: Optional[QImage] = None
        self.curve: Optional[QPainterPath] = None
        self.bias: Optional[QColor] = None
        self.active = True
        self.selected = False
        self.theme: Optional[Theme] = None
        self._on_click = on_click
        self.setToolTip(tooltip)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, self.size + 6, self.size + 6)

    # ------------------------------------------------------------------ content
    def set_image(self, image: QImage) -> None:
        self.image, self.curve = image, None
        self.update()

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
        self.update()

    def set_bias(self, colour: Optional[QColor]) -> None:
        self.bias = colour
        self.update()

    def set_state(self, active: bool, selected: bool) -> None:
        if (active, selected) != (self.active, self.selected):
            self.active, self.selected = active, selected
            self.update()

    # ------------------------------------------------------------------ drawing
    def paint(self, p: QPainter, option, widget=None) -> None:
        s, theme = self.size, self.theme
        p.setOpacity(1.0 if self.active else 0.3)
        rect = QRectF(0, 0, s, s)
        if self.image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(rect, self.image)
        else:
            p.fillRect(rect, QColor("#ffffff"))
            if self.curve is not None:
                p.setPen(QPen(QColor("#c0c4c8"), 0.8, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(1, s / 2), QPointF(s - 1, s / 2))
                p.setPen(QPen(QColor(theme.positive if theme else "#0877bd"), 2.0))
                p.drawPath(self.curve)
        if self.bias is not None:
            p.fillRect(QRectF(-2, s - 8, 8, 8), self.bias)
            p.setPen(QPen(QColor("#333333"), 0.5))
            p.drawRect(QRectF(-2, s - 8, 8, 8))
        if self.selected:
            p.setPen(QPen(QColor("#000000"), 3.0))
        else:
            p.setPen(QPen(QColor("#1f2328" if self.active else "#8b949e"), 1.2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)

    def mousePressEvent(self, event) -> None:
        self._on_click()
        event.accept()


class EdgeBundleItem(QGraphicsItem):
    """All the weights between two columns, one curve each: colour = sign, width = |w| (the Playground's
    encoding). Drawn by one item so a frame repaints hundreds of edges in one pass."""

    def __init__(self, starts: list[QPointF], ends: list[QPointF]):
        super().__init__()
        self.starts, self.ends = starts, ends
        # path[k][j]: from input j to unit k
        self.paths = [[self._curve(a, b) for a in starts] for b in ends]
        bounds = QRectF()
        for row in self.paths:
            for path in row:
                bounds = bounds.united(path.boundingRect())
        self._bounds = bounds.adjusted(-6, -6, 6, 6)
        self.weights: Optional[np.ndarray] = None
        self.theme: Optional[Theme] = None
        self.setZValue(-1)

    @staticmethod
    def _curve(a: QPointF, b: QPointF) -> QPainterPath:
        path = QPainterPath(a)
        mid = (a.x() + b.x()) / 2
        path.cubicTo(QPointF(mid, a.y()), QPointF(mid, b.y()), b)
        return path

    def boundingRect(self) -> QRectF:
        return self._bounds

    def set_weights(self, w: np.ndarray) -> None:
        """w: (units, inputs) as PyTorch's Linear."""
        self.weights = w
        self.update()

    def paint(self, p: QPainter, option, widget=None) -> None:
        w, theme = self.weights, self.theme
        if w is None or theme is None:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pos, neg = QColor(theme.positive), QColor(theme.negative)
        magnitude = np.nan_to_num(np.abs(w))
        # width grows with |w| up to |w| = 3; faint edges stay visible but recede
        widths = 0.4 + np.minimum(magnitude, 3.0) / 3.0 * (theme.edge_max_width - 0.4)
        alphas = (60 + np.minimum(magnitude, 1.0) * 195).astype(int)
        for k, row in enumerate(self.paths):
            for j, path in enumerate(row):
                colour = QColor(pos if w[k, j] >= 0 else neg)
                colour.setAlpha(int(alphas[k, j]))
                p.setPen(QPen(colour, float(widths[k, j]), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawPath(path)


# colours of layer families in the block diagram (light fills, dark text stays readable)
BLOCK_COLOURS = {"dense": "#dbeafe", "conv2d": "#dcfce7", "maxpool2d": "#fef9c3", "avgpool2d": "#fef9c3",
                 "flatten": "#f3f4f6", "lstm": "#fce7f3", "gru": "#fce7f3", "rnn": "#fce7f3",
                 "embedding": "#ede9fe", "add": "#ffedd5", "concat": "#ffedd5", "input": "#e5e7eb"}


class LayerBlockItem(QGraphicsObject):
    """A layer as a box: id and type, output shape, parameter count."""

    WIDTH, HEIGHT = 230.0, 48.0

    def __init__(self, title: str, line2: str, kind: str, tooltip: str):
        super().__init__()
        self.title, self.line2, self.kind = title, line2, kind
        self.theme: Optional[Theme] = None
        self.setToolTip(tooltip)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, self.WIDTH + 4, self.HEIGHT + 4)

    def paint(self, p: QPainter, option, widget=None) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(0, 0, self.WIDTH, self.HEIGHT)
        fill = BLOCK_COLOURS.get(self.kind, "#e0f2fe" if self.kind not in ("relu", "tanh", "sigmoid",
                                                                            "leaky_relu", "step")
                                 else "#f1f5f9")
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

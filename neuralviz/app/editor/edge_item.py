"""EdgeItem: a connection from one node's output to another's input, labelled with the tensor shape that
flows along it (without the batch axis).

A wire that would run through other nodes (a residual skip over the block it skips) is routed around
them, above; a wire going back to the left (a wrapped row) runs through the gap between the rows. A wire
into a node that does not build is drawn dashed red, so an incompatible connection stays visible where
it was drawn.
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from .node_item import NodeItem
from .style import ERROR, SELECTED, CanvasStyle

CORNER = 16.0


def rounded_path(points: list[QPointF], radius: float) -> QPainterPath:
    """A polyline through `points` with its corners rounded."""
    path = QPainterPath(points[0])
    for prev, corner, nxt in zip(points, points[1:], points[2:]):

        def toward(p: QPointF, q: QPointF) -> QPointF:
            d = q - p
            length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1e-9)
            r = min(radius, length / 2)
            return p + d * (r / length)

        path.lineTo(toward(corner, prev))
        path.quadTo(corner, toward(corner, nxt))
    path.lineTo(points[-1])
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, src: NodeItem, dst: NodeItem, slot: int, style: CanvasStyle):
        super().__init__()
        self.src, self.dst, self.slot = src, dst, slot
        self.count = 1  # inputs of dst (wires spread along its left side)
        self.style = style
        self.label = ""
        self.flagged = False
        self._label_rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setZValue(0)
        self.setAcceptHoverEvents(True)
        src.edges.append(self)
        dst.edges.append(self)

    @property
    def key(self) -> tuple[str, str, int]:
        return self.src.lid, self.dst.lid, self.slot

    def detach(self) -> None:
        for node in (self.src, self.dst):
            if self in node.edges:
                node.edges.remove(self)

    def set_state(self, label: str, flagged: bool, count: int, style: CanvasStyle) -> None:
        if (label, flagged, count, style) != (self.label, self.flagged, self.count, self.style):
            self.label, self.flagged, self.count, self.style = label, flagged, count, style
            self.setToolTip(
                f"{self.src.lid} → {self.dst.lid}: {label or 'shape unknown'}\nClick to select, Delete to remove."
            )
            self.update_path()

    # ------------------------------------------------------------------ geometry
    def update_path(self) -> None:
        if self.scene() is None:
            return
        a = self.src.out_anchor()
        b = self.dst.in_anchor(self.slot, self.count)
        k = self.style.scale
        reach = 22.0 * k
        if b.x() < a.x() + 2 * reach:
            path = self._back_route(a, b, reach)
        else:
            blockers = self._blockers(a, b)
            if blockers:
                top = min(r.top() for r in blockers + [self.src.scene_box(), self.dst.scene_box()]) - 26 * k
                path = rounded_path(
                    [
                        a,
                        QPointF(a.x() + reach, a.y()),
                        QPointF(a.x() + reach, top),
                        QPointF(b.x() - reach, top),
                        QPointF(b.x() - reach, b.y()),
                        b,
                    ],
                    CORNER * k,
                )
            else:
                dx = max(40.0, (b.x() - a.x()) / 2)
                path = QPainterPath(a)
                path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        self.prepareGeometryChange()
        self.setPath(path)
        self._place_label(path)

    def _blockers(self, a: QPointF, b: QPointF) -> list[QRectF]:
        band = QRectF(QPointF(a.x() + 4, min(a.y(), b.y()) - 4), QPointF(b.x() - 4, max(a.y(), b.y()) + 4))
        return [
            item.scene_box()
            for item in self.scene().items(band)
            if isinstance(item, NodeItem) and item not in (self.src, self.dst) and item.scene_box().intersects(band)
        ]

    def _back_route(self, a: QPointF, b: QPointF, reach: float) -> QPainterPath:
        s, d = self.src.scene_box(), self.dst.scene_box()
        if d.top() > s.bottom():
            y = (s.bottom() + d.top()) / 2
        elif d.bottom() < s.top():
            y = (d.bottom() + s.top()) / 2
        else:
            y = max(s.bottom(), d.bottom()) + 30 * self.style.scale
        return rounded_path(
            [
                a,
                QPointF(a.x() + reach, a.y()),
                QPointF(a.x() + reach, y),
                QPointF(b.x() - reach, y),
                QPointF(b.x() - reach, b.y()),
                b,
            ],
            CORNER * self.style.scale,
        )

    def _place_label(self, path: QPainterPath) -> None:
        if not self.label:
            self._label_rect = QRectF()
            return
        fm = QFontMetricsF(self.style.font(0.88))
        w, h = fm.horizontalAdvance(self.label) + 10, fm.height() + 2
        mid = path.pointAtPercent(0.5)
        self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-4, -4, 4, 4).united(self._label_rect.adjusted(-2, -2, 2, 2))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12.0)
        outline = stroker.createStroke(self.path())
        if not self._label_rect.isNull():
            outline.addRect(self._label_rect)
        return outline

    # ------------------------------------------------------------------ painting
    def paint(self, p: QPainter, option, widget=None) -> None:
        s = self.style
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.isSelected():
            pen = QPen(QColor(SELECTED), s.wire_width + 2.0)
        elif self.flagged:
            pen = QPen(QColor(ERROR), s.wire_width + 0.5, Qt.PenStyle.DashLine)
        else:
            pen = QPen(s.wire, s.wire_width)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(self.path())
        if not self._label_rect.isNull():
            p.setPen(QPen(QColor(ERROR) if self.flagged else QColor("#8c959f"), 1.0))
            p.setBrush(QColor("#ffffff"))
            p.drawRoundedRect(self._label_rect, 5, 5)
            p.setFont(s.font(0.88))
            p.setPen(QColor(ERROR) if self.flagged else s.text)
            p.drawText(self._label_rect, int(Qt.AlignmentFlag.AlignCenter), self.label)

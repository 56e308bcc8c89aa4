"""PortItem: a node's connection point, input on the left side, output on the right.

Dragging from a port draws a wire (the scene handles the drag); hovering one shows what flows there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QPen
from PyQt6.QtWidgets import QGraphicsEllipseItem

from .style import SELECTED

if TYPE_CHECKING:
    from .node_item import NodeItem

RADIUS = 7.0


class PortItem(QGraphicsEllipseItem):
    def __init__(self, node: NodeItem, is_output: bool):
        super().__init__(node)
        self.node = node
        self.is_output = is_output
        self._hot = False
        self.radius = RADIUS
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self.set_radius(RADIUS)

    @property
    def lid(self) -> str:
        return self.node.lid

    def set_radius(self, radius: float) -> None:
        self.radius = radius
        self.setRect(QRectF(-radius, -radius, 2 * radius, 2 * radius))
        self._restyle()

    def centre(self) -> QPointF:
        """Where wires attach, in scene coordinates."""
        return self.scenePos()

    def set_hot(self, hot: bool) -> None:
        """Highlighted while a wire is dragged over it (a valid drop target)."""
        if hot != self._hot:
            self._hot = hot
            self._restyle()

    def _restyle(self) -> None:
        style = self.node.style
        colour = QColor(SELECTED) if self._hot else style.border
        self.setPen(QPen(colour, 2.5 if self._hot else max(1.5, style.border_width)))
        fill = QColor(SELECTED) if self._hot else (style.border if self.is_output else QColor("#ffffff"))
        self.setBrush(QBrush(fill))

    def hoverEnterEvent(self, event) -> None:
        self.set_radius(RADIUS * 1.35 * self.node.style.scale)
        self.setToolTip(self.node.port_tooltip(self.is_output))
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.set_radius(RADIUS * self.node.style.scale)
        super().hoverLeaveEvent(event)

"""GraphScene: the canvas's items kept in step with the document, and the mouse gestures that edit it.

sync() makes the items match the model and its shape inference (creating, updating and removing nodes
and wires; nothing is rebuilt that did not change). The scene never edits the model itself: a gesture
ends in a request signal (connect these two nodes, these nodes moved) and the page turns it into an
undoable edit, so a refused edit (a cycle) simply leaves the drawing as it was.

Gestures: drag from a port to another node or port to connect (either direction); drag nodes to move
them (all selected ones move together); click empty space and drag for a rubber-band selection.
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from ...spec import INPUT
from .catalog import describe_params, format_shape
from .edge_item import EdgeItem
from .inference import Inference
from .model import GraphModel
from .node_item import NodeItem
from .port_item import PortItem
from .style import SELECTED, CanvasStyle

MARGIN = 1500.0  # empty canvas around the drawing, to pan into and drop new layers on


class GraphScene(QGraphicsScene):
    connectRequested = pyqtSignal(str, str)  # source id, destination id
    nodesMoved = pyqtSignal(dict)  # id -> (x, y) after a drag

    def __init__(self, style: CanvasStyle, parent=None):
        super().__init__(parent)
        self.style = style
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str, int], EdgeItem] = {}
        self._wire: QGraphicsPathItem | None = None
        self._wire_from: PortItem | None = None
        self._hot: PortItem | None = None
        self.live = False  # nodes keep room for activity thumbnails
        self.setBackgroundBrush(QColor("#ffffff"))

    # ================================================================== keeping in step
    def sync(self, model: GraphModel, inference: Inference) -> None:
        for lid in [
            lid for lid in self.nodes if lid not in model.positions or (lid != INPUT and lid not in model.layers)
        ]:
            self._remove_node(lid)
        output = model.output_id()
        for lid in model.nodes():
            node = self.nodes.get(lid)
            if node is None:
                node = self.nodes[lid] = NodeItem(lid, self.style)
                node.set_band(self.live)
                self.addItem(node)
            _show(node, model, inference, output)
            x, y = model.positions.get(lid, (0.0, 0.0))
            target = QPointF(x * self.unit, y * self.unit)
            if node.pos() != target:
                node.setPos(target)
        wanted = {(src, dst, slot) for src, dst, slot in model.edges() if src in self.nodes}
        for key in [k for k in self.edges if k not in wanted]:
            self._remove_edge(key)
        for src, dst, slot in sorted(wanted, key=lambda k: (k[1], k[2])):
            edge = self.edges.get((src, dst, slot))
            if edge is None:
                edge = self.edges[(src, dst, slot)] = EdgeItem(self.nodes[src], self.nodes[dst], slot, self.style)
                self.addItem(edge)
            info = inference.nodes.get(src)
            label = format_shape(info.shape) if info is not None and info.ok else ""
            target = inference.nodes.get(dst)
            edge.set_state(label, bool(target and target.error), len(model.layers[dst]["inputs"]), self.style)
        for edge in self.edges.values():
            edge.update_path()
        self.setSceneRect(self.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))

    @property
    def unit(self) -> float:
        """Scene units per layout unit. The model's positions are in layout units (the canvas at normal
        fonts), so a saved layout does not depend on the font size: with large fonts nodes grow and the
        drawing spreads with them."""
        return self.style.scale

    def to_model(self, point: QPointF) -> tuple[float, float]:
        return point.x() / self.unit, point.y() / self.unit

    def model_size(self, lid: str) -> tuple[float, float]:
        w, h = self.nodes[lid].size()
        return w / self.unit, h / self.unit

    def set_style(self, style: CanvasStyle) -> None:
        """A new look (theme); call sync() after it, which moves the nodes to the new scale."""
        self.style = style
        for node in self.nodes.values():
            node.set_style(style)
        for edge in self.edges.values():
            edge.set_state(edge.label, edge.flagged, edge.count, style)

    def set_live(self, on: bool) -> None:
        """Room for activity thumbnails in every node (on while the studio's run is shown)."""
        if on != self.live:
            self.live = on
            for node in self.nodes.values():
                node.set_band(on)
            self.setSceneRect(self.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))

    def _remove_node(self, lid: str) -> None:
        node = self.nodes.pop(lid)
        for key in [k for k, e in self.edges.items() if e.src is node or e.dst is node]:
            self._remove_edge(key)
        self.removeItem(node)

    def _remove_edge(self, key) -> None:
        edge = self.edges.pop(key)
        edge.detach()
        self.removeItem(edge)

    def measure(self, model: GraphModel, inference: Inference) -> dict[str, tuple[float, float]]:
        """The size each node of `model` would have on this canvas, in layout units (for laying out
        before the nodes exist)."""
        sizes = {}
        output = model.output_id()
        for lid in model.nodes():
            node = NodeItem(lid, self.style)
            node.set_band(self.live)
            _show(node, model, inference, output)
            w, h = node.size()
            sizes[lid] = (w / self.unit, h / self.unit)
        return sizes

    # ================================================================== queries
    def selected_nodes(self) -> list[str]:
        return [lid for lid, n in self.nodes.items() if n.isSelected()]

    def selected_edges(self) -> list[tuple[str, str, int]]:
        return [k for k, e in self.edges.items() if e.isSelected()]

    def select(self, ids: list[str]) -> None:
        self.clearSelection()
        for lid in ids:
            if lid in self.nodes:
                self.nodes[lid].setSelected(True)

    def drawing_rect(self) -> QRectF:
        """The area the nodes and wires cover (for fitting and exporting)."""
        rect = QRectF()
        for item in list(self.nodes.values()) + list(self.edges.values()):
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def _port_at(self, pos: QPointF) -> PortItem | None:
        """The port under pos, with a few pixels' tolerance (ports are small targets)."""
        near = [i for i in self.items(QRectF(pos.x() - 6, pos.y() - 6, 12, 12)) if isinstance(i, PortItem)]
        if not near:
            return None
        return min(near, key=lambda port: (port.scenePos() - pos).manhattanLength())

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem) and item.box().contains(item.mapFromScene(pos)):
                return item
        return None

    def _target(self, pos: QPointF) -> PortItem | None:
        """Where a wire being dragged would attach: a port of the other kind, or the node under it."""
        start = self._wire_from
        if start is None:
            return None
        port = self._port_at(pos)
        if port is not None and port.is_output != start.is_output and port.node is not start.node:
            return port
        node = self._node_at(pos)
        if node is None or node is start.node:
            return None
        return node.in_port if start.is_output else node.out_port

    # ================================================================== wire dragging
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            port = self._port_at(event.scenePos())
            if port is not None:
                self._start_wire(port)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._wire is not None:
            self._draw_wire(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._wire is not None:
            self._finish_wire(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._report_moves()

    def _start_wire(self, port: PortItem) -> None:
        self._wire_from = port
        self._wire = QGraphicsPathItem()
        pen = QPen(QColor(SELECTED), self.style.wire_width + 0.5, Qt.PenStyle.DashLine)
        self._wire.setPen(pen)
        self._wire.setZValue(5)
        self._wire.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.addItem(self._wire)
        self._draw_wire(port.scenePos())

    def _draw_wire(self, pos: QPointF) -> None:
        start = self._wire_from.scenePos()
        a, b = (start, pos) if self._wire_from.is_output else (pos, start)
        dx = max(40.0, abs(b.x() - a.x()) / 2)
        path = QPainterPath(a)
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        self._wire.setPath(path)
        target = self._target(pos)
        if target is not self._hot:
            if self._hot is not None:
                self._hot.set_hot(False)
            if target is not None:
                target.set_hot(True)
            self._hot = target

    def _finish_wire(self, pos: QPointF) -> None:
        target = self._target(pos)
        start = self._wire_from
        if self._hot is not None:
            self._hot.set_hot(False)
        self.removeItem(self._wire)
        self._wire, self._wire_from, self._hot = None, None, None
        if target is None or start is None:
            return
        src, dst = (start.node, target.node) if start.is_output else (target.node, start.node)
        self.connectRequested.emit(src.lid, dst.lid)

    def _report_moves(self) -> None:
        """After a click or a drag: every node's position (the page keeps those that changed)."""
        self.nodesMoved.emit({lid: self.to_model(node.pos()) for lid, node in self.nodes.items()})


def _show(node: NodeItem, model: GraphModel, inference: Inference, output: str | None) -> None:
    """Puts what the model and inference say about a node into its item."""
    lid = node.lid
    entry = model.layers.get(lid, {"type": "input", "inputs": []})
    node.show_layer(
        entry["type"],
        describe_params(entry["type"], entry) if lid != INPUT else "",
        inference.nodes.get(lid, node.info),
        lid == output,
        len(entry["inputs"]),
    )

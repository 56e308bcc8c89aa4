"""GraphView: the window onto the canvas. Wheel zooms (around the cursor), the middle or right mouse
button pans, a left drag on empty space selects with a rubber band; layers dragged from the palette
drop here; Tab (or a double-click on empty space) asks for the layer search."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QGraphicsView

from .node_item import NodeItem
from .palette import LAYER_MIME

MIN_ZOOM, MAX_ZOOM = 0.15, 4.0


class GraphView(QGraphicsView):
    layerDropped = pyqtSignal(str, QPointF)  # layer type, scene position
    searchRequested = pyqtSignal()
    resized = pyqtSignal()  # the viewport has another size (the page may lay an untouched drawing out again)

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        # after fit(), until the user zooms or pans, a resize (another window size, the side panels shown or
        # hidden, a projector) fits the drawing again instead of leaving it small in a corner
        self._fit_zoom: float | None = None
        self.last_scene_pos = QPointF(0, 0)  # where Tab-search adds a layer

    # ------------------------------------------------------------------ zoom and pan
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def fit(self, rect: QRectF, max_zoom: float = 1.4) -> None:
        """Shows rect whole, but not larger than max_zoom (a two-node graph should not fill a wall)."""
        if rect.isEmpty():
            return
        self._fit_zoom = max_zoom
        self.fitInView(rect.adjusted(-30, -40, 30, 30), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > max_zoom:
            self.zoom_by(max_zoom / self.zoom)
        self.centerOn(rect.center())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.refit()
        self.resized.emit()

    def refit(self) -> None:
        """Fits the drawing again, unless the user has zoomed or panned since the last fit."""
        if self._fit_zoom is not None:
            self.fit(self.scene().drawing_rect(), self._fit_zoom)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self._fit_zoom = None  # the user's zoom from now on
            self.zoom_by(1.15**steps)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_from = event.position()
            self._fit_zoom = None  # the user's view from now on
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        self.last_scene_pos = self.mapToScene(event.position().toPoint())
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        if not any(isinstance(i, NodeItem) for i in self.scene().items(scene_pos)):
            self.last_scene_pos = scene_pos
            self.searchRequested.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # ------------------------------------------------------------------ keys
    def focusNextPrevChild(self, forward: bool) -> bool:
        return False  # Tab belongs to the canvas: it opens the layer search

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Tab:
            self.searchRequested.emit()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self._fit_zoom = None
            self.zoom_by(1.25)
        elif event.key() == Qt.Key.Key_Minus:
            self._fit_zoom = None
            self.zoom_by(0.8)
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------------ drops from the palette
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if not data.hasFormat(LAYER_MIME):
            event.ignore()
            return
        layer_type = bytes(data.data(LAYER_MIME)).decode("utf-8")
        self.layerDropped.emit(layer_type, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

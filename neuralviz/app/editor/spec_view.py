"""SpecView: a network spec drawn small and read-only, with the Architecture editor's own nodes and wires
(shapes on the wires, parameters in the nodes): what a page shows permanently beside its run, e.g. a GAN's
generator and discriminator, with the full editor a double-click away (`activated`).

The drawing is laid out for the view's own size (long chains wrap into rows) and fitted whole; nothing in
it can be selected or moved, and no edit is possible here (SpecEditorDialog edits).
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QGraphicsView

from ..common.theme import Theme
from .inference import ShapeChecker
from .layout import auto_layout
from .model import GraphModel
from .scene import GraphScene
from .style import canvas_style

MAX_ZOOM = 1.0  # a two-layer net drawn in a large panel stays at its normal size


class SpecView(QGraphicsView):
    activated = pyqtSignal()  # double-clicked: the page may open the editor

    def __init__(self, theme: Theme, parent=None):
        self.graph = GraphScene(canvas_style(theme))
        super().__init__(self.graph, parent)
        self.graph.setParent(self)
        self.checker = ShapeChecker()
        self.model: GraphModel | None = None
        self.setInteractive(False)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setToolTip("Double-click to edit this network")

    def show_spec(self, spec: dict) -> None:
        """Draws `spec` (SpecError, naming the problem, when it is not a network spec)."""
        self.model = GraphModel.from_spec(spec)
        self._draw()

    def set_theme(self, theme: Theme) -> None:
        self.graph.set_style(canvas_style(theme))
        if self.model is not None:
            self._draw()

    def _draw(self) -> None:
        model, unit = self.model, self.graph.unit
        inference = self.checker.infer(model)
        sizes = self.graph.measure(model, inference)
        vp = self.viewport().rect()
        canvas = (max(vp.width(), 200) / unit, max(vp.height(), 80) / unit)
        model.positions.clear()
        model.positions.update(auto_layout(model, sizes.get, canvas, max_zoom=MAX_ZOOM))
        self.graph.sync(model, inference)
        self._fit()

    def _fit(self) -> None:
        rect = self.graph.drawing_rect()
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect.adjusted(-10, -26, 10, 10), Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > MAX_ZOOM:
            self.resetTransform()
            self.scale(MAX_ZOOM, MAX_ZOOM)
        self.centerOn(rect.center())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.model is not None:
            self._draw()  # laid out again for the new size: rows where a row would be too small to read

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.activated.emit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, 140)

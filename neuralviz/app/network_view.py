"""NetworkView: the compact diagram of the current network, updated live.

For small MLPs it is the Playground's picture: every neuron a heat-map of its activation over the input
plane (or its curve over x for 1-D regression), edges coloured by the sign of their weight and as thick
as its size, a bias square per neuron. Clicking a neuron enlarges its map in the output view; clicking an
input feature of 2-D data switches it on or off. Other networks are drawn as layer blocks with their
output shapes and parameter counts, top to bottom in the order data flows.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QTransform
from PyQt6.QtWidgets import (QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsSimpleTextItem,
                             QGraphicsView)

from ..spec import INPUT
from .data_panel import FEATURE_LABELS
from .network_items import EdgeBundleItem, LayerBlockItem, NeuronItem
from .render import HeatmapPainter, neuron_scale, to_qimage
from .snapshot import NetStructure, RunInfo, Snapshot
from .theme import Theme

NEURON = 44.0           # neuron box size (scene units; the view scales the whole scene to fit)
PITCH = 58.0            # vertical distance between neurons
COLUMN_GAP = 150.0      # horizontal distance between columns


class NetworkView(QGraphicsView):
    neuronClicked = pyqtSignal(str, int)     # map layer id, unit
    featureToggled = pyqtSignal(str)         # a Playground feature name

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.theme = theme
        self.painter = HeatmapPainter(theme)
        self._structure: Optional[NetStructure] = None
        self._info: Optional[RunInfo] = None
        self._neurons: dict[str, list[NeuronItem]] = {}     # map layer -> items
        self._edges: dict[str, EdgeBundleItem] = {}          # dense id -> bundle
        self._texts: list[QGraphicsSimpleTextItem] = []
        self._blocks: list[LayerBlockItem] = []
        self._selected: Optional[tuple[str, int]] = None
        self._content: Optional[QRectF] = None
        self._margins = (10.0, 10.0, 10.0, 10.0)     # left, top, right, bottom in screen pixels

    # ------------------------------------------------------------------ public slots
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        if self._info is not None:
            self._build(self._info)

    def show_info(self, info: RunInfo) -> None:
        """Rebuild the scene when the network (or the active input features) changed."""
        if info.structure is self._structure:
            self._info = info
            return
        self._build(info)

    def show_snapshot(self, snap: Snapshot) -> None:
        if snap.info.structure is not self._structure:
            self._build(snap.info)
        if self._structure.kind != "mlp":
            return
        self._update_maps(snap)
        self._update_weights(snap)

    def select(self, map_layer: Optional[str], unit: int = 0) -> None:
        self._selected = (map_layer, unit) if map_layer else None
        for layer, items in self._neurons.items():
            for k, item in enumerate(items):
                item.set_state(item.active, self._selected == (layer, k))

    # ------------------------------------------------------------------ building
    def _build(self, info: RunInfo) -> None:
        scene = self.scene()
        scene.clear()
        self._neurons, self._edges, self._texts, self._blocks = {}, {}, [], []
        self._info, self._structure = info, info.structure
        if info.structure.kind == "mlp":
            self._build_mlp(info)
        else:
            self._build_blocks(info.structure)
        content = QRectF()
        for item in scene.items():
            if not isinstance(item, QGraphicsSimpleTextItem):
                content = content.united(item.sceneBoundingRect())
        self._content = content
        self._fit()

    def _text(self, text: str, x: float, y: float, scale: float = 1.0, bold: bool = False,
              align: str = "left", middle: bool = False, dy_px: float = 0.0) -> QGraphicsSimpleTextItem:
        """A label anchored at scene point (x, y) that keeps its size on screen however much the diagram
        is scaled to fit; align/middle/dy_px place it around the anchor in screen pixels."""
        item = QGraphicsSimpleTextItem(text)
        font = QFont(self.font())
        font.setPointSizeF(self.theme.font_pt * scale)
        font.setBold(bold)
        item.setFont(font)
        item.setBrush(QColor(self.theme.text))
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        rect = item.boundingRect()
        dx = {"left": 0.0, "centre": -rect.width() / 2, "right": -rect.width()}[align]
        dy = dy_px - (rect.height() / 2 if middle else 0.0)
        item.setTransform(QTransform.fromTranslate(dx, dy))
        item.setPos(x, y)
        self.scene().addItem(item)
        self._texts.append(item)
        return item

    def _build_mlp(self, info: RunInfo) -> None:
        columns = info.structure.columns
        heights = [c.units * PITCH for c in columns]
        tallest = max(heights)
        positions: list[list[QPointF]] = []
        top = 0.0                       # titles sit above the tallest column
        label_width = 0.0
        for i, col in enumerate(columns):
            x = i * (NEURON + COLUMN_GAP)
            y0 = (tallest - heights[i]) / 2
            pts = [QPointF(x, y0 + k * PITCH) for k in range(col.units)]
            positions.append(pts)
            subtitle = f"{col.units} neuron{'s' if col.units != 1 else ''}"
            if i == 0 and not all(col.active):
                subtitle = f"{sum(col.active)} of {col.units} in use"
            if i > 0 and col.map_layer != col.dense_id:
                subtitle += f" · {self._activation_name(col.map_layer)}"
            title = self._text(col.title, x + NEURON / 2, top, 1.05, bold=True, align="centre", dy_px=-48)
            self._text(subtitle, x + NEURON / 2, top, 0.9, align="centre",
                       dy_px=-48 + title.boundingRect().height())
            items = []
            for k, pt in enumerate(pts):
                name = col.names[k]
                label = FEATURE_LABELS.get(name, name) if i == 0 else ""
                tip = (f"{label}: click to {'remove' if col.active[k] else 'add'} this input feature"
                       if i == 0 and info.kind == "planar" else
                       f"{name}: click to see its map in the output view")
                item = NeuronItem(NEURON, label, tip, self._click_handler(i, col, k))
                item.theme = self.theme
                item.setPos(pt)
                item.set_state(col.active[k], self._selected == (col.map_layer, k))
                self.scene().addItem(item)
                items.append(item)
                if i == 0:
                    text = self._text(label, pt.x() - 6, pt.y() + NEURON / 2, 1.0, align="right", middle=True)
                    label_width = max(label_width, text.boundingRect().width())
            self._neurons[col.map_layer] = items
        self._add_edges(columns, positions)
        self._show_input_maps(info)
        out_x = (len(columns) - 1) * (NEURON + COLUMN_GAP)
        summary = self._text(info.structure.summary, out_x + NEURON, tallest - PITCH + NEURON, 0.9,
                             align="right", dy_px=6)
        self._margins = (label_width + 16, 56.0, 12.0, summary.boundingRect().height() + 12)

    def _activation_name(self, map_layer: str) -> str:
        net_layers = {l["id"]: l["type"] for l in self._info.settings.network.get("layers", [])}
        return net_layers.get(map_layer, map_layer)

    def _click_handler(self, column_index: int, col, unit: int):
        if column_index == 0:
            if self._info.kind == "planar":
                return lambda: self.featureToggled.emit(col.names[unit])
            return lambda: None
        return lambda: self.neuronClicked.emit(col.map_layer, unit)

    def _add_edges(self, columns, positions) -> None:
        for i in range(1, len(columns)):
            prev, col = columns[i - 1], columns[i]
            # inputs of this dense layer: the active neurons of the previous column, in order
            starts = [QPointF(p.x() + NEURON, p.y() + NEURON / 2)
                      for p, on in zip(positions[i - 1], prev.active) if on]
            ends = [QPointF(p.x(), p.y() + NEURON / 2) for p in positions[i]]
            bundle = EdgeBundleItem(starts, ends)
            bundle.theme = self.theme
            self.scene().addItem(bundle)
            self._edges[col.dense_id] = bundle

    def _show_input_maps(self, info: RunInfo) -> None:
        col = info.structure.columns[0]
        for k, item in enumerate(self._neurons[col.map_layer]):
            fmap = info.feature_maps.get(col.names[k])
            if fmap is not None:
                item.set_image(to_qimage(self.painter.diverging(fmap)))
            elif info.line_x is not None:
                x = info.line_x
                item.set_curve(x, float(np.max(np.abs(x))) or 1.0)

    def _build_blocks(self, structure: NetStructure) -> None:
        blocks = structure.blocks
        depth: dict[str, int] = {INPUT: 0}
        for b in blocks:
            depth[b.id] = 1 + max(depth.get(s, 0) for s in b.inputs)
        rows: dict[int, list[str]] = {}
        for name, d in depth.items():
            rows.setdefault(d, []).append(name)
        pos: dict[str, QPointF] = {}
        w, h, gap = LayerBlockItem.WIDTH, LayerBlockItem.HEIGHT, 22.0
        for d, names in rows.items():
            for j, name in enumerate(names):
                pos[name] = QPointF((j - (len(names) - 1) / 2) * (w + 30), d * (h + gap))
        shape = "×".join(str(s) for s in structure.input_shape)
        entries = [(INPUT, "input", f"input", f"shape {shape}", "")]
        entries += [(b.id, b.type, f"{b.id} · {b.type}",
                     f"{'×'.join(str(s) for s in b.output_shape)}" + (f" · {b.params:,d} params" if b.params else ""),
                     b.detail) for b in blocks]
        for name, kind, title, line2, detail in entries:
            item = LayerBlockItem(title, line2, kind, f"{title}\noutput {line2}" + (f"\n{detail}" if detail else ""))
            item.theme = self.theme
            item.setPos(pos[name])
            self.scene().addItem(item)
            self._blocks.append(item)
        pen = QPen(QColor(self.theme.text), 1.6 if not self.theme.high_contrast else 2.5)
        for b in blocks:
            for src in b.inputs:
                self._arrow(pos[src], pos[b.id], depth[b.id] - depth[src] > 1, pen)
        summary = self._text(structure.summary, pos[blocks[-1].id].x() + w / 2, pos[blocks[-1].id].y() + h,
                             0.95, align="centre", dy_px=8)
        self._margins = (10.0, 10.0, 10.0, summary.boundingRect().height() + 16)

    def _arrow(self, a: QPointF, b: QPointF, skip: bool, pen: QPen) -> None:
        w, h = LayerBlockItem.WIDTH, LayerBlockItem.HEIGHT
        path = QPainterPath()
        if skip:   # a skip connection bends around the right side of the layers it jumps over
            start, end = QPointF(a.x() + w, a.y() + h / 2), QPointF(b.x() + w, b.y() + h / 2)
            out = max(start.x(), end.x()) + 50
            path.moveTo(start)
            path.cubicTo(QPointF(out, start.y()), QPointF(out, end.y()), end)
            tip, direction = end, -1.0
            head = [QPointF(tip.x() + 9, tip.y() - 5), QPointF(tip.x() + 9, tip.y() + 5)]
        else:
            start, end = QPointF(a.x() + w / 2, a.y() + h), QPointF(b.x() + w / 2, b.y())
            path.moveTo(start)
            path.cubicTo(QPointF(start.x(), start.y() + 15), QPointF(end.x(), end.y() - 15), end)
            tip = end
            head = [QPointF(tip.x() - 5, tip.y() - 9), QPointF(tip.x() + 5, tip.y() - 9)]
        path.moveTo(head[0])
        path.lineTo(tip)
        path.lineTo(head[1])
        item = QGraphicsPathItem(path)
        item.setPen(pen)
        item.setZValue(-1)
        self.scene().addItem(item)

    # ------------------------------------------------------------------ per frame
    def _update_maps(self, snap: Snapshot) -> None:
        columns = self._structure.columns
        for col in columns[1:]:
            values = snap.neuron_maps.get(col.map_layer)
            items = self._neurons.get(col.map_layer, [])
            if values is None or len(values) != len(items):
                continue
            if values.ndim == 3:           # maps over the plane
                for item, m in zip(items, values):
                    item.set_image(to_qimage(self.painter.diverging(m, neuron_scale(m))))
            else:                          # curves over x
                for item, c in zip(items, values):
                    item.set_curve(c, neuron_scale(c))

    def _update_weights(self, snap: Snapshot) -> None:
        lut = self.painter.lut
        for dense_id, bundle in self._edges.items():
            w = snap.params.get(f"{dense_id}.weight")
            if w is not None and w.ndim == 2:
                bundle.set_weights(w)
            b = snap.params.get(f"{dense_id}.bias")
            col = next((c for c in self._structure.columns if c.dense_id == dense_id), None)
            if b is None or col is None:
                continue
            rows = np.clip(((np.nan_to_num(b) + 1.0) * 127.5).astype(int), 0, 255)
            for item, r in zip(self._neurons.get(col.map_layer, []), rows):
                item.set_bias(QColor(*(int(c) for c in lut[r, :3])))

    # ------------------------------------------------------------------ fitting
    def _fit(self) -> None:
        """Scale the drawing to the view, leaving the margins (in screen pixels) the labels need."""
        rect = self._content
        if rect is None or rect.isEmpty():
            return
        left, top, right, bottom = self._margins
        vw, vh = max(50, self.viewport().width()), max(50, self.viewport().height())
        scale = min((vw - left - right) / rect.width(), (vh - top - bottom) / rect.height(), 2.0)
        scale = max(scale, 0.05)
        self.setTransform(QTransform.fromScale(scale, scale))
        full = rect.adjusted(-left / scale, -top / scale, right / scale, bottom / scale)
        self.scene().setSceneRect(full)
        self.centerOn(full.center())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()

"""NetworkView: the compact diagram of the current network, updated live.

For small MLPs it is the Playground's picture: every neuron a heat-map of its activation over the input
plane (or its curve over x for 1-D regression), edges coloured by the sign of their weight and as thick
as its size, a bias square per neuron. The edges can instead show how the last training step changed each
weight (Δw, = -lr x the gradient for plain SGD: backpropagation's chain rule at work), scaled so the
largest change is drawn full width. Clicking a neuron enlarges its map in the output view; clicking an
input feature of 2-D data switches it on or off. Other networks are drawn as layer blocks with their
output shapes and parameter counts, top to bottom in the order data flows.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QTransform
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from ...spec import INPUT
from ..common.render import HeatmapPainter, neuron_scale, neuron_scales, to_qimage
from ..common.snapshot import NetStructure, RunInfo, Snapshot
from ..common.theme import Theme
from .data_panel import FEATURE_LABELS
from .network_items import EdgeLayer, LayerBlockItem, NeuronItem, NeuronLayer

EDGE_MODES = {"weights": "weights w", "delta": "last step's Δw"}  # what the edges show -> its name
NEURON = 44.0  # neuron box size (scene units; the view scales the whole scene to fit)
PITCH = 58.0  # vertical distance between neurons
MIN_GAP = 120.0  # least horizontal distance between columns (more when the view is wide)


class NetworkView(QGraphicsView):
    neuronClicked = pyqtSignal(str, int)  # map layer id, unit
    featureToggled = pyqtSignal(str)  # a Playground feature name

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        # the edges are drawn as the background, which Qt keeps as a pixmap until we reset it
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setBackgroundBrush(QColor("#ffffff"))
        self.theme = theme
        self.painter = HeatmapPainter(theme)
        self._structure: NetStructure | None = None
        self._info: RunInfo | None = None
        self._neurons: dict[str, list[NeuronItem]] = {}  # map layer -> items
        self._edges: EdgeLayer | None = None
        self._texts: list[QGraphicsSimpleTextItem] = []
        self._blocks: list[LayerBlockItem] = []
        self._selected: tuple[str, int] | None = None
        self._content: QRectF | None = None
        self._gap = MIN_GAP
        self._last: Snapshot | None = None
        self._margins = (10.0, 10.0, 10.0, 10.0)  # left, top, right, bottom in screen pixels
        self.edge_mode = "weights"
        self._label_scale = 1.0  # the labels' size factor (below 1 in a panel too narrow for them)

    # ------------------------------------------------------------------ public slots
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        if self._info is not None:
            self._build(self._info)
            self.resetCachedContent()

    def set_edge_mode(self, mode: str) -> None:
        """What the edges show: "weights" (the Playground's picture) or "delta" (the last step's change)."""
        if mode not in EDGE_MODES:
            raise ValueError(f"edge mode must be one of {sorted(EDGE_MODES)}, got {mode!r}")
        self.edge_mode = mode
        if self._last is not None:
            self._update_weights(self._last)
            self.resetCachedContent()
            self.viewport().update()

    def changeEvent(self, event) -> None:
        # the window losing focus to a popup (the dataset list) restyles it; the cached background (the
        # edges) is redrawn whole then, never left blank outside the few items a frame repaints
        super().changeEvent(event)
        if event.type() in (QEvent.Type.ActivationChange, QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.resetCachedContent()
            self.viewport().update()

    def show_info(self, info: RunInfo) -> None:
        """Rebuild the scene when the network (or the active input features) changed."""
        if info.structure is self._structure:
            self._info = info
            return
        self._build(info)

    def show_snapshot(self, snap: Snapshot) -> None:
        self._last = snap
        if snap.info.structure is not self._structure:
            self._build(snap.info)
        if self._structure.kind != "mlp":
            return
        self._update_maps(snap)
        self._update_weights(snap)

    def select(self, map_layer: str | None, unit: int = 0) -> None:
        self._selected = (map_layer, unit) if map_layer else None
        for layer, items in self._neurons.items():
            for k, item in enumerate(items):
                item.set_state(item.active, self._selected == (layer, k))

    # ------------------------------------------------------------------ building
    def _build(self, info: RunInfo) -> None:
        scene = self.scene()
        scene.clear()
        self._neurons, self._edges, self._texts, self._blocks = {}, None, [], []
        self._info, self._structure = info, info.structure
        self.resetCachedContent()
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

    def _text(
        self,
        text: str,
        x: float,
        y: float,
        scale: float = 1.0,
        bold: bool = False,
        align: str = "left",
        middle: bool = False,
        dy_px: float = 0.0,
    ) -> QGraphicsSimpleTextItem:
        """A label anchored at scene point (x, y) that keeps its size on screen however much the diagram
        is scaled to fit; align/middle/dy_px place it around the anchor in screen pixels."""
        item = QGraphicsSimpleTextItem(text)
        font = QFont(self.font())
        font.setPointSizeF(self.theme.font_pt * scale * self._label_scale)
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

    def _column_gap(self, columns) -> float:
        """Spread the columns to the view's shape: a tall network in a wide panel gets wide gaps, so it
        is drawn as large as the panel allows and the column labels have room."""
        vw, vh = max(100, self.viewport().width()), max(100, self.viewport().height())
        tallest = max(c.units for c in columns) * PITCH
        n = len(columns)
        wanted = (vw - 120) / max(vh - 90, 50) * tallest  # scene width that fills the view at fit
        return max(MIN_GAP, (wanted - n * NEURON) / max(n - 1, 1))

    def _fit_label_scale(self, columns) -> float:
        """Column headers shrink (to 60% at most) where the panel is too narrow to set them side by side
        at full size (large fonts on a 1024-pixel projector): smaller headers, never overlapping ones."""

        def width(text: str, scale: float, bold: bool = False) -> float:
            font = QFont(self.font())
            font.setPointSizeF(self.theme.font_pt * scale)
            font.setBold(bold)
            return QFontMetricsF(font).horizontalAdvance(text)

        widest = max(max(width(c.title, 1.05, True), width(f"{c.units} of {c.units} in use", 0.9)) for c in columns)
        pitch = (max(100, self.viewport().width()) - 60) / len(columns)
        return min(1.0, max(0.6, 0.92 * pitch / widest))

    def _build_mlp(self, info: RunInfo) -> None:
        columns = info.structure.columns
        self._label_scale = self._fit_label_scale(columns)
        self._gap = gap = self._column_gap(columns)
        heights = [c.units * PITCH for c in columns]
        tallest = max(heights)
        positions: list[list[QPointF]] = []
        neuron_layer = NeuronLayer(self.theme)
        top = 0.0  # titles sit above the tallest column
        label_width = 0.0
        header_px = self._header_height()
        for i, col in enumerate(columns):
            x = i * (NEURON + gap)
            y0 = (tallest - heights[i]) / 2
            pts = [QPointF(x, y0 + k * PITCH) for k in range(col.units)]
            positions.append(pts)
            lines = [f"{col.units} neuron{'s' if col.units != 1 else ''}"]
            if i == 0 and not all(col.active):
                lines = [f"{sum(col.active)} of {col.units} in use"]
            if i > 0 and col.map_layer != col.dense_id:
                lines.append(self._activation_name(col.map_layer))
            # a header of short lines (title, width, activation) stays narrower than the column pitch
            title = self._text(col.title, x + NEURON / 2, top, 1.05, bold=True, align="centre", dy_px=-header_px)
            dy, widths = -header_px + title.boundingRect().height(), [title.boundingRect().width()]
            for text in lines:
                sub = self._text(text, x + NEURON / 2, top, 0.9, align="centre", dy_px=dy)
                dy += sub.boundingRect().height() - 2
                widths.append(sub.boundingRect().width())
            half_label = max(widths) / 2
            if i == 0:
                first_half = half_label
            last_half = half_label
            items = []
            for k, pt in enumerate(pts):
                name = col.names[k]
                label = FEATURE_LABELS.get(name, name) if i == 0 else ""
                tip = (
                    f"{label}: click to {'remove' if col.active[k] else 'add'} this input feature"
                    if i == 0 and info.kind == "planar"
                    else f"{name}: click to see its map in the output view"
                )
                item = NeuronItem(NEURON, tip, self._click_handler(i, col, k), neuron_layer)
                item.setPos(pt)
                item.set_state(col.active[k], self._selected == (col.map_layer, k))
                self.scene().addItem(item)
                items.append(item)
                if i == 0:
                    text = self._text(label, pt.x() - 6, pt.y() + NEURON / 2, 1.0, align="right", middle=True)
                    label_width = max(label_width, text.boundingRect().width())
            self._neurons[col.map_layer] = items
        neuron_layer.finish()
        self.scene().addItem(neuron_layer)
        self._add_edges(columns, positions)
        self._show_input_maps(info)
        out_x = (len(columns) - 1) * (NEURON + gap)
        summary = self._text(
            info.structure.summary, out_x + NEURON, tallest - PITCH + NEURON, 0.9, align="right", dy_px=6
        )
        # room in screen pixels for the input labels and for column titles wider than their neurons
        self._margins = (
            max(label_width + 16, first_half + 6),
            header_px + 8,
            max(12.0, last_half + 6),
            summary.boundingRect().height() + 12,
        )

    def _header_height(self) -> float:
        """Screen pixels the column headers need: a bold title and two short lines, plus a gap."""

        def line(scale: float, bold: bool = False) -> float:
            font = QFont(self.font())
            font.setPointSizeF(self.theme.font_pt * scale * self._label_scale)
            font.setBold(bold)
            return QFontMetricsF(font).height()

        return line(1.05, True) + 2 * (line(0.9) - 2) + 8

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
        self._edges = EdgeLayer(self.theme)
        for i in range(1, len(columns)):
            prev, col = columns[i - 1], columns[i]
            # inputs of this dense layer: the active neurons of the previous column, in order
            starts = [QPointF(p.x() + NEURON, p.y() + NEURON / 2) for p, on in zip(positions[i - 1], prev.active) if on]
            ends = [QPointF(p.x(), p.y() + NEURON / 2) for p in positions[i]]
            self._edges.add_bundle(col.dense_id, starts, ends)
        # the scene must cover the edges for the background to be drawn under them
        self.scene().addRect(
            QRectF(positions[0][0], positions[-1][-1]).normalized(), QPen(Qt.PenStyle.NoPen)
        ).setZValue(-10)

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
        entries = [(INPUT, "input", "input", f"shape {shape}", "")]
        entries += [
            (
                b.id,
                b.type,
                f"{b.id} · {b.type}",
                f"{'×'.join(str(s) for s in b.output_shape)}" + (f" · {b.params:,d} params" if b.params else ""),
                b.detail,
            )
            for b in blocks
        ]
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
        summary = self._text(
            structure.summary, pos[blocks[-1].id].x() + w / 2, pos[blocks[-1].id].y() + h, 0.95, align="centre", dy_px=8
        )
        self._margins = (10.0, 10.0, 10.0, summary.boundingRect().height() + 16)

    def _arrow(self, a: QPointF, b: QPointF, skip: bool, pen: QPen) -> None:
        w, h = LayerBlockItem.WIDTH, LayerBlockItem.HEIGHT
        path = QPainterPath()
        if skip:  # a skip connection bends around the right side of the layers it jumps over
            start, end = QPointF(a.x() + w, a.y() + h / 2), QPointF(b.x() + w, b.y() + h / 2)
            out = max(start.x(), end.x()) + 50
            path.moveTo(start)
            path.cubicTo(QPointF(out, start.y()), QPointF(out, end.y()), end)
            tip = end
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
            if values.ndim == 3:  # maps over the plane, coloured in one pass, each on its own scale
                for item, rgba in zip(items, self.painter.diverging_stack(values, neuron_scales(values))):
                    item.set_image(to_qimage(rgba))
            else:  # curves over x
                for item, c in zip(items, values):
                    item.set_curve(c, neuron_scale(c))

    def _update_weights(self, snap: Snapshot) -> None:
        edges = self._edges
        if edges is None:
            return
        lut = self.painter.lut
        source, scale = snap.params, 1.0
        if self.edge_mode == "delta":
            source = snap.step_delta
            biggest = max((float(np.max(np.abs(d))) for d in source.values() if d.size), default=0.0)
            scale = 3.0 / biggest if biggest > 0 else 0.0  # the largest change drawn full width (|w| = 3)
        for col in self._structure.columns[1:]:
            w = source.get(f"{col.dense_id}.weight")
            if w is None and self.edge_mode == "delta" and f"{col.dense_id}.weight" in snap.params:
                w = np.zeros_like(snap.params[f"{col.dense_id}.weight"])  # no step yet: nothing changed
            if w is not None and w.ndim == 2:
                edges.set_weights(col.dense_id, w * scale if scale != 1.0 else w)
            b = snap.params.get(f"{col.dense_id}.bias")
            if b is not None:
                rows = ((np.clip(np.nan_to_num(b), -1.0, 1.0) + 1.0) * 127.5).astype(int)
                for item, r in zip(self._neurons.get(col.map_layer, []), rows):
                    item.set_bias(QColor(*(int(c) for c in lut[r, :3])))
        if edges.due() or not snap.playing:
            self.resetCachedContent()
            self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#ffffff"))
        if self._edges is not None:
            self._edges.draw(painter)

    # ------------------------------------------------------------------ fitting
    def _fit(self) -> None:
        """Scale the drawing to the view, leaving the margins (in screen pixels) the labels need."""
        rect = self._content
        if rect is None or rect.isEmpty():
            return
        left, top, right, bottom = self._margins
        vw, vh = max(50, self.viewport().width()), max(50, self.viewport().height())
        scale = min((vw - left - right) / rect.width(), (vh - top - bottom) / rect.height(), 1.5)
        scale = max(scale, 0.05)
        self.setTransform(QTransform.fromScale(scale, scale))
        full = rect.adjusted(-left / scale, -top / scale, right / scale, bottom / scale)
        self.scene().setSceneRect(full)
        self.centerOn(full.center())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if (
            self._structure is not None
            and self._structure.kind == "mlp"
            and (
                abs(self._column_gap(self._structure.columns) - self._gap) > 0.1 * self._gap
                or abs(self._fit_label_scale(self._structure.columns) - self._label_scale) > 0.05
            )
        ):
            self._build(self._info)  # the panel changed shape: spread the columns again
            if self._last is not None:
                self.show_snapshot(self._last)
        self._fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()

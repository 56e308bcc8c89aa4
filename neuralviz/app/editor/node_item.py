"""NodeItem: one layer (or the network input) on the canvas.

It shows the layer's name and type, a summary of its settings, its output shape and parameter count
(from shape inference), and, while the network trains, thumbnails of its activity painted straight into
the node (no embedded widgets). A node that does not build gets a red outline, a "!" badge and the
engine's message under it; the network output carries an OUTPUT tag.
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFontMetricsF, QImage, QPainter, QPen
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsObject

from ...spec import INPUT
from .catalog import format_shape
from .inference import NodeInfo
from .port_item import RADIUS, PortItem
from .style import ERROR, ERROR_TEXT, OUTPUT_TAG, SELECTED, CanvasStyle

PAD = 9.0
MIN_WIDTH = 132.0
THUMB = 54.0  # thumbnail side at normal fonts
MAX_THUMBS = 4
ERROR_LINES = 3


def short_error(message: str, lid: str) -> str:
    """The engine's message without the "layer 'id' (type): " prefix the node already shows."""
    head = f"layer '{lid}' "
    if message.startswith(head) and "): " in message:
        message = message.split("): ", 1)[1]
    return message


class NodeItem(QGraphicsObject):
    def __init__(self, lid: str, style: CanvasStyle):
        super().__init__()
        self.lid = lid
        self.style = style
        self.layer_type = "input" if lid == INPUT else ""
        self.detail = ""
        self.info = NodeInfo()
        self.is_output = False
        self.n_inputs = 0
        self.thumbnails: list[QImage] = []
        self.thumb_note = ""
        self._thumb_total, self._thumb_what = 0, ""
        self.band = False  # room for activity thumbnails (while the studio trains)
        self.edges: list = []  # EdgeItems attached (kept up to date by the scene)
        self._size = (MIN_WIDTH, 60.0)
        self._error_rect = QRectF()
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.in_port: PortItem | None = None if lid == INPUT else PortItem(self, is_output=False)
        self.out_port = PortItem(self, is_output=True)
        self._relayout()

    # ================================================================== content
    def show_layer(self, layer_type: str, detail: str, info: NodeInfo, is_output: bool, n_inputs: int) -> None:
        content = (layer_type, detail, info, is_output, n_inputs)
        if content == (self.layer_type, self.detail, self.info, self.is_output, self.n_inputs):
            return
        self.layer_type, self.detail, self.info, self.is_output, self.n_inputs = content
        self._relayout()

    def set_style(self, style: CanvasStyle) -> None:
        self.style = style
        self._relayout()

    def set_band(self, on: bool) -> None:
        """Reserves (or frees) the strip the thumbnails are drawn in. Every node gets the same strip, so
        nodes laid out on one line keep their ports on one line when thumbnails appear."""
        if on != self.band:
            self.band = on
            self._relayout()

    def set_thumbnails(self, images: list[QImage], total: int = 0, what: str = "", note: str = "") -> None:
        """Activity pictures: the first of `total` units or channels (`what`), or one picture and a note."""
        self.thumbnails = images[:MAX_THUMBS]
        self._thumb_total, self._thumb_what, self.thumb_note = total, what, note
        self.update()

    def thumbnail_caption(self) -> str:
        if self.thumb_note:
            return self.thumb_note
        shown, total, what = min(len(self.thumbnails), self.thumbnail_slots()), self._thumb_total, self._thumb_what
        if total > shown:
            return f"{what}s 1–{shown} of {total}" if shown > 1 else f"{what} 1 of {total}"
        return f"{total} {what}{'s' * (total != 1)}" if what else ""

    def thumbnail_slots(self) -> int:
        """How many thumbnails fit the node's width (the thumbnails never widen a node)."""
        k = self.style.scale
        return max(1, min(MAX_THUMBS, int((self._size[0] - 2 * PAD * k + 4 * k) // ((THUMB + 4) * k))))

    @property
    def title(self) -> str:
        return "input" if self.lid == INPUT else f"{self.lid} · {self.layer_type}"

    def lines(self) -> tuple[str, str]:
        """The detail line and the shape line under the title."""
        info = self.info
        if self.lid == INPUT:
            return "network input", f"→ {format_shape(info.shape)}"
        if info.ok:
            shape = f"→ {format_shape(info.shape)}"
            if info.params:
                shape += f" · {info.params:,d} params"
            if not info.used:
                shape += " · unused"
            return self.detail, shape
        if info.blocked_by:
            return self.detail, f"→ ? (waits for '{info.blocked_by}')"
        return self.detail, "→ shape unknown"

    # ================================================================== geometry
    def size(self) -> tuple[float, float]:
        return self._size

    def _fonts(self):
        s = self.style
        return s.font(1.1, bold=True), s.font(0.95), s.font(0.9)

    def _relayout(self) -> None:
        self.prepareGeometryChange()
        s = self.style.scale
        title_font, body_font, small_font = self._fonts()
        tm, bm = QFontMetricsF(title_font), QFontMetricsF(body_font)
        detail, shape = self.lines()
        text_w = max(tm.horizontalAdvance(self.title), bm.horizontalAdvance(detail), bm.horizontalAdvance(shape))
        w = max(MIN_WIDTH * s, text_w + 2 * PAD * s + 8)
        h = PAD * s + tm.height() + bm.height() * 2 + PAD * s  # two body lines even without detail,
        if self.band:  # so a row of nodes has one height
            h += THUMB * s + 6 * s + QFontMetricsF(small_font).height()
        self._size = (w, h)
        if self.in_port is not None:
            self.in_port.setPos(0, h / 2)
            self.in_port.set_radius(RADIUS * s)
        self.out_port.setPos(w, h / 2)
        self.out_port.set_radius(RADIUS * s)
        self._error_rect = self._layout_error(w, h)
        tip = [self.title, detail, shape]
        if self.info.flops:
            tip.append(f"{self.info.flops:,d} FLOPs per example (forward)")
        if self.info.error:
            tip.append(self.info.error)
        self.setToolTip("\n".join(t for t in tip if t))
        for edge in self.edges:
            edge.update_path()
        self.update()

    def _layout_error(self, w: float, h: float) -> QRectF:
        if not self.info.error:
            return QRectF()
        font = self.style.font(0.95)
        fm = QFontMetricsF(font)
        width = max(w, 260 * self.style.scale)
        text = short_error(self.info.error, self.lid)
        box = fm.boundingRect(QRectF(0, 0, width, 1e4), Qt.TextFlag.TextWordWrap, text)
        return QRectF(0, h + 6, width, min(box.height(), fm.lineSpacing() * ERROR_LINES + 2))

    def boundingRect(self) -> QRectF:
        w, h = self._size
        r = 12.0 * self.style.scale
        rect = QRectF(
            -r,
            -r - (22 * self.style.scale if self.is_output else 0),
            w + 2 * r,
            h + 2 * r + (22 * self.style.scale if self.is_output else 0),
        )
        return rect.united(self._error_rect.adjusted(-2, -2, 2, 2)) if self.info.error else rect

    def box(self) -> QRectF:
        return QRectF(0, 0, *self._size)

    def scene_box(self) -> QRectF:
        return self.box().translated(self.pos())

    def in_anchor(self, slot: int, count: int) -> QPointF:
        """Where the wire for input number `slot` of `count` ends (spread along the left side)."""
        if self.in_port is None:  # the network input has no input side
            return self.scenePos()
        centre = self.in_port.scenePos()
        if count <= 1:
            return centre
        spacing = min(20.0 * self.style.scale, (self._size[1] - 12) / count)
        return QPointF(centre.x(), centre.y() + (slot - (count - 1) / 2) * spacing)

    def out_anchor(self) -> QPointF:
        return self.out_port.scenePos()

    def port_tooltip(self, is_output: bool) -> str:
        if is_output:
            shape = format_shape(self.info.shape) if self.info.ok else "unknown"
            return f"output of '{self.lid}': {shape}\nDrag to another node's input to connect."
        many = " (takes several)" if self.n_inputs > 1 or self.layer_type in ("add", "concat") else ""
        return f"input of '{self.lid}'{many}\nDrag from another node's output to here."

    # ================================================================== painting
    def paint(self, p: QPainter, option, widget=None) -> None:
        s = self.style
        k = s.scale
        w, h = self._size
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(0, 0, w, h)
        if not self.info.used and self.lid != INPUT:
            p.setOpacity(0.6)
        selected = self.isSelected()
        if selected:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(9, 105, 218, 60))
            p.drawRoundedRect(rect.adjusted(-5, -5, 5, 5), 11, 11)
        if self.info.error:
            pen = QPen(QColor(ERROR), 3.0 * max(1.0, k * 0.8))
        elif selected:
            pen = QPen(QColor(SELECTED), 3.0)
        else:
            pen = QPen(s.border, s.border_width)
            if not self.info.used and self.lid != INPUT:
                pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(QBrush(s.fill(self.layer_type)))
        p.drawRoundedRect(rect, 8, 8)
        self._paint_text(p, rect)
        if self.band and self.thumbnails:
            self._paint_thumbnails(p, rect)
        p.setOpacity(1.0)
        if self.is_output:
            self._paint_output_tag(p)
        if self.info.error:
            self._paint_badge(p, w)
            p.setFont(s.font(0.95))
            p.setPen(QColor(ERROR_TEXT))
            p.drawText(self._error_rect, int(Qt.TextFlag.TextWordWrap), short_error(self.info.error, self.lid))

    def _paint_text(self, p: QPainter, rect: QRectF) -> None:
        k = self.style.scale
        title_font, body_font, _ = self._fonts()
        detail, shape = self.lines()
        x, y = PAD * k, PAD * k
        p.setFont(title_font)
        p.setPen(self.style.text)
        th = QFontMetricsF(title_font).height()
        p.drawText(QRectF(x, y, rect.width() - 2 * x, th), int(Qt.AlignmentFlag.AlignVCenter), self.title)
        y += th
        p.setFont(body_font)
        bh = QFontMetricsF(body_font).height()
        if detail:
            p.setPen(self.style.muted)
            p.drawText(QRectF(x, y, rect.width() - 2 * x, bh), int(Qt.AlignmentFlag.AlignVCenter), detail)
            y += bh
        else:
            y += bh / 2  # one line in the middle of the two-line body
        p.setPen(QColor(ERROR_TEXT) if self.info.error else self.style.text)
        p.drawText(QRectF(x, y, rect.width() - 2 * x, bh), int(Qt.AlignmentFlag.AlignVCenter), shape)

    def _paint_thumbnails(self, p: QPainter, rect: QRectF) -> None:
        k = self.style.scale
        side = THUMB * k
        _, body_font, small_font = self._fonts()
        note_h = QFontMetricsF(small_font).height()
        y = rect.height() - PAD * k - side - note_h
        x = PAD * k
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # pixels stay crisp
        for image in self.thumbnails[: self.thumbnail_slots()]:
            target = QRectF(x, y, side, side)
            p.drawImage(target, image)
            p.setPen(QPen(QColor("#8c959f"), 1.0))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(target)
            x += side + 4 * k
        caption = self.thumbnail_caption()
        if caption:
            p.setFont(small_font)
            p.setPen(self.style.muted)
            width = rect.width() - 2 * PAD * k
            caption = QFontMetricsF(small_font).elidedText(caption, Qt.TextElideMode.ElideRight, width)
            p.drawText(QRectF(PAD * k, y + side, width, note_h), int(Qt.AlignmentFlag.AlignVCenter), caption)

    def _paint_badge(self, p: QPainter, w: float) -> None:
        r = 11.0 * self.style.scale
        p.setPen(QPen(QColor("#ffffff"), 2.0))
        p.setBrush(QColor(ERROR))
        p.drawEllipse(QPointF(w, 0), r, r)
        font = self.style.font(1.05, bold=True)
        p.setFont(font)
        p.setPen(QColor("#ffffff"))
        p.drawText(QRectF(w - r, -r, 2 * r, 2 * r), int(Qt.AlignmentFlag.AlignCenter), "!")

    def _paint_output_tag(self, p: QPainter) -> None:
        font = self.style.font(0.8, bold=True)
        fm = QFontMetricsF(font)
        text = "OUTPUT"
        tag = QRectF(6, -fm.height() - 6, fm.horizontalAdvance(text) + 14, fm.height() + 4)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(OUTPUT_TAG))
        p.drawRoundedRect(tag, 4, 4)
        p.setFont(font)
        p.setPen(QColor("#ffffff"))
        p.drawText(tag, int(Qt.AlignmentFlag.AlignCenter), text)

    # ================================================================== interaction
    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)

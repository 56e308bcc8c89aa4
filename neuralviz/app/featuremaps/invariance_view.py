"""InvarianceView: translation invariance, the CNN next to a fully connected net of about the same size.

Two columns, the input as chosen and the input after the translation. Down the columns: the input; one
feature map of the CNN's first layer (the channel that responds most), which moves along with the input;
the CNN's answer; the fully connected net's hidden units, which have no spatial layout, so the same pattern
in another place gives an unrelated activation pattern; its answer. Below: test accuracy of both networks
when every test image is moved left or right by the same amount, with the current move marked.

The fully connected net (fc_twin.py) is trained by the page's own worker thread on the same training
images, for as many epochs as the studio has trained the CNN.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ..common.theme import Theme, diverging_lut
from .drawing import RIGHT, WRONG, draw_pixels, fitted, grey_image, rgba_image, theme_font
from .mosaic import MosaicPainter, fit_layout
from .probe import ProbeResult
from .sweep import SweepResult
from .workbench import PageContext


def _describe_shift(dx: int, dy: int) -> str:
    parts = [
        f"{abs(dx)} px {'right' if dx > 0 else 'left'}" if dx else "",
        f"{abs(dy)} px {'down' if dy > 0 else 'up'}" if dy else "",
    ]
    text = ", ".join(x for x in parts if x)
    return f"moved {text}" if text else "moved 0 px (use the sliders)"


class InvarianceView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.painter = MosaicPainter(diverging_lut(theme))
        self.ctx: PageContext | None = None
        self.result: ProbeResult | None = None
        self.sweep: SweepResult | None = None
        self.true_label: int | None = None
        self.channel = 0
        self._images: dict[str, QImage] = {}
        self._dirty = False
        self._plot_cache: tuple[tuple, QPixmap] | None = None  # the accuracy plot changes only per sweep
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 420)  # it scrolls (page.py) where the screen is shorter
        # it paints every pixel itself: Qt need not repaint the panel beneath it on each frame
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        # about 45 lines of text: its lines, the two rows of pictures and the plot; a shorter tab scrolls
        self.setMinimumHeight(max(420, int(theme.font_pt * 45)))
        self.painter = MosaicPainter(diverging_lut(theme))
        self._plot_cache = None
        if self.result is not None:
            self.show_result(self.result, self.true_label)

    def set_context(self, ctx: PageContext) -> None:
        self.ctx, self.result, self.sweep = ctx, None, None
        self._images.clear()
        self._plot_cache = None
        self.update()

    def show_sweep(self, sweep: SweepResult) -> None:
        self.sweep = sweep
        self.update()

    def show_result(self, result: ProbeResult, true_label: int | None) -> None:
        """Keeps the result; the pictures are made when the view is painted (never while it is hidden)."""
        self.result, self.true_label = result, true_label
        self._dirty = True
        self.update()

    def _render(self) -> None:
        """The pictures of both columns (painting then only places them)."""
        result, ctx = self.result, self.ctx
        self._dirty = False
        if ctx is None or result is None or not ctx.map_layers:
            return
        first = ctx.map_layers[0].id
        before, after = result.maps_original[first], result.maps[first]
        self.channel = int(np.argmax(before.reshape(len(before), -1).sum(axis=1)))
        peak = max(float(np.abs(before[self.channel]).max()), float(np.abs(after[self.channel]).max()), 1e-12)
        self._images = {"in0": grey_image(result.original.max(axis=0)), "in1": grey_image(result.image.max(axis=0))}
        for key, maps in (("map0", before), ("map1", after)):
            one = maps[self.channel][None]
            layout = fit_layout(1, one.shape[1], one.shape[2], one.shape[2], one.shape[1], gap=0, max_scale=1)
            self._images[key] = rgba_image(self.painter.render(one, layout, -peak, peak))
        if result.twin_hidden is not None:
            units = len(result.twin_hidden)
            side = int(np.ceil(np.sqrt(units)))
            layout = fit_layout(units, 1, 1, side * 4 - 1, side * 4 - 1, gap=1, max_scale=3)
            top = max(float(np.abs(result.twin_hidden).max()), float(np.abs(result.twin_hidden_original).max()), 1e-12)
            for key, h in (("fc0", result.twin_hidden_original), ("fc1", result.twin_hidden)):
                self._images[key] = rgba_image(
                    self.painter.render(np.asarray(h, np.float32).reshape(-1, 1, 1), layout, -top, top)
                )

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self.theme
        p.fillRect(self.rect(), QColor(t.panel))
        if self._dirty:
            self._render()
        r, ctx = self.result, self.ctx
        if r is None or ctx is None or not self._images:
            p.setPen(QColor(t.muted_text))
            p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, "Waiting for the network…")
            return
        p.setFont(theme_font(t))
        line = p.fontMetrics().height() + 3
        width = self.width() - 16
        y = self._title(p, 4.0, width)
        plot_h = max(150.0, 0.34 * self.height())
        p.setFont(theme_font(t, 0.9))
        foot_h = p.boundingRect(QRectF(0, 0, width, 1000), Qt.TextFlag.TextWordWrap, self._footnote_text()).height() + 4
        p.setFont(theme_font(t))
        has_twin = r.twin_probs is not None
        # rows: input, CNN map (same size), the twin's hidden units (smaller: they only need to be seen
        # changing); text: the column heads, two row labels, two answer lines
        rows_h = self.height() - y - plot_h - foot_h - 5 * line - 28
        side = max(24.0, min((width - 24) / 2, rows_h / (2.6 if has_twin else 2.0)))
        for i, text in enumerate(("as chosen", _describe_shift(*r.shift))):
            self._text(p, QRectF(8 + i * width / 2, y, width / 2, line), text, t.text, Qt.AlignmentFlag.AlignHCenter)
        y += line
        y = self._row(p, y, side, line, "in", "", None)
        y = self._row(
            p,
            y,
            side,
            line,
            "map",
            f"CNN: map {self.channel} of {ctx.map_layers[0].source}, it moves with the input",
            ("CNN", r.probs_original, r.probs),
        )
        if has_twin:
            y = self._row(
                p,
                y,
                0.6 * side,
                line,
                "fc",
                f"fully connected: its {len(r.twin_hidden)} hidden units, no spatial layout",
                ("FC", r.twin_probs_original, r.twin_probs),
            )
        self._cached_plot(p, QRectF(8, y + 4, width, self.height() - y - foot_h - 8), line)
        self._footnote(p, QRectF(8, self.height() - foot_h, width, foot_h))

    @staticmethod
    def _text(p: QPainter, rect: QRectF, text: str, colour: str, align=Qt.AlignmentFlag.AlignLeft) -> None:
        """One line of text, elided to the rect's width (large fonts in a narrow panel never spill over)."""
        p.setPen(QColor(colour))
        shown = p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))
        p.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, shown)

    def _title(self, p: QPainter, y: float, width: float) -> float:
        p.setFont(theme_font(self.theme, 1.05, bold=True))
        p.setPen(QColor(self.theme.text))
        text = "Move the input: the CNN's maps move with it. Does its answer stay?"
        box = p.boundingRect(QRectF(8, y, width, 1000), Qt.TextFlag.TextWordWrap, text)
        p.drawText(box, Qt.TextFlag.TextWordWrap, text)
        p.setFont(theme_font(self.theme))
        return box.bottom() + 6

    def _row(self, p, y, side, line, key, label, answers) -> float:
        t = self.theme
        half = (self.width() - 16) / 2
        if label:
            self._text(p, QRectF(8, y, 2 * half, line), label, t.muted_text)
            y += line
        for i in range(2):
            image = self._images.get(f"{key}{i}")
            if image is not None:
                box = QRectF(8 + i * half + (half - side) / 2, y, side, side)
                draw_pixels(p, fitted(box, image.height(), image.width()), image)
        y += side + 2
        if answers is not None:
            who, before, after = answers
            names = self.ctx.class_names
            k0, k1 = int(np.argmax(before)), int(np.argmax(after))
            for i, (k, probs) in enumerate(((k0, before), (k1, after))):
                text, colour = answer_text(who, names[k], float(probs[k]), k, self.true_label)
                if i == 1:
                    # whether the move changed the answer is said apart from right/wrong (a wrong answer
                    # that stays wrong is "same", never a green success), in words where they fit
                    full = f"{text} · {'same as unmoved' if k1 == k0 else 'changed'}"
                    if p.fontMetrics().horizontalAdvance(full) <= half - 4:
                        text = full
                self._text(
                    p, QRectF(8 + i * half, y, half, line), text, colour or t.text, Qt.AlignmentFlag.AlignHCenter
                )
            y += line + 4
        return y

    def _cached_plot(self, p: QPainter, rect: QRectF, line: float) -> None:
        """The plot is redrawn only when the sweep, the move, the size or the theme changed."""
        dx = self.result.shift[0] if self.result is not None else 0
        key = (id(self.sweep), dx, int(rect.width()), int(rect.height()), self.theme)
        if self._plot_cache is None or self._plot_cache[0] != key:
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(int(rect.width() * ratio), int(rect.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(QColor(self.theme.panel))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setFont(p.font())
            self._plot(painter, QRectF(0, 0, rect.width(), rect.height()), line)
            painter.end()
            self._plot_cache = (key, pixmap)
        p.drawPixmap(rect.topLeft(), self._plot_cache[1])

    def _plot(self, p: QPainter, rect: QRectF, line: float) -> None:
        """Test accuracy against the horizontal move: CNN solid with circles, fully connected dashed with
        squares (told apart without colour), a dotted line at the current move."""
        t, s = self.theme, self.sweep
        fm = p.fontMetrics()
        self._text(
            p,
            QRectF(rect.left(), rect.top(), rect.width(), line),
            "Test accuracy when every test image moves left (−) or right (+)",
            t.text,
        )
        if s is None:
            p.setPen(QColor(t.muted_text))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "measuring the test set…")
            return
        shifts = s.shifts.astype(float)
        lo, hi = shifts[0], shifts[-1]
        dx_now = self.result.shift[0] if self.result is not None else 0
        series = [("CNN", s.shift_accuracy, t.positive, Qt.PenStyle.SolidLine, "circle")]
        if s.twin_shift_accuracy is not None:
            series.append(("fully connected", s.twin_shift_accuracy, t.negative, Qt.PenStyle.DashLine, "square"))
        legends = [
            f"{name}: {100 * float(np.interp(dx_now, shifts, acc)):.0f}% at {dx_now:+d} px" for name, acc, *_ in series
        ]
        one_line = sum(34 + fm.horizontalAdvance(x) + 24 for x in legends) <= rect.width()
        legend_lines = 1 if one_line else len(legends)
        axis_w = fm.horizontalAdvance("100%") + 8
        right = fm.horizontalAdvance(f"{int(hi):+d}") / 2 + 6  # the last tick label stays inside
        area = QRectF(
            rect.left() + axis_w,
            rect.top() + (1 + legend_lines) * line + 8,
            rect.width() - axis_w - right,
            rect.height() - (3 + legend_lines) * line - 14,
        )
        if area.height() < 30:
            return

        def to_xy(dx, acc):
            return QPointF(
                area.left() + (dx - lo) / max(hi - lo, 1) * area.width(), area.bottom() - acc * area.height()
            )

        for acc in (0.0, 0.5, 1.0):
            a, b = to_xy(lo, acc), to_xy(hi, acc)
            p.setPen(QPen(QColor("#d0d7de"), 1))
            p.drawLine(a, b)
            self._text(
                p,
                QRectF(rect.left(), a.y() - line / 2, axis_w - 4, line),
                f"{acc * 100:.0f}%",
                t.text,
                Qt.AlignmentFlag.AlignRight,
            )
        step = max(1, int(np.ceil(len(shifts) / 9)))
        for dx in shifts[::step]:
            pt = to_xy(dx, 0.0)
            self._text(
                p,
                QRectF(pt.x() - 24, area.bottom() + 2, 48, line),
                f"{int(dx):+d}" if dx else "0",
                t.text,
                Qt.AlignmentFlag.AlignHCenter,
            )
        self._text(
            p,
            QRectF(area.left(), area.bottom() + line + 4, area.width(), line),
            "horizontal move in pixels",
            t.text,
            Qt.AlignmentFlag.AlignHCenter,
        )
        marker = to_xy(float(np.clip(dx_now, lo, hi)), 0.0)
        p.setPen(QPen(QColor(t.muted_text), 1.5, Qt.PenStyle.DotLine))
        p.drawLine(marker, QPointF(marker.x(), area.top()))
        legend_x, legend_y = area.left(), rect.top() + line * 1.5 + 2
        for (_name, acc, colour, style, mark), text in zip(series, legends):
            pen = QPen(QColor(colour), t.line_width + 0.5, style)
            path = QPainterPath(to_xy(shifts[0], acc[0]))
            for dx, a in zip(shifts[1:], acc[1:]):
                path.lineTo(to_xy(dx, a))
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            p.setBrush(QColor(colour))
            for dx, a in zip(shifts, acc):
                _marker(p, to_xy(dx, a), mark, 3.5)
            p.setPen(pen)
            p.drawLine(QPointF(legend_x, legend_y), QPointF(legend_x + 28, legend_y))
            _marker(p, QPointF(legend_x + 14, legend_y), mark, 3.5)
            self._text(p, QRectF(legend_x + 34, legend_y - line / 2, rect.right() - legend_x - 34, line), text, t.text)
            if one_line:
                legend_x += 34 + fm.horizontalAdvance(text) + 24
            else:
                legend_y += line

    def _footnote_text(self) -> str:
        twin = self.sweep.twin_epoch if self.sweep is not None else 0.0
        return (
            f"{self.ctx.cnn_description}, trained in the studio. {self.ctx.twin_description}, trained by "
            f"this page on the same images for as many epochs (now {twin:.1f})."
        )

    def _footnote(self, p: QPainter, rect: QRectF) -> None:
        p.setFont(theme_font(self.theme, 0.9))
        p.setPen(QColor(self.theme.muted_text))
        p.drawText(rect, Qt.TextFlag.TextWordWrap, self._footnote_text())


def _marker(p: QPainter, at: QPointF, kind: str, r: float) -> None:
    if kind == "square":
        p.drawRect(QRectF(at.x() - r, at.y() - r, 2 * r, 2 * r))
    else:
        p.drawEllipse(at, r, r)


def answer_text(who: str, name: str, probability: float, k: int, true_label: int | None) -> tuple[str, str]:
    """One network's answer and its colour: ✓ in RIGHT when it is the true label, ✗ in WRONG otherwise; with
    no known label (a drawn input) no mark and the plain text colour. Green means right, nothing else."""
    text = f"{who}: “{name}” {100 * probability:.0f}%"
    if true_label is None:
        return text, ""
    right = k == int(true_label)
    return f"{'✓' if right else '✗'} {text}", RIGHT if right else WRONG  # the mark first: never elided

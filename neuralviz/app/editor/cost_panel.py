"""CostPanel: where one training step of the drawn network spends its time and memory, layer by layer.

The lecture's "Big data, scaling" slide names memory size and CPU/GPU consumption; this panel shows both for
the network on the canvas: one row per layer with a bar of its measured milliseconds per step (forward in
blue, backward in orange, one scale for all rows), the memory of its weights and of its output for the
batch, and the step's totals above. The figures come from neuralviz.profile.layer_costs (median of a few
real steps, nothing trained), which runs the network, so it runs in a CostWorker in a WorkerHost's thread:
the page posts a CostRequest and draws the CostResult that comes back.

A CUDA backend will add its own column of times: the rows are `profile.rows`, so a second Profile of the
same network lines up row for row.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PyQt6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from ... import data as nvdata
from ...network import Network
from ...profile import Profile, format_bytes, layer_costs
from ..common.elided_label import ElidedLabel
from ..common.error_text import describe_error
from ..common.frame_worker import HostedWorker
from ..common.panels import scrolling, title_label
from ..common.spec_edit import fit_io
from ..common.theme import Theme

REPEATS = 5  # timed steps per measurement (after one warm-up): a median steady enough to read
DEFAULT_BATCH = 64


@dataclass(frozen=True)
class CostRequest:
    """What to measure: the drawing's spec, the batch size, and the data it will train on."""

    serial: int
    spec: dict
    batch: int
    dataset: str = ""  # the dataset's name ("" when none is known)
    input_shape: tuple[int, ...] | None = None  # the data's example shape when the page knows it


@dataclass(frozen=True)
class CostResult:
    serial: int
    profile: Profile
    dataset: str
    note: str = ""  # how the drawing was fitted to the data (or why it was not)


def data_shape(request: CostRequest) -> tuple[int, ...] | None:
    """The example shape of the request's data: given, or read from the dataset (None if it cannot be loaded,
    e.g. a dataset that needs files)."""
    if request.input_shape is not None:
        return tuple(request.input_shape)
    if not request.dataset:
        return None
    try:
        ds = nvdata.load(request.dataset, seed=0)
    except Exception:  # noqa: BLE001 - no data to fit to: the drawing is measured as drawn
        return None
    return None if ds.kind == "planar" else tuple(ds.input_shape)  # planar: the studio's features decide


def measure(request: CostRequest) -> CostResult:
    """Build the drawn network for the data's input shape (as the studio does) and measure one step of it.

    When the drawing cannot read the data, it is measured as drawn and the note says so; a drawing that does
    not build at all raises (SpecError, naming the layer)."""
    spec, note = request.spec, ""
    drawn = tuple(spec.get("input_shape", ()))
    shape = data_shape(request)
    net = None
    if shape is not None and shape != drawn:
        try:
            net = Network.from_spec(fit_io(spec, shape, None), seed=0)
            note = f"input {_shape(shape)} from {request.dataset or 'the data'}"
        except (ValueError, TypeError):
            note = f"as drawn: it cannot read {request.dataset or 'the data'} inputs of {_shape(shape)}"
    if net is None:
        net = Network.from_spec(spec, seed=0)
    return CostResult(request.serial, layer_costs(net, request.batch, repeats=REPEATS), request.dataset, note)


class CostWorker(HostedWorker):
    """Measures in the WorkerHost's thread and sends the CostResult as a frame; failures go to `failed`."""

    def measure(self, request: CostRequest) -> None:
        try:
            result = measure(request)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(f"Could not measure the cost: {describe_error(err, with_trace=False)}")
            return
        self._send(result)


# ---------------------------------------------------------------------------------------------- the view
def ms_text(ms: float) -> str:
    """Three significant figures, never in exponent form: 0.0123, 0.456, 2.31, 45.6, 1234."""
    if ms >= 100:
        return f"{ms:,.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}" if ms >= 0.01 else f"{ms:.4f}"


def _shape(shape) -> str:
    return "×".join(str(d) for d in shape)


class CostBars(QWidget):
    """The rows, painted: layer | a forward+backward bar with its ms and share | weights | outputs, and a
    totals row. One time scale for all rows (the longest layer fills the bar area)."""

    FONT_SCALE = 1.15  # a little above the widgets' text: these are the figures the room reads

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.profile: Profile | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._apply_font()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._apply_font()
        self.updateGeometry()
        self.update()

    def _apply_font(self) -> None:
        font = QFont(self.font())
        font.setPointSizeF(self.theme.font_pt * self.FONT_SCALE)
        self.setFont(font)

    def set_profile(self, profile: Profile | None) -> None:
        self.profile = profile
        self.updateGeometry()
        self.update()

    # ---- sizes
    def _row_height(self) -> int:
        return int(self.fontMetrics().height() * 1.3)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        rows = len(self.profile.rows) + 2 if self.profile else 0  # the header and the totals
        return QSize(520, self._row_height() * rows + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(280, self.sizeHint().height())

    def _columns(self, width: int) -> tuple[int, int, int]:
        """Widths of the name column, the bar area and each memory column."""
        fm = self.fontMetrics()
        memory = max(fm.horizontalAdvance(t) for t in ("888 kB", "weights", "outputs")) + 14
        names = [f"{r.id} · {r.type}" for r in self.profile.rows] if self.profile else ["layer"]
        name_w = min(max(fm.horizontalAdvance(n) for n in names) + 16, int(0.3 * width))
        return name_w, max(40, width - name_w - 2 * memory), memory

    # ---- painting
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        prof = self.profile
        if prof is None:
            return
        p = QPainter(self)
        name_w, bar_w, mem_w = self._columns(self.width())
        h, fm = self._row_height(), self.fontMetrics()
        bold = QFont(self.font())
        bold.setBold(True)
        label_w = fm.horizontalAdvance("88.88 ms  100%") + 10
        scale = max(10, bar_w - label_w) / (max((r.total_ms for r in prof.rows), default=0.0) or 1.0)
        self._header(p, name_w, bar_w, mem_w, h)
        for i, r in enumerate(prof.rows):
            y = (i + 1) * h
            if i % 2 == 0:
                p.fillRect(QRectF(0, y, self.width(), h), QColor(0, 0, 0, 14))
            self._name(p, r.id, r.type, bold, name_w, y, h)
            x, top = float(name_w), y + 0.2 * h
            for ms, colour in ((r.forward_ms, self.theme.positive), (r.backward_ms, self.theme.negative)):
                p.fillRect(QRectF(x, top, ms * scale, 0.6 * h), QColor(colour))
                x += ms * scale
            p.setPen(QColor(self.theme.text))
            room = int(name_w + bar_w - x - 12)
            for text in (f"{ms_text(r.total_ms)} ms  {r.share:.0%}", f"{ms_text(r.total_ms)} ms", ms_text(r.total_ms)):
                if fm.horizontalAdvance(text) <= room:
                    p.drawText(QRectF(x + 6, y, room + 6, h), _LEFT, text)
                    break
            self._memory(p, (r.param_bytes, r.activation_bytes), name_w + bar_w, mem_w, y, h)
        y = (len(prof.rows) + 1) * h
        p.setPen(QColor(self.theme.muted_text))
        p.drawLine(0, y, self.width(), y)
        p.setFont(bold)
        p.setPen(QColor(self.theme.text))
        p.drawText(QRectF(0, y, name_w, h), _LEFT, "total")
        layers = prof.total_forward_ms + prof.total_backward_ms
        p.drawText(QRectF(name_w, y, bar_w, h), _LEFT, f"{ms_text(layers)} ms in the layers")
        self._memory(p, (prof.param_bytes, prof.activation_bytes), name_w + bar_w, mem_w, y, h)
        p.end()

    def _header(self, p: QPainter, name_w: int, bar_w: int, mem_w: int, h: int) -> None:
        """Column titles; the time column's title is its legend (a swatch before each pass), in shorter words
        when the column is narrow."""
        fm, side = self.fontMetrics(), 0.55 * h
        p.setPen(QColor(self.theme.muted_text))
        p.drawText(QRectF(0, 0, name_w, h), _LEFT, "layer")
        words = next(
            (w for w in (("forward", "backward"), ("fwd", "bwd"), ("", "")) if _legend_width(fm, w, side) < bar_w - 8),
            ("", ""),
        )
        x = float(name_w)
        for word, colour in zip(words, (self.theme.positive, self.theme.negative)):
            p.fillRect(QRectF(x, (h - side) / 2, side, side), QColor(colour))
            x += side + 5
            p.drawText(QRectF(x, 0, fm.horizontalAdvance(word) + 2, h), _LEFT, word)
            x += fm.horizontalAdvance(word) + 14
        room = int(name_w + bar_w - x - 8)
        text = fm.elidedText("ms per step · share of the step", Qt.TextElideMode.ElideRight, room)
        if room > 40 and text != "…":
            p.drawText(QRectF(x, 0, room, h), _LEFT, text)
        for k, title in enumerate(("weights", "outputs")):
            p.drawText(QRectF(name_w + bar_w + k * mem_w, 0, mem_w - 6, h), _RIGHT, title)

    def _name(self, p: QPainter, lid: str, kind: str, bold: QFont, name_w: int, y: float, h: int) -> None:
        """The layer id in bold, then its type in muted text while there is room."""
        p.setFont(bold)
        p.setPen(QColor(self.theme.text))
        name = QFontMetrics(bold).elidedText(lid, Qt.TextElideMode.ElideRight, name_w - 10)
        p.drawText(QRectF(0, y, name_w, h), _LEFT, name)
        p.setFont(self.font())
        used = QFontMetrics(bold).horizontalAdvance(name)
        if used + 30 < name_w:
            p.setPen(QColor(self.theme.muted_text))
            text = self.fontMetrics().elidedText(f" · {kind}", Qt.TextElideMode.ElideRight, name_w - used - 10)
            p.drawText(QRectF(used, y, name_w - used, h), _LEFT, text)

    def _memory(self, p: QPainter, sizes: tuple[int, int], x: int, mem_w: int, y: float, h: int) -> None:
        p.setPen(QColor(self.theme.text))
        for k, n in enumerate(sizes):
            p.drawText(QRectF(x + k * mem_w, y, mem_w - 6, h), _RIGHT, format_bytes(n))


def _legend_width(fm: QFontMetrics, words: tuple[str, str], side: float) -> float:
    return sum(side + 5 + fm.horizontalAdvance(w) + 14 for w in words)


_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class CostPanel(QWidget):
    """The titled panel: the step's totals, how it was measured, the rows (scrolling when they do not fit)
    and a close button."""

    closed = pyqtSignal()

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.profile: Profile | None = None
        self.busy = False
        self.stale = False
        self._note = ""
        self._batch = ""  # "batch 32 × 1×8×8 (digits)"
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide the cost panel")
        self.close_button.clicked.connect(self._close)
        self.summary = QLabel()
        self.summary.setProperty("role", "metric")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.details = ElidedLabel()  # one line whatever the width: the rows keep the room
        self.details.setProperty("role", "hint")
        self.bars = CostBars(theme)
        self.rows = scrolling(self.bars)
        self.rows.setStyleSheet("QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }")
        self.title = title_label("COST OF A STEP")
        self.head = QGridLayout()
        self.head.setHorizontalSpacing(12)
        self.head.setVerticalSpacing(0)
        self.head.addWidget(self.title, 0, 0, Qt.AlignmentFlag.AlignTop)
        self.head.addWidget(self.close_button, 0, 2, Qt.AlignmentFlag.AlignTop)
        self.head.setColumnStretch(1, 1)
        self._summary_beside: bool | None = None
        self._place_summary()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 4)
        lay.setSpacing(2)
        lay.addLayout(self.head)
        lay.addWidget(self.details)
        lay.addWidget(self.rows, 1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.bars.set_theme(theme)
        self._place_summary()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place_summary()

    def _place_summary(self) -> None:
        """The summary beside the title when it fits on that line, else on a line of its own below it (a narrow
        column with large fonts): wrapped beside the title it would take three lines for one line's words."""
        need = (
            self.title.sizeHint().width()
            + self.summary.fontMetrics().horizontalAdvance(self.summary.text().replace("<b>", "").replace("</b>", ""))
            + self.close_button.sizeHint().width()
            + 60
        )
        beside = need <= self.width()
        if beside == self._summary_beside:
            return
        self._summary_beside = beside
        self.head.removeWidget(self.summary)
        if beside:
            self.head.addWidget(self.summary, 0, 1)
        else:
            self.head.addWidget(self.summary, 1, 0, 1, 3)

    # ---- states
    def show_busy(self, batch: int, dataset: str) -> None:
        self.busy = True
        on = f" of {dataset}" if dataset else ""
        self.summary.setText(f"Measuring a batch of {batch}{on}…")
        self._place_summary()
        self.details.setText(f"one warm-up step, then the median of {REPEATS} training steps (nothing is trained)")
        self.show()

    def show_result(self, result: CostResult) -> None:
        self.busy, self.stale = False, False
        self.profile, self._note = result.profile, result.note
        prof = result.profile
        self._batch = f"batch {prof.batch} × {_shape(prof.input_shape)}" + (
            f" ({result.dataset})" if result.dataset else ""
        )
        self.summary.setText(
            f"<b>{ms_text(prof.step_ms)} ms</b> per step · memory ≈ <b>{format_bytes(prof.peak_bytes)}</b>"
        )
        self._place_summary()
        self.summary.setToolTip(
            "memory: the weights and their gradients, the input batch, and every layer's output and work buffers "
            "(all alive until the backward pass); the optimizer's state comes on top"
        )
        self.details.setText(self._details_text())
        self.bars.set_profile(prof)
        self.show()

    def show_failed(self, message: str) -> None:
        """The error itself goes to the page's message panel; here only that there are no figures."""
        self.busy = False
        self.profile = None
        self.bars.set_profile(None)
        self.summary.setText("No figures: the drawing could not be measured (the message above says why).")
        self.details.setText("")

    def mark_stale(self) -> None:
        """The drawing changed after the measurement: say so (the figures stay until measured again)."""
        if self.profile is not None and not self.busy and not self.stale:
            self.stale = True
            self.details.setText(self._details_text())

    def wanted_height(self) -> int:
        """The height that shows every row without scrolling (at the current width)."""
        return self.height() - self.rows.viewport().height() + self.bars.sizeHint().height() + 2

    def _close(self) -> None:
        self.hide()
        self.closed.emit()

    def _details_text(self) -> str:
        prof = self.profile
        parts = [
            self._batch,
            f"forward {ms_text(prof.total_forward_ms)} ms + backward {ms_text(prof.total_backward_ms)} ms + loss "
            f"and bookkeeping {ms_text(prof.other_ms)} ms",
            f"{prof.where()}, layer by layer, median of {prof.repeats} steps",
        ]
        if self._note:
            parts.append(self._note)
        if self.stale:
            parts.insert(0, "the drawing has changed since: Measure cost again")
        return " · ".join(parts)

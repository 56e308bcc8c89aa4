"""AutoencoderBoard: everything the auto-encoder page and its lecture view show, drawn from AutoencoderFrames.

    code plane (dots by class over a faint grid of     | decoded point | loss curve
    decodes, the decoded point, the line, the parallelogram)
                                                                                 | the line's strip of decodes
                                                                                 | a - b + c (three pickers)
                                                                                 | originals over reconstructions

The board only shows and asks: the user's clicks, drags and picks leave as signals (pointAsked, lineAsked,
termsAsked) that the page or view posts to its worker, which answers in its next frame.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..common.elided_label import ElidedLabel
from ..common.panels import panel
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from ..lecture.fonts import font
from .image_strip import ImageStrip
from .plane import LatentPlane, class_colour
from .run import AutoencoderFrame

PLANE_HINT = (
    "Each dot is a test image, placed where the encoder puts it. "
    "Click: decode · drag: walk a line · Shift+click: pick a, b, c"
)
DEFAULT_TERMS = (7, 1, 4)  # classes of a - b + c until the user picks (modulo the number of classes)
DEFAULT_LINE = (0, 1)  # the line walked until the user drags one: between these classes' mean codes
TERMS = ("a", "b", "c")


def _title(text: str = "") -> ElidedLabel:
    label = ElidedLabel(text)
    label.setProperty("role", "title")
    return label


class AutoencoderBoard(QWidget):
    pointAsked = pyqtSignal(object)  # ("code", (x, y))
    lineAsked = pyqtSignal(object)  # (end, end)
    termsAsked = pyqtSignal(object)  # (a, b, c)

    def __init__(self, theme: Theme):
        super().__init__()
        configure_pyqtgraph()
        self.theme = theme
        self.frame: AutoencoderFrame | None = None
        self._classes: list[str] = []
        self._next_term = 0
        self.plane = LatentPlane(theme)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.underlay_box = QCheckBox("Decodes underneath")
        self.underlay_box.setChecked(True)
        self.underlay_box.setToolTip("A faint grid of decoded images over the plane (Kingma & Welling, Fig. 4)")
        self.underlay_box.toggled.connect(self.plane.underlay.setVisible)
        self.hint = QLabel(PLANE_HINT)
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "hint")
        self.point_view = ImageStrip(theme, min_cell=60)
        self.point_caption = ElidedLabel()
        self.point_caption.setProperty("role", "hint")
        self.strip = ImageStrip(theme, min_cell=22)
        self.terms_view = ImageStrip(theme, min_cell=30)
        self.recon = ImageStrip(theme, rows=2, min_cell=20)
        self.recon.row_titles = ["image", "decoded"]
        self.loss_plot = self._loss_plot()
        self.loss_note = ElidedLabel()
        self.loss_note.setProperty("role", "hint")
        self.pickers = [QComboBox() for _ in TERMS]
        for k, box in enumerate(self.pickers):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
            box.setToolTip(f"Term {TERMS[k]}: a class (the mean code of its test images) or a picked image")
            box.activated.connect(self._terms_changed)
        self.titles = {
            "plane": _title("The code plane"),
            "point": _title("Decoded ✕"),
            "loss": _title("Loss (squared error)"),
            "strip": _title("Walking a line (drag on the plane)"),
            "terms": _title("a − b + c"),
            "recon": _title("Reconstructions"),
        }
        self._layout()
        self.plane.pointClicked.connect(lambda x, y: self.pointAsked.emit(("code", (x, y))))
        self.plane.lineDrawn.connect(lambda a, b: self.lineAsked.emit((a, b)))
        self.plane.dotPicked.connect(self.pick_image)
        self.set_theme(theme)

    def _loss_plot(self) -> pg.PlotWidget:
        w = pg.PlotWidget()
        w.setMouseEnabled(False, False)
        w.hideButtons()
        w.getPlotItem().setMenuEnabled(False)
        w.setMinimumSize(120, 80)
        self.train_curve = w.plot([], [])
        self.test_curve = w.plot([], [])
        self.baseline = pg.InfiniteLine(angle=0, pos=0.0)
        w.addItem(self.baseline)
        self.baseline_label = pg.TextItem(anchor=(1.0, 1.0))
        w.addItem(self.baseline_label)
        return w

    def _layout(self) -> None:
        terms = QWidget()  # the pickers in a column beside the images: the images get the panel's height
        row = QHBoxLayout(terms)
        row.setContentsMargins(0, 0, 0, 0)
        column = QGridLayout()
        for k, (name, box) in enumerate(zip(TERMS, self.pickers)):
            column.addWidget(QLabel(f"{name}:"), k, 0)
            column.addWidget(box, k, 1)
        column.setColumnStretch(1, 1)
        row.addLayout(column, 2)
        row.addWidget(self.terms_view, 3)
        t = self.titles
        self.panels = {
            "plane": panel(
                t["plane"], self.plane, self.legend, self.underlay_box, self.hint, margins=(8, 4, 8, 4), stretch=(0, 1)
            ),
            "point": panel(t["point"], self.point_view, self.point_caption, margins=(6, 4, 6, 4), stretch=(0, 1)),
            "loss": panel(t["loss"], self.loss_plot, self.loss_note, margins=(6, 4, 6, 4), stretch=(0, 1)),
            "strip": panel(t["strip"], self.strip, margins=(6, 4, 6, 4), stretch=(0, 1)),
            "terms": panel(t["terms"], terms, margins=(6, 4, 6, 4), stretch=(0, 1)),
            "recon": panel(t["recon"], self.recon, margins=(6, 4, 6, 4), stretch=(0, 1)),
        }
        right = QGridLayout()
        right.setSpacing(6)
        right.addWidget(self.panels["point"], 0, 0)
        right.addWidget(self.panels["loss"], 0, 1)
        right.addWidget(self.panels["strip"], 1, 0, 1, 2)
        right.addWidget(self.panels["terms"], 2, 0, 1, 2)
        right.addWidget(self.panels["recon"], 3, 0, 1, 2)
        for r, s in enumerate((4, 2, 3, 3)):
            right.setRowStretch(r, s)
        right.setColumnStretch(0, 2)
        right.setColumnStretch(1, 3)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        lay.addWidget(self.panels["plane"], 5)
        column = QVBoxLayout()
        column.addLayout(right)
        lay.addLayout(column, 6)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plane.set_theme(theme)
        for label in self.titles.values():  # the window's style sheet sizes titles; the presenter has none
            label.setFont(font(theme.title_pt, bold=True))
        for view in (self.point_view, self.strip, self.terms_view, self.recon):
            view.set_theme(theme)
        style_plot(self.loss_plot.getPlotItem(), theme, {"bottom": "training step"})
        self.loss_plot.setBackground(theme.panel)
        self.train_curve.setPen(pg.mkPen(theme.train_curve, width=theme.line_width))
        self.test_curve.setPen(pg.mkPen(theme.test_curve, width=theme.line_width + 1))
        self.baseline.setPen(pg.mkPen(theme.muted_text, width=1.5, style=Qt.PenStyle.DashLine))
        self.baseline_label.setColor(theme.muted_text)
        if self.frame is not None:
            self._legend(self.frame)
            self.show_frame(self.frame)

    # ------------------------------------------------------------------ the user's terms
    def _fill_pickers(self, class_names: list[str]) -> None:
        """Class entries in every picker (a new preset's classes), each picker on its default class."""
        self._classes = list(class_names)
        for k, box in enumerate(self.pickers):
            box.blockSignals(True)
            box.clear()
            for c, name in enumerate(class_names):
                box.addItem(f"class {name}", ("class", c))
            box.setCurrentIndex(DEFAULT_TERMS[k] % max(1, len(class_names)))
            box.blockSignals(False)

    def terms(self) -> tuple:
        return tuple(box.currentData() for box in self.pickers)

    def _terms_changed(self, *_) -> None:
        if all(t is not None for t in self.terms()):
            self.termsAsked.emit(self.terms())

    def pick_image(self, index: int) -> None:
        """A Shift+clicked dot becomes the next term (a, then b, then c, then a again)."""
        box = self.pickers[self._next_term]
        self._next_term = (self._next_term + 1) % len(self.pickers)
        label = ""
        if self.frame is not None and 0 <= index < len(self.frame.labels):
            label = f" ({self.frame.class_names[int(self.frame.labels[index])]})"
        found = box.findData(("image", index))
        if found < 0:
            box.addItem(f"image {index}{label}", ("image", index))
            found = box.count() - 1
        box.setCurrentIndex(found)
        self._terms_changed()

    # ------------------------------------------------------------------ frames
    def _legend(self, frame: AutoencoderFrame) -> None:
        k = len(frame.class_names)
        dots = [
            f"<span style='color:{class_colour(self.theme, c, k)}; font-size:{self.theme.font_pt * 1.6:.0f}pt'>●</span>"
            f"&nbsp;{name}"
            for c, name in enumerate(frame.class_names)
        ]
        self.legend.setText("&nbsp;&nbsp; ".join(dots))

    def show_frame(self, frame: AutoencoderFrame) -> None:
        new_classes = frame.class_names != self._classes
        self.frame = frame
        if new_classes:
            self._fill_pickers(frame.class_names)
            self._legend(frame)
            self._terms_changed()  # the new run answers a - b + c from its first frame on
            if frame.line is None and frame.class_names:
                k = len(frame.class_names)
                self.lineAsked.emit(tuple(("class", c % k) for c in DEFAULT_LINE))
        self.plane.show_frame(frame)
        z = frame.point
        self.point_view.show_images([frame.point_image])
        self.point_caption.setText(f"code ({z[0]:.2f}, {z[1]:.2f})")
        if frame.strip is not None:
            self.strip.show_images(frame.strip, highlight=(0, len(frame.strip) - 1))
        if frame.term_images is not None:
            a, b, c = frame.term_names
            self.terms_view.show_images(frame.term_images, (a, f"− {b}", f"+ {c}", "="), highlight=(3,))
        n = len(frame.originals)
        self.recon.show_images(np.concatenate([frame.originals, frame.reconstructions]), highlight=())
        self.recon.captions = []
        self.recon.rows = 2 if n else 1
        self._draw_losses(frame)

    def _draw_losses(self, frame: AutoencoderFrame) -> None:
        losses = frame.losses
        if len(losses):
            width = max(1, len(losses) // 400)  # a running mean: one batch's loss is noise
            smooth = np.convolve(losses, np.ones(width) / width, mode="valid")
            steps = np.arange(len(smooth)) + width
            self.train_curve.setData(steps, smooth)
        else:
            self.train_curve.setData([], [])
        self.test_curve.setData(frame.test_steps, frame.test_losses)
        self.baseline.setPos(frame.baseline)
        right = max(float(frame.step), 1.0)
        self.loss_plot.setXRange(0, right, padding=0.02)
        self.loss_plot.setYRange(0, frame.baseline * 1.6, padding=0)  # the first steps' losses leave through the top
        self.baseline_label.setText("mean image")
        self.baseline_label.setPos(right, frame.baseline)
        said = f"{frame.test_loss:.3f}" if frame.test_loss is not None else "–"
        self.loss_note.setText(f"test {said} · mean image {frame.baseline:.3f}")

"""SegmentationBoard: what the Segmentation page and the RNN-as-PDE scene both show, drawn from SegmentationFrames.

Top row: the test image, the coarse CNN's map, the refined map after iteration k, the ground truth (class colours,
legend below). The iteration slider (and its animation, which walks k from 0 to K in the GUI thread: every map is
already in the frame) moves the refined map; the class picker chooses whose fuzzy score (softmax probability) the
strip shows through the iterations. Bottom: that strip, the readouts of coarse vs refined (pixel accuracy, accuracy
within 2 px of a boundary, mean IoU) and the learned update's filters. Drawing a scene: a drag on the image paints
the class chosen under "Paint" (PaintTile traces the stroke at once; the worker repaints the pixels and runs both
nets on the painted scene, whose ground truth then holds the painted class: painting.py); "Clear paint" undoes it.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..common.elided_label import ElidedLabel
from ..common.plot_style import configure_pyqtgraph
from ..common.theme import Theme
from ..lecture.fonts import font
from .maps import class_map_rgb
from .run import EVAL_IMAGES, SegmentationFrame
from .tiles import ClassLegend, FilterGrid, MapTile, PaintTile, ScoreStrip

ANIMATION_MS = 450  # one refinement iteration per this long while animating: the room can follow each change
READOUTS = (("pixel_accuracy", "pixels"), ("boundary_accuracy", "edges"), ("mean_iou", "mean&nbsp;IoU"))


class SegmentationBoard(QWidget):
    exampleChosen = pyqtSignal(int)  # the test image to show (the page or view asks its worker for it)
    painted = pyqtSignal(object, int)  # a stroke of (row, col) points and the class to paint along it

    def __init__(self, theme: Theme):
        super().__init__()
        configure_pyqtgraph()
        self.theme = theme
        self.frame: SegmentationFrame | None = None
        self.tiles = {"image": PaintTile(), **{name: MapTile() for name in ("coarse", "refined", "truth")}}
        self.titles = {name: ElidedLabel() for name in self.tiles}  # equal columns, whatever the titles say
        for title in self.titles.values():  # a fixed height: spare room goes to the panels below, not above a map
            title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.legend = ClassLegend()
        self.strip = ScoreStrip(theme)
        self.filters = FilterGrid(theme)
        self.readouts = QLabel()
        self.readouts.setTextFormat(Qt.TextFormat.RichText)
        self.readouts.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.readouts.setWordWrap(True)
        self.strip_title, self.readout_title, self.filter_title = ElidedLabel(), QLabel(), ElidedLabel()
        self.filter_hint = ElidedLabel()  # one line; the whole text in its tooltip
        self._build_controls()
        self._animation = QTimer(self)
        self._animation.setInterval(ANIMATION_MS)
        self._animation.timeout.connect(self._next_iteration)
        self._layout()
        self.set_theme(theme)

    # ------------------------------------------------------------------ widgets
    def _build_controls(self) -> None:
        self.example = QSpinBox()
        self.example.setRange(1, 1)  # counted from 1, as the image's title counts them
        self.example.setToolTip("Which test image is shown (the arrows step through them)")
        self.example.setKeyboardTracking(False)
        self.example.valueChanged.connect(lambda n: self.exampleChosen.emit(n - 1))
        self.iteration = QSlider(Qt.Orientation.Horizontal)
        self.iteration.setRange(0, 0)
        self.iteration.setPageStep(1)
        self.iteration.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.iteration.setTickInterval(1)
        self.iteration.setToolTip("The refined map after this many iterations of the learned update (0: coarse)")
        self.iteration.valueChanged.connect(self._redraw)
        self.iteration_label = QLabel()
        self.animate_button = QPushButton("Animate")
        self.animate_button.setToolTip("Walk the refined map through its iterations, 0 to K")
        self.animate_button.clicked.connect(self.toggle_animation)
        self.class_box = QComboBox()
        self.class_box.setToolTip("Whose fuzzy score (softmax probability) the strip shows")
        self.class_box.currentIndexChanged.connect(self._redraw)
        self.brush = QComboBox()
        self.brush.setToolTip("Drag on the image to paint this class there: both nets answer for the new scene")
        self.brush.currentIndexChanged.connect(self._brush_colour)
        self.clear_button = QPushButton("Clear paint")
        self.clear_button.setToolTip("The test image as it was")
        self.clear_button.clicked.connect(lambda: self.exampleChosen.emit(self.example.value() - 1))
        self.tiles["image"].stroked.connect(lambda points: self.painted.emit(points, self.brush.currentIndex()))
        self.controls = [QLabel("Test image:"), QLabel("Iteration:"), QLabel("Class:"), QLabel("Paint:")]

    def _layout(self) -> None:
        """The four maps across the whole width on top (the point of the page: as large as the screen allows),
        the legend and the controls, then the strip, the readouts and the filters side by side."""
        maps = QGridLayout()
        maps.setHorizontalSpacing(8)
        maps.setVerticalSpacing(2)
        for col, name in enumerate(self.tiles):
            maps.addWidget(self.titles[name], 0, col)
            maps.addWidget(self.tiles[name], 1, col)
            maps.setColumnStretch(col, 1)
        maps.setRowStretch(1, 1)
        pickers = QHBoxLayout()  # what is shown and painted; the iteration slider gets a row of its own
        for w in (self.controls[0], self.example, self.controls[3], self.brush, self.clear_button):
            pickers.addWidget(w)
        pickers.addSpacing(16)
        pickers.addWidget(self.controls[2])
        pickers.addWidget(self.class_box)
        pickers.addStretch(1)
        controls = QHBoxLayout()
        controls.addWidget(self.controls[1])
        controls.addWidget(self.iteration, 1)
        controls.addWidget(self.iteration_label)
        controls.addWidget(self.animate_button)
        below = QGridLayout()
        below.setHorizontalSpacing(12)
        below.setVerticalSpacing(2)
        below.addWidget(self.strip_title, 0, 0)
        below.addWidget(self.readout_title, 0, 1)
        below.addWidget(self.filter_title, 0, 2)
        below.addWidget(self.strip, 1, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        self.below = below
        below.addWidget(self.readouts, 1, 1, 2, 1)
        below.addWidget(self.filters, 1, 2)
        below.addWidget(self.filter_hint, 2, 2)
        for col, stretch in enumerate((5, 3, 3)):
            below.setColumnStretch(col, stretch)
        below.setRowStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addLayout(maps, 3)
        lay.addWidget(self.legend)
        lay.addLayout(pickers)
        lay.addLayout(controls)
        lay.addLayout(below, 2)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for tile in self.tiles.values():
            tile.setBackground(theme.background)
        self.strip.set_theme(theme)
        self.filters.set_theme(theme)
        for label in (*self.titles.values(), self.strip_title, self.readout_title, self.filter_title):
            label.setFont(font(theme.title_pt, bold=True))
        widgets = (
            self.iteration_label,
            self.example,
            self.class_box,
            self.animate_button,
            self.brush,
            self.clear_button,
        )
        for w in (*self.controls, *widgets):
            w.setFont(font(theme.font_pt + 1))
        self.readouts.setFont(font(theme.font_pt + 2))
        self.filter_hint.setFont(font(theme.font_pt))
        self.legend.set_font_size(theme.font_pt + 1)
        if self.frame is not None:
            self.show_frame(self.frame)
        else:
            self._titles(None)

    # ------------------------------------------------------------------ frames
    def show_frame(self, frame: SegmentationFrame) -> None:
        first = self.frame is None
        self.frame = frame
        self._set_quietly(self.example, frame.count, frame.index + 1)
        following = first or self.iteration.value() >= self.iteration.maximum()
        self._set_quietly(self.iteration, frame.k, frame.k if following else min(self.iteration.value(), frame.k))
        if self.class_box.count() != len(frame.classes):
            for box in (self.class_box, self.brush):
                box.blockSignals(True)
                box.clear()
                box.addItems(list(frame.classes))
                box.setCurrentIndex(min(1, len(frame.classes) - 1))  # roads: thin, where refinement shows
                box.blockSignals(False)
            self._brush_colour()
        self.clear_button.setEnabled(frame.edited)
        self.legend.show_classes(frame.classes, frame.colours)
        self.tiles["image"].show_rgb(frame.image)
        self.tiles["coarse"].show_rgb(class_map_rgb(frame.coarse.argmax(axis=0), frame.colours))
        self.tiles["truth"].show_rgb(class_map_rgb(frame.truth, frame.colours))
        self.readouts.setText(readout_table(frame, self.theme))
        if frame.filters is not None:
            self.filters.show_filters(frame.filters.weights)
            self.filter_hint.setText(filter_hint(frame))
        self._redraw()

    def _redraw(self) -> None:
        """The parts the slider and the class picker change (no worker involved: the frame has every map)."""
        f = self.frame
        if f is None:
            return
        k = min(self.iteration.value(), f.k)
        c = max(0, self.class_box.currentIndex())
        self.tiles["refined"].show_rgb(class_map_rgb(f.iterations[k].argmax(axis=0), f.colours))
        self.strip.show_scores(f.iterations[:, c], k)
        self.iteration_label.setText(f"k = {k} of {f.k}")
        self._titles(f)

    def _titles(self, f: SegmentationFrame | None) -> None:
        k = min(self.iteration.value(), f.k) if f is not None else 0
        c = self.class_box.currentText() or "a class"
        texts = {
            "image": _image_title(f),
            "coarse": "Coarse CNN",
            "refined": f"Refined, k = {k}" + (f" of {f.k}" if f is not None else ""),
            "truth": "Ground truth",
        }
        for name, text in texts.items():
            self.titles[name].setText(text)
        self.strip_title.setText(f"Fuzzy score of “{c}” (pale 0 … blue 1)")
        self.strip_title.setToolTip(f"The softmax probability of “{c}” at every pixel, after each iteration k")
        n = min(EVAL_IMAGES, f.count) if f is not None else EVAL_IMAGES
        self.readout_title.setText(f"In %, {n} test images")
        self.filter_title.setText("Learned update: filters")

    def _brush_colour(self, *_) -> None:
        """The live trace of a stroke in the colour of the class it paints."""
        c = self.brush.currentIndex()
        if self.frame is not None and 0 <= c < len(self.frame.colours):
            self.tiles["image"].brush_colour = tuple(int(v) for v in self.frame.colours[c])

    # ------------------------------------------------------------------ the iteration slider
    def shown_iteration(self) -> int:
        return self.iteration.value()

    def toggle_animation(self) -> None:
        if self._animation.isActive():
            self.stop_animation()
            return
        if self.frame is None:
            return
        self.iteration.setValue(0)
        self.animate_button.setText("Stop")
        self._animation.start()

    def stop_animation(self) -> None:
        self._animation.stop()
        self.animate_button.setText("Animate")

    def _next_iteration(self) -> None:
        if self.iteration.value() >= self.iteration.maximum():
            self.stop_animation()
            return
        self.iteration.setValue(self.iteration.value() + 1)

    @staticmethod
    def _set_quietly(widget, maximum: int, value: int) -> None:
        widget.blockSignals(True)
        widget.setMaximum(max(0, maximum))
        widget.setValue(max(0, value))
        widget.blockSignals(False)


def _image_title(f: SegmentationFrame | None) -> str:
    if f is None:
        return "Test image"
    return f"Image {f.index + 1} of {f.count}" + (", painted" if f.edited else "")


def filter_hint(frame: SegmentationFrame) -> str:
    """What the filter grid's rows and columns are, in words."""
    f = frame.filters
    rows, cols = f.weights.shape[:2]
    shown = f"{rows} of {f.hidden}" if rows < f.hidden else f"{rows}"
    features = max(0, min(cols - f.scores, f.features))
    return (
        f"orange −, blue +; rows: {shown} hidden channels; columns: the {min(cols, f.scores)} class scores, "
        f"then {features} image channels"
    )


def readout_table(frame: SegmentationFrame, theme: Theme) -> str:
    """The readouts as an HTML table: coarse, refined and the gain in points (IoU in hundredths)."""
    m = frame.metrics
    if not m:
        return f"<span style='color:{theme.muted_text}'>measuring…</span>"
    head = (
        "<tr><th></th>" + "".join(f"<th align='right'>&nbsp;{h}</th>" for h in ("coarse", "refined", "gain")) + "</tr>"
    )
    rows = [head]
    for key, name in READOUTS:
        coarse, refined = (m.get(label, {}).get(key) for label in ("coarse", "refined"))
        if coarse is None or refined is None:
            continue
        gain = 100.0 * (refined - coarse)
        colour = theme.positive if gain >= 0 else theme.negative
        rows.append(
            f"<tr><td>{name}&nbsp;</td><td align='right'>{_percent(coarse)}</td>"
            f"<td align='right'><b>{_percent(refined)}</b></td>"
            f"<td align='right' style='color:{colour}'>&nbsp;{gain:+.1f}</td></tr>"
        )
    note = (
        f"<p style='color:{theme.muted_text}'>pixels: all of them; edges: those within 2 px of a true class boundary. "
        f"Measured at step {frame.metrics_step:,d}</p>"
    )
    return f"<table cellspacing='4'>{''.join(rows)}</table>{note}"


def _percent(value: float) -> str:
    return f"{100.0 * value:.1f}" if np.isfinite(value) else "–"

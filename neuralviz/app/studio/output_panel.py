"""OutputPanel: the metrics in large type and the output view that suits the data (decision map for 2-D
points, curve for 1-D regression, predicted samples otherwise).

It also feeds the loss/accuracy curves (`curves`), which the studio lays out under the network diagram:
a wide, short place suits curves over time, and the output column's height goes to the map, the
picture the room looks at."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..common.elided_label import ElidedLabel
from ..common.live_label import LiveLabel
from ..common.panels import title_label
from ..common.snapshot import RunInfo, Snapshot
from ..common.theme import Theme
from .boundary_view import BoundaryView
from .colour_legend import ColourLegend
from .curves_view import CurvesView
from .regression_view import RegressionView
from .samples_view import SamplesView


class OutputPanel(QWidget):
    showOutputClicked = pyqtSignal()  # leave the enlarged neuron map

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(4)
        # one header row: the title, what the map shows, the way back from an enlarged neuron, discretize
        header = QHBoxLayout()
        header.addWidget(title_label("OUTPUT"))
        header.addSpacing(8)
        lay.addLayout(header)
        self.test_metric = LiveLabel("Test loss –")  # new every frame: see LiveLabel
        self.train_metric = LiveLabel("Training loss –")
        for label in (self.test_metric, self.train_metric):
            label.setProperty("role", "metric")
            # one line each, never wrapped: a wrapped metric steals the map's height
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            lay.addWidget(label)
        self.curves = CurvesView(theme)  # laid out by the studio page, under the network diagram

        self.boundary = BoundaryView(theme)
        self.regression = RegressionView(theme)
        self.samples = SamplesView(theme)
        self.stack = QStackedWidget()
        for w in (self.boundary, self.regression, self.samples):
            self.stack.addWidget(w)
        self.stack.setMinimumSize(120, 120)  # a soft floor: the window must fit small projectors
        lay.addWidget(self.stack, 1)

        self.legend = ColourLegend(theme)
        lay.addWidget(self.legend)
        row = header
        self.showing = ElidedLabel("Output of the network")
        self.showing.setProperty("role", "hint")
        self.back_button = QPushButton("Show output")
        self.back_button.setToolTip("Back from the enlarged neuron to the network's output")
        self.back_button.clicked.connect(self.showOutputClicked)
        self.back_button.setVisible(False)
        self.discretize = QCheckBox("Discretize")
        self.discretize.setToolTip("Show only the decision (the class the network picks), not its confidence")
        self.discretize.toggled.connect(self.boundary.set_discretize)
        row.addWidget(self.showing, 1)
        row.addWidget(self.back_button)
        row.addWidget(self.discretize)
        self._info: RunInfo | None = None
        self._metrics: dict = {}
        self._output_text = "Output of the network"

    # ------------------------------------------------------------------ slots
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for w in (self.curves, self.boundary, self.regression, self.samples, self.legend):
            w.set_theme(theme)
        self._show_metrics()

    def set_show_test(self, on: bool) -> None:
        self.boundary.set_show_test(on)
        self.regression.set_show_test(on)

    def select_neuron(self, map_layer: str | None, unit: int = 0) -> None:
        self.boundary.select_neuron(map_layer, unit)
        self.regression.select_neuron(map_layer, unit)
        self.back_button.setVisible(bool(map_layer))
        if self._info is not None and self._info.kind == "planar":
            # an enlarged neuron shows values (-1 .. 1), whatever the classes are
            self.legend.set_classes(() if map_layer else self._info.class_names)
        self._show_caption(f"Enlarged: neuron {map_layer}[{unit}] (click it again)" if map_layer else self._output_text)

    def show_info(self, info: RunInfo) -> None:
        if self._info is None or info.kind != self._info.kind or info.class_names != self._info.class_names:
            view = {"planar": self.boundary, "regression": self.regression}.get(info.kind, self.samples)
            if info.kind == "regression" and info.line_x is None:
                view = self.samples
            self.stack.setCurrentWidget(view)
            planar = view is self.boundary
            self.discretize.setVisible(planar)
            self.legend.setVisible(planar or view is self.regression)
            self.legend.set_classes(info.class_names if planar else ())
            self._output_text = {
                "planar": "Output of the network",
                "regression": "The network's curve",
                "image": "Predictions on test images",
            }.get(info.kind, "Predictions on test examples")
            self._show_caption(self._output_text)
        self._info = info
        self.stack.currentWidget().show_info(info)

    def _show_metrics(self) -> None:
        """The two metric lines, in words where they fit the panel, else in short form (never cut off).
        With large fonts both go on one short line where it fits: that line's height goes to the map."""
        m = self._metrics
        lines = []
        rows = ((self.test_metric, "Test", "Test", "test"), (self.train_metric, "Training", "Train", "train"))
        for label, split, short, key in rows:
            loss, acc = m.get(f"{key}_loss"), m.get(f"{key}_accuracy")
            text = _metric_line(split, loss, acc)
            # both lines are as wide as the panel (the hidden one may not have been laid out lately)
            if label.fontMetrics().horizontalAdvance(text) > self.test_metric.width():
                text = _metric_line(short, loss, acc, compact=True)
            lines.append((text, _metric_line(short, loss, acc, compact=True)))
        one_line = f"{lines[0][1]}   ·   {lines[1][1]}"
        fits = self.test_metric.fontMetrics().horizontalAdvance(one_line) <= self.test_metric.width()
        if self.theme.large_fonts and fits:
            self.test_metric.setText(one_line)
            self.train_metric.setVisible(False)
        else:
            self.test_metric.setText(lines[0][0])
            self.train_metric.setText(lines[1][0])
            self.train_metric.setVisible(True)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_metrics()

    def _show_caption(self, text: str) -> None:
        self.showing.setText(text)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.show_info(snap.info)
        m = snap.metrics
        self._metrics = m
        self._show_metrics()
        self.curves.show_snapshot(snap)
        self.stack.currentWidget().show_snapshot(snap)


def format_loss(loss: float | None) -> str:
    """Three decimals as the Playground shows them, but never a bare 0.000 for a small, non-zero loss."""
    if loss is None:
        return "–"
    return f"{loss:.3f}" if loss >= 0.001 or loss == 0 else f"{loss:.1e}"


def _metric_line(split: str, loss: float | None, accuracy: float | None, compact: bool = False) -> str:
    """'Test loss 0.612 · accuracy 72.8%', or compact: 'Test 0.612 · 72.8%'."""
    text = f"{split} {format_loss(loss)}" if compact else f"{split} loss {format_loss(loss)}"
    if accuracy is not None:
        text += f" · {100 * accuracy:.1f}%" if compact else f" · accuracy {100 * accuracy:.1f}%"
    return text

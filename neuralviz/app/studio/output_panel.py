"""OutputPanel: the metrics in large type, the loss/accuracy curves, and the output view that suits the
data (decision map for 2-D points, curve for 1-D regression, predicted samples otherwise)."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QWidget

from ..common.panels import titled_column
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
        lay = titled_column(self, "OUTPUT", spacing=4)
        self.test_metric = QLabel("Test loss –")
        self.train_metric = QLabel("Training loss –")
        for label in (self.test_metric, self.train_metric):
            label.setProperty("role", "metric")
            label.setWordWrap(True)
            lay.addWidget(label)
        self.curves = CurvesView(theme)
        lay.addWidget(self.curves, 3)

        row = QHBoxLayout()
        self.showing = QLabel("Output of the network")
        self.showing.setProperty("role", "hint")
        self.back_button = QPushButton("Show output")
        self.back_button.setToolTip("Back from the enlarged neuron to the network's output")
        self.back_button.clicked.connect(self.showOutputClicked)
        self.back_button.setVisible(False)
        row.addWidget(self.showing, 1)
        row.addWidget(self.back_button)
        lay.addLayout(row)

        self.boundary = BoundaryView(theme)
        self.regression = RegressionView(theme)
        self.samples = SamplesView(theme)
        self.stack = QStackedWidget()
        for w in (self.boundary, self.regression, self.samples):
            self.stack.addWidget(w)
        self.stack.setMinimumSize(280, 240)
        lay.addWidget(self.stack, 5)

        self.legend = ColourLegend(theme)
        lay.addWidget(self.legend)
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setToolTip("Show only the decision (the class the network picks), not its confidence")
        self.discretize.toggled.connect(self.boundary.set_discretize)
        lay.addWidget(self.discretize)
        self._info: RunInfo | None = None
        self._output_text = "Output of the network"

    # ------------------------------------------------------------------ slots
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for w in (self.curves, self.boundary, self.regression, self.samples, self.legend):
            w.set_theme(theme)

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
        self.showing.setText(
            f"Enlarged: neuron {map_layer}[{unit}] (click it again or “Show output”)"
            if map_layer
            else self._output_text
        )

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
            self.showing.setText(self._output_text)
        self._info = info
        self.stack.currentWidget().show_info(info)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.show_info(snap.info)
        m = snap.metrics
        self.test_metric.setText(_metric_line("Test", m.get("test_loss"), m.get("test_accuracy")))
        self.train_metric.setText(_metric_line("Training", m.get("train_loss"), m.get("train_accuracy")))
        self.curves.show_snapshot(snap)
        self.stack.currentWidget().show_snapshot(snap)


def format_loss(loss: float | None) -> str:
    """Three decimals as the Playground shows them, but never a bare 0.000 for a small, non-zero loss."""
    if loss is None:
        return "–"
    return f"{loss:.3f}" if loss >= 0.001 or loss == 0 else f"{loss:.1e}"


def _metric_line(split: str, loss: float | None, accuracy: float | None) -> str:
    text = f"{split} loss {format_loss(loss)}"
    if accuracy is not None:
        text += f"   ·   accuracy {100 * accuracy:.1f}%"
    return text

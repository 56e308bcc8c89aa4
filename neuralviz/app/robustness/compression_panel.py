"""CompressionPanel: prune a trained digits net with a slider and watch what it costs, before and after retraining.

Left: test accuracy against the fraction of weights removed (the line: pruning alone, measured once the dense
net is trained; the dots: after masked retraining, one per retraining; the cross: where the slider is now).
Right: the first layer's weights, one 8x8 picture per hidden unit (which pixels it still sees; pruned weights
grey). Below: accuracies, the weights left, and the file sizes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from ..common.theme import Theme, diverging_lut
from .compression_run import CompressionFrame
from .plots import ImageTile, Plot, check_keys, readout, set_quietly, style_controls, style_readouts, weight_mosaic

SLIDER_MAX = 95  # percent


class CompressionPanel(QWidget):
    changed = pyqtSignal(str, object)  # (setting, value) for the run

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.frame: CompressionFrame | None = None
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_MAX)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(10)
        self.slider.setValue(90)
        self.slider.setToolTip("Remove this share of the weights (smallest |w| first), from a copy of the trained net")
        self.slider_label = QLabel()
        self.retrain = QPushButton("Retrain with mask")
        self.retrain.setToolTip("Train the pruned copy a few epochs; pruned weights stay exactly zero")
        self.curve = Plot({"bottom": "weights pruned (%)", "left": "test accuracy (%)"})
        self.mosaic = ImageTile()
        self.curve_title, self.mosaic_title = QLabel("Accuracy vs sparsity"), QLabel("First layer: what each unit sees")
        self.summary = readout(bold=True)
        self.details = readout()
        self._build_items()
        self._layout()
        self.slider.valueChanged.connect(self._slid)
        self.retrain.clicked.connect(lambda: self.changed.emit("retrain", True))
        self.set_theme(theme)

    def _build_items(self) -> None:
        self.before = self.curve.plot([], [], symbol="o", symbolSize=7)
        self.after = pg.ScatterPlotItem(size=14, symbol="s")
        self.now = pg.ScatterPlotItem(size=18, symbol="x")
        self.curve.addItem(self.after)
        self.curve.addItem(self.now)
        self.curve.setXRange(0, 100, padding=0.02)
        self.curve.setYRange(0, 100, padding=0.02)
        self.legend = self.curve.getPlotItem().addLegend(offset=(8, -8))
        self.legend.addItem(self.before, "pruned, no retraining")
        self.legend.addItem(self.after, "after masked retraining")
        self.legend.addItem(self.now, "the slider now")

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Prune:"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.slider_label)
        controls.addWidget(self.retrain)
        grid = QGridLayout()
        grid.addWidget(self.curve_title, 0, 0)
        grid.addWidget(self.mosaic_title, 0, 1)
        grid.addWidget(self.curve, 1, 0)
        grid.addWidget(self.mosaic, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(controls)
        lay.addLayout(grid, 1)
        lay.addWidget(self.summary)
        lay.addWidget(self.details)

    def settings(self) -> list[tuple[str, object]]:
        """The controls' values, for a fresh run."""
        return [("fraction", self.slider.value() / 100.0)]

    def apply(self, settings: dict) -> None:
        """Set the controls from a scene's options (no signal: the run is configured with settings() next)."""
        check_keys("compression", settings, ("fraction",))
        if "fraction" in settings:
            set_quietly(self.slider, "setValue", round(100 * float(settings["fraction"])))
            self.slider_label.setText(f"{self.slider.value()}%")

    def _slid(self, value: int) -> None:
        self.slider_label.setText(f"{value}%")
        self.changed.emit("fraction", value / 100.0)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_controls(theme, self)
        self.lut = diverging_lut(theme)
        for plot in (self.curve, self.mosaic):
            plot.set_theme(theme)
        width = theme.line_width * 1.5 + 1
        self.before.setPen(pg.mkPen(theme.negative, width=width))
        self.before.setSymbolBrush(theme.negative)
        self.after.setBrush(pg.mkBrush(theme.positive))
        self.after.setPen(pg.mkPen(theme.text, width=1))
        self.now.setBrush(pg.mkBrush(theme.text))
        self.now.setPen(pg.mkPen(theme.text, width=1))
        self.legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")
        style_readouts(theme, self.curve_title, self.mosaic_title, self.summary, self.details)
        self.slider_label.setText(f"{self.slider.value()}%")
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, f: CompressionFrame) -> None:
        self.frame = f
        self.retrain.setEnabled(f.phase in ("trained", "retrained"))
        if f.curve_before:
            xs, ys = zip(*f.curve_before)
            self.before.setData(100 * np.array(xs), 100 * np.array(ys))
        else:
            self.before.setData([], [])
        if f.curve_after:
            xs, ys = zip(*f.curve_after)
            self.after.setData(100 * np.array(xs), 100 * np.array(ys))
        else:
            self.after.setData([], [])
        shown = f.retrained_accuracy if f.retrained_accuracy is not None else f.pruned_accuracy
        self.now.setData([100 * f.sparsity], [100 * shown])
        self.mosaic.show_rgba(weight_mosaic(f.first_layer, f.first_mask, self.lut))
        self.summary.setText(_summary(f))
        self.details.setText(_details(f))


def _summary(f: CompressionFrame) -> str:
    if f.phase == "training":
        return f"Training the dense net: step {f.step:,}/{f.limit:,}, test accuracy {100 * f.dense_accuracy:.1f}%"
    text = f"dense {100 * f.dense_accuracy:.1f}% → pruned {100 * f.sparsity:.0f}%: {100 * f.pruned_accuracy:.1f}%"
    if f.phase == "retraining":
        text += f" → retraining (step {f.step:,}/{f.limit:,}): {100 * (f.retrained_accuracy or 0):.1f}%"
    elif f.retrained_accuracy is not None:
        text += f" → retrained with the mask: {100 * f.retrained_accuracy:.1f}%"
    return text


def _details(f: CompressionFrame) -> str:
    return (
        f"weights left {f.nonzero:,} of {f.total:,} · saved file {f.file_bytes / 1024:.0f} kB · "
        f"compressed {f.zipped_bytes / 1024:.0f} kB (zeros cost nothing)"
    )

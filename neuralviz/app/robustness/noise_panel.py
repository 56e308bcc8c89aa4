"""NoisePanel: input noise and dropout make a spirals net's function smoother, and ‖∂f/∂x‖ says how much.

Left: the decision map (p(class 1), orange .. blue) with the training points; with stochastic weights, the
boundaries of several sampled networks drawn over the mean network's map. Right: ‖∂f/∂x‖ over training, the
current setting in full colour and the settings tried before in grey, labelled; a big readout of the norm now.
Changing a setting trains again from step 0 with the same seed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..common.render import HeatmapPainter
from ..common.theme import Theme
from .noise_run import DROPOUT_LEVELS, MAP_SIZE, NOISE_LEVELS, NoiseFrame
from .plots import ImageTile, Plot, check_keys, font, readout, set_quietly, style_controls, style_readouts

PREVIOUS_PENS = ("#6b7280", "#8f959e", "#b0b5bd")  # the setting before this one darkest, older ones paler


class NoisePanel(QWidget):
    changed = pyqtSignal(str, object)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.frame: NoiseFrame | None = None
        self.painter = HeatmapPainter(theme)
        self.noise = _levels(NOISE_LEVELS, "Input noise σ added to every training point (the inputs span about ±5)")
        self.dropout = _levels(DROPOUT_LEVELS, "Share of hidden units dropped at each training step")
        self.stochastic = QCheckBox("Stochastic weights")
        self.stochastic.setToolTip("Each weight is a Gaussian (learned mean and σ); the map shows sampled nets")
        self.map = ImageTile(minimum=(160, 160))
        self.points = pg.ScatterPlotItem(size=6)
        self.map.addItem(self.points)
        self.sample_lines: list[pg.IsocurveItem] = []
        self.curve = Plot({"bottom": "training step", "left": "‖∂f/∂x‖"})
        self.current = self.curve.plot([], [])
        self.previous = [self.curve.plot([], []) for _ in PREVIOUS_PENS]
        self.legend = readout()  # under the plot: a legend inside it would cover the curves somewhere
        self.map_title, self.curve_title = QLabel("Decision map"), QLabel("Input-Jacobian norm over training")
        self.jacobian = readout(bold=True)
        self.accuracy = readout()
        self._layout()
        self.noise.currentIndexChanged.connect(lambda _: self.changed.emit("noise", self.noise.currentData()))
        self.dropout.currentIndexChanged.connect(lambda _: self.changed.emit("dropout", self.dropout.currentData()))
        self.stochastic.toggled.connect(lambda on: self.changed.emit("stochastic", bool(on)))
        self.set_theme(theme)

    def _layout(self) -> None:
        controls = QHBoxLayout()
        for label, widget in (("Input noise σ:", self.noise), ("Dropout:", self.dropout)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.stochastic)
        controls.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(self.map_title, 0, 0)
        grid.addWidget(self.curve_title, 0, 1)
        grid.addWidget(self.map, 1, 0)
        grid.addWidget(self.curve, 1, 1)
        grid.addWidget(self.legend, 2, 1)
        grid.addWidget(self.accuracy, 3, 0)
        grid.addWidget(self.jacobian, 3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(controls)
        lay.addLayout(grid, 1)

    def settings(self) -> list[tuple[str, object]]:
        return [
            ("noise", self.noise.currentData()),
            ("dropout", self.dropout.currentData()),
            ("stochastic", self.stochastic.isChecked()),
        ]

    def apply(self, settings: dict) -> None:
        check_keys("noise", settings, ("noise", "dropout", "stochastic"))
        for key, box in (("noise", self.noise), ("dropout", self.dropout)):
            if key in settings:
                index = box.findData(float(settings[key]))
                if index < 0:
                    raise ValueError(f"robustness noise: {key} {settings[key]!r} is not one of the levels offered")
                set_quietly(box, "setCurrentIndex", index)
        if "stochastic" in settings:
            set_quietly(self.stochastic, "setChecked", bool(settings["stochastic"]))

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_controls(theme, self)
        self.painter.set_theme(theme)
        self.map.set_theme(theme)
        self.curve.set_theme(theme)
        self.current.setPen(pg.mkPen(theme.negative, width=theme.line_width * 2 + 1))
        for item, colour in zip(self.previous, PREVIOUS_PENS):
            item.setPen(pg.mkPen(colour, width=theme.line_width + 1))
        self.points.setPen(pg.mkPen(theme.point_outline, width=theme.point_outline_width))
        self.points.setSize(theme.point_size)
        style_readouts(theme, self.map_title, self.curve_title, self.accuracy)
        self.legend.setFont(font(theme.plot_font_pt + 1))
        style_readouts(theme, self.jacobian, big=True)
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, f: NoiseFrame) -> None:
        self.frame = f
        self.map.show_rgba(self.painter.probability(f.map)[::-1])  # row 0 at the top: x2 grows upwards
        said = "mean net; lines: sampled nets" if f.samples else "p(class 1)"
        self.map_title.setText(f"Decision map ({said})")
        self._points(f)
        self._samples(f)
        self.current.setData(f.jacobian_steps, f.jacobian)
        entries = [(self.theme.negative, f.label)]
        for item, colour, run in zip(self.previous, PREVIOUS_PENS, reversed(f.previous)):
            item.setData(run[1], run[2])
            entries.append((colour, run[0]))
        self.legend.setText(" &nbsp; ".join(f"<span style='color:{c}'>━ {label}</span>" for c, label in entries))
        for item in self.previous[len(f.previous) :]:
            item.setData([], [])
        jac = f.current_jacobian
        self.jacobian.setText(f"‖∂f/∂x‖ = {jac:.1f}" if jac is not None else "‖∂f/∂x‖ = –")
        self.accuracy.setText(f"{f.label} · test accuracy {100 * f.accuracy:.1f}% · step {f.step:,}/{f.limit:,}")

    def _points(self, f: NoiseFrame) -> None:
        x0, x1, y0, y1 = f.extent
        px = (f.x[:, 0] - x0) / (x1 - x0) * MAP_SIZE
        py = (y1 - f.x[:, 1]) / (y1 - y0) * MAP_SIZE
        brushes = [pg.mkBrush(self.theme.class_color(int(c), 2)) for c in f.y]
        self.points.setData(px, py, brush=brushes)

    def _samples(self, f: NoiseFrame) -> None:
        """The 0.5 contour of each sampled network over the map (none without stochastic weights)."""
        while len(self.sample_lines) < len(f.samples):
            line = pg.IsocurveItem(level=0.5, pen=pg.mkPen(self.theme.text, width=1.5))
            self.map.addItem(line)
            self.sample_lines.append(line)
        for line, sample in zip(self.sample_lines, f.samples):
            line.setData(np.ascontiguousarray(sample[::-1]))
            line.setVisible(True)
        for line in self.sample_lines[len(f.samples) :]:
            line.setVisible(False)


def _levels(levels: tuple[float, ...], tip: str) -> QComboBox:
    box = QComboBox()
    for value in levels:
        box.addItem(f"{value:g}", float(value))
    box.setToolTip(tip)
    return box

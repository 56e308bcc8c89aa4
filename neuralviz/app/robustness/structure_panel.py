"""StructurePanel: group sparsity deletes whole neurons of a digits MLP while it trains ("learn the structure");
L1 deletes single connections.

Left: the net's hidden layers and output as columns of neurons; a live neuron is a filled dot sized by its group
norm, a deleted one (norm exactly 0) a small hollow grey ring, and only connections between live neurons are
drawn (fainter the more there are; a weight L1 set to exactly 0 is not drawn). Right: neurons alive per layer
over training. Below: the counts.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...structure import ALIVE_TOL
from ..common.theme import Theme
from ..comparison.run_style import run_colour
from .plots import Plot, check_keys, font, readout, set_quietly, style_controls, style_readouts
from .structure_run import DEFAULT_STRENGTH, L1_STRENGTHS, STRENGTHS, StructureFrame

DEAD = "#c0c0c0"
MAX_EDGE_ALPHA = 160


class StructurePanel(QWidget):
    changed = pyqtSignal(str, object)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.frame: StructureFrame | None = None
        self.strength = QComboBox()
        for value in STRENGTHS:
            self.strength.addItem(f"{value:g}", float(value))
        self.strength.setCurrentIndex(STRENGTHS.index(DEFAULT_STRENGTH))
        self.strength.setToolTip("λ of the group penalty λ Σ ‖w_neuron‖: trains again from scratch")
        self.l1 = QComboBox()
        for value in L1_STRENGTHS:
            self.l1.addItem(f"{value:g}", float(value))
        self.l1.setToolTip("L1 penalty on every weight: single connections go to exactly 0 (trains again)")
        self.diagram = Plot({}, minimum=(200, 160))
        for side in ("left", "bottom"):
            self.diagram.getPlotItem().hideAxis(side)
        self.edges = pg.PlotCurveItem(connect="pairs", antialias=False)  # a thousand thin lines: no antialiasing
        self.nodes = pg.ScatterPlotItem()
        self.diagram.addItem(self.edges)
        self.diagram.addItem(self.nodes)
        self.layer_labels: list[pg.TextItem] = []
        self.curve = Plot({"bottom": "training step", "left": "neurons alive"})
        self.lines: list[pg.PlotDataItem] = []
        self.legend = self.curve.getPlotItem().addLegend(offset=(-8, 8))
        self.diagram_title, self.curve_title = QLabel("The network (grey rings: deleted)"), QLabel("Neurons alive")
        self.count = readout(bold=True)
        self._layout()
        self.strength.currentIndexChanged.connect(lambda _: self.changed.emit("strength", self.strength.currentData()))
        self.l1.currentIndexChanged.connect(lambda _: self.changed.emit("l1", self.l1.currentData()))
        self.set_theme(theme)

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Group sparsity λ:"))
        controls.addWidget(self.strength)
        controls.addWidget(QLabel("L1:"))
        controls.addWidget(self.l1)
        controls.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(self.diagram_title, 0, 0)
        grid.addWidget(self.curve_title, 0, 1)
        grid.addWidget(self.diagram, 1, 0)
        grid.addWidget(self.curve, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(controls)
        lay.addLayout(grid, 1)
        lay.addWidget(self.count)

    def settings(self) -> list[tuple[str, object]]:
        return [("strength", self.strength.currentData()), ("l1", self.l1.currentData())]

    def apply(self, settings: dict) -> None:
        check_keys("structure", settings, ("strength", "l1"))
        for key, box in (("strength", self.strength), ("l1", self.l1)):
            if key in settings:
                index = box.findData(float(settings[key]))
                if index < 0:
                    raise ValueError(f"robustness structure: {key} {settings[key]!r} is not one of the values offered")
                set_quietly(box, "setCurrentIndex", index)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_controls(theme, self)
        self.diagram.set_theme(theme)
        self.curve.set_theme(theme)
        self.legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")
        style_readouts(theme, self.diagram_title, self.curve_title)
        style_readouts(theme, self.count, big=True)
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, f: StructureFrame) -> None:
        self.frame = f
        self._diagram(f)
        self._curves(f)
        counts = ", ".join(f"{lid}: {a} of {n}" for lid, a, n in zip(f.layers, f.alive, f.sizes))
        deleted = sum(f.sizes) - sum(f.alive)
        self.count.setText(
            f"{deleted} neurons deleted ({counts}) · {100 * f.zero_weights:.0f}% of weights zero · "
            f"test accuracy {100 * f.accuracy:.1f}%"
        )

    def _diagram(self, f: StructureFrame) -> None:
        """Columns: the hidden layers, then the 10 outputs; y from 1 (top) to 0, each column centred."""
        sizes = [*f.sizes, f.weights[-1].shape[0]]
        alive = [n > ALIVE_TOL for n in f.norms] + [np.ones(sizes[-1], bool)]
        ys = [1.0 - (np.arange(n) + 0.5) / max(sizes) - (max(sizes) - n) / (2 * max(sizes)) for n in sizes]
        self._edges(f, ys, alive)
        xs, sizes_px, brushes, pens = [], [], [], []
        dead_pen, no_pen, no_brush = pg.mkPen(DEAD, width=1.5), pg.mkPen(None), pg.mkBrush(None)
        for col, (y, live) in enumerate(zip(ys, alive)):
            norms = f.norms[col] if col < len(f.norms) else np.ones(len(y))
            top = float(norms.max()) or 1.0
            fill = pg.mkBrush(run_colour(col))
            xs.append(np.full(len(y), col, dtype=float))
            sizes_px.append(np.where(live, 7 + 9 * np.sqrt(np.maximum(norms, 0) / top), 6.0))
            brushes += [fill if on else no_brush for on in live]
            pens += [no_pen if on else dead_pen for on in live]
        # arrays and shared brushes, not one dict and brush per spot: a frame stays a few milliseconds
        self.nodes.setData(
            x=np.concatenate(xs), y=np.concatenate(ys), size=np.concatenate(sizes_px), brush=brushes, pen=pens
        )
        self._labels([*f.layers, "output"])
        self.diagram.setXRange(-0.4, len(sizes) - 0.6, padding=0)
        self.diagram.setYRange(-0.08, 1.02, padding=0)

    def _edges(self, f: StructureFrame, ys: list[np.ndarray], alive: list[np.ndarray]) -> None:
        xs, yv = [], []
        for col, w in enumerate(f.weights):  # w: (next, this)
            live = np.outer(alive[col + 1], alive[col]) & (w != 0)
            to, frm = np.nonzero(live)
            xs.append(np.column_stack([np.full(len(to), col), np.full(len(to), col + 1)]).ravel())
            yv.append(np.column_stack([ys[col][frm], ys[col + 1][to]]).ravel())
        x, y = np.concatenate(xs), np.concatenate(yv)
        alpha = int(MAX_EDGE_ALPHA * min(1.0, 40 / max(1, len(x) // 2)) + 30)
        colour = pg.mkColor(self.theme.muted_text)
        colour.setAlpha(min(255, alpha))
        self.edges.setData(x, y, pen=pg.mkPen(colour, width=1))

    def _labels(self, names: list[str]) -> None:
        while len(self.layer_labels) < len(names):
            label = pg.TextItem(anchor=(0.5, 0.0))
            self.diagram.addItem(label)
            self.layer_labels.append(label)
        for col, (label, name) in enumerate(zip(self.layer_labels, names)):
            label.setText(name)
            label.setColor(self.theme.text)
            label.setFont(font(self.theme.plot_font_pt + 1))
            label.setPos(col, -0.01)

    def _curves(self, f: StructureFrame) -> None:
        while len(self.lines) < len(f.layers):
            i = len(self.lines)
            line = self.curve.plot([], [], pen=pg.mkPen(run_colour(i), width=self.theme.line_width * 2 + 1))
            self.legend.addItem(line, f.layers[i])
            self.lines.append(line)
        for i, line in enumerate(self.lines):
            line.setData(f.history_steps, f.history[:, i])
        self.curve.setYRange(0, max(f.sizes) * 1.05, padding=0)
        self.curve.setXRange(0, max(f.limit, 1), padding=0.02)

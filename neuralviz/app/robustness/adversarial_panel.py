"""AdversarialPanel: a gradient-sign step of size ε fools the digits net; random noise of the same size does not.

Top: the test digit + the FGSM perturbation (magnified: its colours span ±ε) = the adversarial digit, and the
class probabilities before and after (the true class outlined, the prediction in full colour). Bottom: test accuracy
against ε for FGSM and for random ±ε noise, with the slider's ε marked.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout, QWidget

from ...viz import colormap_rgba
from ..common.theme import Theme, diverging_lut
from .adversarial_run import AdversarialFrame
from .plots import ImageTile, Plot, check_keys, grey_rgba, readout, set_quietly, style_controls, style_readouts

EPS_STEPS = 30  # the slider's ε runs 0 .. 0.30 in steps of 0.01
EPS_SCALE = 100.0


class AdversarialPanel(QWidget):
    changed = pyqtSignal(str, object)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.frame: AdversarialFrame | None = None
        self.eps = QSlider(Qt.Orientation.Horizontal)
        self.eps.setRange(0, EPS_STEPS)
        self.eps.setValue(10)
        self.eps.setToolTip("The size of the attack: every pixel moves by ±ε (pixels are in [0, 1])")
        self.eps_label = QLabel()
        self.example = QSpinBox()
        self.example.setRange(-1, 358)
        self.example.setValue(-1)
        self.example.setSpecialValueText("first fooled")
        self.example.setToolTip("Which test digit is attacked (first fooled: the first one the attack flips)")
        self.robust = QCheckBox("Train with adversarial examples")
        self.robust.setToolTip("Every step also trains on the batch's FGSM copy (ε = 0.1): trains again from scratch")
        self.tiles = [ImageTile(minimum=(90, 90)) for _ in range(3)]
        self.tile_titles = [QLabel(t) for t in ("digit", "+ perturbation", "= adversarial")]
        self.tile_titles[1].setToolTip("Magnified: its colours span ±ε (orange −ε, blue +ε)")
        self.bars_title = readout()
        self.bars_title.setToolTip("The true class is outlined; the class the net picks is in full colour")
        self.bars = Plot({"bottom": "class", "left": "probability"}, minimum=(160, 100))
        self.curve = Plot({"bottom": "ε", "left": "accuracy (%)"}, minimum=(160, 180))
        self.verdict = readout(bold=True)
        self._build_items()
        self._layout()
        self.eps.valueChanged.connect(self._eps_moved)
        self.example.valueChanged.connect(lambda i: self.changed.emit("example", int(i)))
        self.robust.toggled.connect(lambda on: self.changed.emit("adversarial_training", bool(on)))
        self.set_theme(theme)

    def _build_items(self) -> None:
        x = np.arange(10)
        self.clean_bars = pg.BarGraphItem(x=x - 0.2, height=np.zeros(10), width=0.38)
        self.adv_bars = pg.BarGraphItem(x=x + 0.2, height=np.zeros(10), width=0.38)
        self.bars.addItem(self.clean_bars)
        self.bars.addItem(self.adv_bars)
        self.bars.setXRange(-0.6, 9.6, padding=0)
        self.bars.setYRange(0, 1.05, padding=0)
        self.bars.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self.fgsm = self.curve.plot([], [], symbol="o", symbolSize=6)
        self.noise = self.curve.plot([], [], symbol="t", symbolSize=7)
        self.marker = pg.InfiniteLine(angle=90)
        self.curve.addItem(self.marker)
        self.curve.setXRange(0, 0.3, padding=0.02)
        self.curve.setYRange(0, 100, padding=0.02)
        self.curve_legend = self.curve.getPlotItem().addLegend(offset=(8, -8))
        self.curve_legend.addItem(self.fgsm, "FGSM (gradient sign)")
        self.curve_legend.addItem(self.noise, "random ±ε noise")

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("ε:"))
        controls.addWidget(self.eps, 1)
        controls.addWidget(self.eps_label)
        controls.addWidget(QLabel("Digit:"))
        controls.addWidget(self.example)
        controls.addWidget(self.robust)
        images = QGridLayout()
        for i, (title, tile) in enumerate(zip(self.tile_titles, self.tiles)):
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            images.addWidget(title, 0, i)
            images.addWidget(tile, 1, i)
        images.addWidget(self.bars_title, 0, 3)
        images.addWidget(self.bars, 1, 3)
        images.setColumnStretch(3, 2)
        for i in range(3):
            images.setColumnStretch(i, 1)
        images.setRowStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(controls)
        lay.addLayout(images, 1)
        lay.addWidget(self.verdict)
        lay.addWidget(self.curve, 1)

    def settings(self) -> list[tuple[str, object]]:
        return [
            ("adversarial_training", self.robust.isChecked()),
            ("eps", self.eps.value() / EPS_SCALE),
            ("example", self.example.value()),
        ]

    def apply(self, settings: dict) -> None:
        check_keys("adversarial", settings, ("eps", "example", "adversarial_training"))
        if "eps" in settings:
            set_quietly(self.eps, "setValue", round(EPS_SCALE * float(settings["eps"])))
            self.eps_label.setText(f"{self.eps.value() / EPS_SCALE:.2f}")
        if "example" in settings:
            set_quietly(self.example, "setValue", int(settings["example"]))
        if "adversarial_training" in settings:
            set_quietly(self.robust, "setChecked", bool(settings["adversarial_training"]))

    def _eps_moved(self, value: int) -> None:
        self.eps_label.setText(f"{value / EPS_SCALE:.2f}")
        self.changed.emit("eps", value / EPS_SCALE)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_controls(theme, self)
        self.lut = diverging_lut(theme)
        for plot in (*self.tiles, self.bars, self.curve):
            plot.set_theme(theme)
        width = theme.line_width * 1.5 + 1
        self.fgsm.setPen(pg.mkPen(theme.negative, width=width))
        self.fgsm.setSymbolBrush(theme.negative)
        self.noise.setPen(pg.mkPen(theme.positive, width=width))
        self.noise.setSymbolBrush(theme.positive)
        self.marker.setPen(pg.mkPen(theme.muted_text, width=2, style=Qt.PenStyle.DashLine))
        self.curve_legend.setLabelTextSize(f"{theme.plot_font_pt:.0f}pt")
        self.bars_title.setText(
            f"Probabilities: <span style='color:{theme.positive}'>digit</span>, "
            f"<span style='color:{theme.negative}'>adversarial</span>"
        )
        style_readouts(theme, *self.tile_titles, self.bars_title, self.verdict)
        self.eps_label.setText(f"{self.eps.value() / EPS_SCALE:.2f}")
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, f: AdversarialFrame) -> None:
        self.frame = f
        self.tiles[0].show_rgba(grey_rgba(f.clean))
        scale = max(f.eps, 1e-6)
        pert = np.ascontiguousarray(f.perturbation, dtype=np.float32)
        self.tiles[1].show_rgba(colormap_rgba(pert, self.lut, -scale, scale, np.empty((8, 8, 4), np.uint8)))
        self.tiles[2].show_rgba(grey_rgba(f.adversarial))
        self._bars(f)
        if f.fgsm_curve:
            self.fgsm.setData(f.eps_curve, 100 * np.array(f.fgsm_curve))
            self.noise.setData(f.eps_curve, 100 * np.array(f.noise_curve))
        else:
            self.fgsm.setData([], [])
            self.noise.setData([], [])
        self.marker.setPos(f.eps)
        self.verdict.setText(_verdict(f))

    def _bars(self, f: AdversarialFrame) -> None:
        t = self.theme
        for item, probs, colour in (
            (self.clean_bars, f.clean_probs, t.positive),
            (self.adv_bars, f.adversarial_probs, t.negative),
        ):
            top = int(np.argmax(probs))
            brushes = [pg.mkBrush(colour if k == top else pg.mkColor(colour).lighter(160)) for k in range(10)]
            pens = [pg.mkPen(t.text, width=3) if k == f.label else pg.mkPen(None) for k in range(10)]
            item.setOpts(height=probs, brushes=brushes, pens=pens)


def _verdict(f: AdversarialFrame) -> str:
    before, after = int(np.argmax(f.clean_probs)), int(np.argmax(f.adversarial_probs))
    said = f"a {f.label}: the net says {before} ({100 * f.clean_probs[before]:.0f}%)"
    said += f", after the attack {after} ({100 * f.adversarial_probs[after]:.0f}%)"
    if after != before:
        said += " — <b>fooled</b>"
    if f.fgsm_curve:
        i = int(np.argmin(np.abs(np.array(f.eps_curve) - f.eps)))
        said += (
            f" · test accuracy at ε {f.eps_curve[i]:.2f}: FGSM {100 * f.fgsm_curve[i]:.0f}%, "
            f"random noise {100 * f.noise_curve[i]:.0f}%"
        )
    else:
        said += f" · training: step {f.step:,}/{f.limit:,}"
    return said

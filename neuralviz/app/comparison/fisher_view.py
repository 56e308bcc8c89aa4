"""FisherInspector: the geometry natural gradient uses, at one run's current weights.

Four heat maps (exact Fisher, K-FAC, quasi-diagonal, diagonal) with the layer blocks marked, shown as
correlations (the structure each approximation keeps or throws away) or as signed log-magnitudes (the
scales: badly scaled inputs make some rows a million times larger than others); the eigenvalue spectrum
of each, with λ drawn across it (eigenvalues below the line are dominated by damping); and the condition
number over time, of F and of F + λI, the matrix actually solved.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..common.elided_label import ElidedLabel
from ..common.log_ticks import LogDecadeAxis
from ..common.plot_style import configure_pyqtgraph, nice_ceiling, style_plot
from ..common.theme import Theme
from .config import EXACT_LIMIT, FISHER_TITLES
from .fisher_probe import COND_CAP, ORDER, TITLES
from .frames import FisherFrame, RaceInfo
from .matrix_tile import MatrixTile
from .run_style import keep_axis_units
from .static_plot import caption_label, column, plot_or_note

# one colour and dash per approximation in the spectrum (Okabe-Ito, none of them a run colour)
KIND_PENS = {
    "exact": ("#000000", Qt.PenStyle.SolidLine),
    "kfac": ("#0072b2", Qt.PenStyle.DashLine),
    "qd": ("#e69f00", Qt.PenStyle.DashDotLine),
    "diag": ("#56b4e9", Qt.PenStyle.DotLine),
}
KIND_NAMES = {"exact": "exact F", "kfac": "K-FAC", "qd": "quasi-diag.", "diag": "diagonal"}
EIG_FLOOR = 1e-18
MISSING = {
    "exact": f"not computed above {EXACT_LIMIT:,d} parameters: a dense P × P matrix, P³ to factorise",
    "kfac": "K-FAC covers dense and conv2d layers only",
    "qd": "QD covers dense and conv2d layers only",
    "diag": "",
}
DASH_GLYPHS = {
    Qt.PenStyle.SolidLine: "━━",
    Qt.PenStyle.DashLine: "╍╍",
    Qt.PenStyle.DashDotLine: "━·",
    Qt.PenStyle.DotLine: "┅┅",
}


def key_html(colour: str, dash, name: str) -> str:
    """A legend entry as rich text (a legend inside these small plots would cover the curves)."""
    return f'<span style="color:{colour}; font-weight:bold">{DASH_GLYPHS.get(dash, "━━")}</span> {name}'


class FisherInspector(QWidget):
    runChosen = pyqtSignal(int)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self._frame: FisherFrame | None = None
        self.title = ElidedLabel("Fisher inspector")  # one line: its height stays with the plots
        self.title.setProperty("role", "paneltitle")
        self.run_combo = QComboBox()
        self.run_combo.setToolTip("Whose weights the Fisher is measured at")
        self.run_combo.activated.connect(self.runChosen)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("correlation", "correlation")
        self.mode_combo.addItem("log magnitude", "magnitude")
        self.mode_combo.setToolTip(
            "correlation: F_ij / √(F_ii F_jj), the structure each approximation keeps; "
            "log magnitude: sign · log10 |F_ij| over 8 decades, the scales"
        )
        self.mode_combo.currentIndexChanged.connect(lambda _: self._redraw())
        for combo in (self.run_combo, self.mode_combo):
            # sized by a few characters, not by the longest run title: the page fits 1024 pixels
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(QLabel("at"))
        head.addWidget(self.run_combo)
        head.addWidget(self.mode_combo)

        self.tiles = [MatrixTile(theme) for _ in ORDER]
        grid = QGridLayout()
        grid.setSpacing(6)
        for i, tile in enumerate(self.tiles):
            grid.addWidget(tile, i // 2, i % 2)

        # log axes labelled at decades spaced to stay readable (these plots are short)
        self.spectrum_widget = pg.PlotWidget(axisItems={"left": LogDecadeAxis("left")})
        self.spectrum = self.spectrum_widget.getPlotItem()
        self.cond_widget = pg.PlotWidget(axisItems={"left": LogDecadeAxis("left")})
        self.cond_plot = self.cond_widget.getPlotItem()
        for w, plot in ((self.spectrum_widget, self.spectrum), (self.cond_widget, self.cond_plot)):
            w.setMenuEnabled(False)
            w.hideButtons()
            plot.setLogMode(False, True)
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMouseEnabled(False, False)
        self.spectrum_curves = {k: self.spectrum.plot() for k in ORDER}
        self.lambda_line = pg.InfiniteLine(angle=0, movable=False, label="λ", labelOpts={"position": 0.04})
        self.spectrum.addItem(self.lambda_line)
        self.cond_curve = self.cond_plot.plot()
        self.cond_damped_curve = self.cond_plot.plot()
        self.spectrum_title = QLabel("Eigenvalues")
        self.cond_title = QLabel("Condition number")
        for label in (self.spectrum_title, self.cond_title):
            label.setProperty("role", "caption")
            label.setWordWrap(True)
        # side by side, each the panel's whole height: stacked, a short panel (a 720-pixel projector)
        # left each log plot a line's height, too short for two decade labels
        plots = QHBoxLayout()
        plots.setSpacing(8)
        for caption, widget in ((self.spectrum_title, self.spectrum_widget), (self.cond_title, self.cond_widget)):
            one = QVBoxLayout()
            one.setSpacing(2)
            one.addWidget(caption)
            one.addWidget(widget, 1)
            plots.addLayout(one, 1)

        content = QWidget()
        body = QHBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(grid, 4)
        body.addLayout(plots, 5)
        self.body, self.empty = plot_or_note(content)
        self.message = caption_label()
        column(self, head, self.body, self.message, spacing=3)
        self.set_theme(theme)

    # ------------------------------------------------------------------ settings
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for tile in self.tiles:
            tile.set_theme(theme)
        style_plot(self.spectrum, theme, {"bottom": "eigenvalue number"})
        keep_axis_units(self.spectrum)
        style_plot(self.cond_plot, theme, {"bottom": "step"})
        keep_axis_units(self.cond_plot)
        w = theme.line_width
        for kind, curve in self.spectrum_curves.items():
            colour, dash = KIND_PENS[kind]
            curve.setPen(pg.mkPen(colour, width=w, style=dash))
        self.lambda_line.setPen(pg.mkPen("#cc79a7", width=w, style=Qt.PenStyle.DashLine))
        self.cond_curve.setPen(pg.mkPen("#000000", width=w))
        self.cond_damped_curve.setPen(pg.mkPen("#cc79a7", width=w, style=Qt.PenStyle.DashLine))
        for widget in (self.spectrum_widget, self.cond_widget):
            # tall enough for the x axis and two decade labels: below that a log plot is only a line
            widget.setMinimumHeight(int(theme.plot_font_pt * 9))
        self._redraw()

    def show_info(self, info: RaceInfo) -> None:
        items = [f"{label}: {title}" for label, title in zip(info.labels, info.titles)]
        if [self.run_combo.itemText(i) for i in range(self.run_combo.count())] != items:
            current = self.run_combo.currentIndex()
            self.run_combo.blockSignals(True)
            self.run_combo.clear()
            self.run_combo.addItems(items)
            self.run_combo.setCurrentIndex(min(max(current, 0), len(items) - 1))
            self.run_combo.blockSignals(False)

    def select_run(self, index: int) -> None:
        self.run_combo.blockSignals(True)
        self.run_combo.setCurrentIndex(index)
        self.run_combo.blockSignals(False)

    @property
    def mode(self) -> str:
        return self.mode_combo.currentData()

    # ------------------------------------------------------------------ content
    def show_fisher(self, frame: FisherFrame) -> None:
        self._frame = frame
        if 0 <= self.run_combo.currentIndex() and self.run_combo.currentText()[:1] != frame.run_label:
            idx = next(
                (
                    i
                    for i in range(self.run_combo.count())
                    if self.run_combo.itemText(i).startswith(frame.run_label + ":")
                ),
                -1,
            )
            if idx >= 0:
                self.select_run(idx)
        p = frame.parameters
        self.title.setText(f"Fisher inspector · {FISHER_TITLES[frame.fisher]}, {p} × {p} · step {frame.step}")
        self._redraw()

    def _redraw(self) -> None:
        f = self._frame
        if f is None:
            return
        if not f.tiles:
            self.empty.setText(f.message)
            self.body.setCurrentWidget(self.empty)
            self.message.setText("")
            return
        self.body.setCurrentIndex(0)
        by_kind = {t.kind: t for t in f.tiles}
        for tile, kind in zip(self.tiles, ORDER):
            t = by_kind.get(kind)
            if t is None:
                tile.show_note(TITLES[kind], MISSING[kind])
            else:
                tile.show_tile(t, getattr(t, self.mode), f.layers)
        self._draw_spectra(f)
        self._draw_cond(f)
        self.message.setText(f.message)

    def _draw_spectra(self, f: FisherFrame) -> None:
        top, n_max = 0.0, 1
        for kind, curve in self.spectrum_curves.items():
            w = f.spectra.get(kind)
            if w is None or not len(w):
                curve.setData([], [])
                continue
            curve.setData(np.arange(1, len(w) + 1), np.clip(w, EIG_FLOOR, None))
            top, n_max = max(top, float(w[0])), max(n_max, len(w))
        self.lambda_line.setVisible(f.damping > 0)
        if f.damping > 0:
            self.lambda_line.setValue(np.log10(f.damping))
        if top > 0:
            self.spectrum.setRange(
                xRange=(1, n_max), yRange=(np.log10(EIG_FLOOR), np.ceil(np.log10(top)) + 0.3), padding=0.02
            )
        tracked = f.spectra.get(f.cond_kind)
        tiny = (
            f" ({int(np.sum(tracked < tracked[0] * 1e-12))} of {len(tracked)} below 1e-12 · max)"
            if tracked is not None and len(tracked) and tracked[0] > 0
            else ""
        )
        keys = "  ".join(key_html(*KIND_PENS[k], KIND_NAMES[k]) for k in ORDER if len(f.spectra.get(k, ())))
        lam = f"  {key_html('#cc79a7', Qt.PenStyle.DashLine, 'λ')}" if f.damping > 0 else ""
        self.spectrum_title.setText(f"Eigenvalues{tiny}  {keys}{lam}")

    def _draw_cond(self, f: FisherFrame) -> None:
        if not len(f.cond_steps):
            self.cond_curve.setData([], [])
            self.cond_damped_curve.setData([], [])
            self.cond_title.setText("Condition number")
            return
        cond = np.minimum(f.cond, COND_CAP)
        damped = np.minimum(f.cond_damped, COND_CAP)
        self.cond_curve.setData(f.cond_steps, cond)
        if f.damping > 0:
            self.cond_damped_curve.setData(f.cond_steps, damped)
        else:
            self.cond_damped_curve.setData([], [])
        top = float(np.max(cond))
        self.cond_plot.setRange(
            xRange=(0, nice_ceiling(max(float(f.cond_steps[-1]), 10))),
            yRange=(0, np.ceil(np.log10(max(top, 10.0)))),
            padding=0.02,
        )
        who = "F" if f.cond_kind == "exact" else f"{KIND_NAMES[f.cond_kind]}'s F"
        now = f.cond[-1]
        text = "∞ (singular)" if not np.isfinite(now) else f"{now:.1e}"
        keys = key_html("#000000", Qt.PenStyle.SolidLine, f"cond {who}")
        if f.damping > 0:
            keys += "  " + key_html("#cc79a7", Qt.PenStyle.DashLine, f"cond ({who} + λI): {f.cond_damped[-1]:.1e}")
        self.cond_title.setText(f"Condition number of {who} now {text}  {keys}")

"""TextureBoard: what the texture page and the texture scene both show, drawn from TextureFrames.

Top: the source texture, the image forming from noise, the Gram loss relative to its start (log y, with the
line a 90% fall must cross). Bottom: the Gram matrix of every filter size as a heat-map, the source's above the
image's, so the room sees the second row come to look like the first while the picture changes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from ..common.log_ticks import LogDecadeAxis
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme, diverging_lut
from ..lecture.fonts import font
from .run import TextureFrame

GOAL = 0.1  # the loss must fall below a tenth of its start (by 90%)
GRAM_CAPTION = (
    "The Gram matrix: which features fire together, averaged over the image (where is forgotten, "
    "what goes with what stays). One per filter size; top: the source, bottom: the image now."
)


def _rgb8(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8))


def gram_lut(theme: Theme) -> np.ndarray:
    """The diverging map's blue half (neutral to positive) stretched over 256 entries: a ReLU Gram matrix
    has no negative entry, and a one-sided scale spends every shade on the differences that matter."""
    half = diverging_lut(theme)[128:]
    return np.ascontiguousarray(half[np.linspace(0, len(half) - 1, 256).round().astype(int)])


def gram_levels(target: np.ndarray, signed: bool = False) -> tuple[float, float]:
    """Colour levels from the source's Gram matrix, shared by the image's so the two compare: its smallest
    entry to its largest off-diagonal one (the diagonal, each map's own energy, would wash the rest out);
    symmetric about 0 when signed (linear filters, on the diverging map)."""
    t = np.asarray(target, np.float64)
    off = t[~np.eye(len(t), dtype=bool)] if len(t) > 1 else t.ravel()
    if signed:
        scale = float(np.max(np.abs(off))) or 1.0
        return -scale, scale
    low, high = float(t.min()), float(off.max())
    return (low, high) if high > low else (low, low + 1.0)


class RgbView(pg.GraphicsLayoutWidget):
    """One RGB image, square pixels, scaled to fit."""

    def __init__(self):
        super().__init__()
        self.box = self.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.box.setMenuEnabled(False)
        self.item = pg.ImageItem()
        self.box.addItem(self.item)
        self.setMinimumSize(120, 120)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)

    def show_image(self, image: np.ndarray) -> None:
        self.item.setImage(_rgb8(image), autoLevels=False, levels=(0, 255))
        self.box.autoRange(padding=0)


class GramGrid(pg.GraphicsLayoutWidget):
    """Two rows of heat-maps (source, now), one column per filter size, each on the source's colour scale."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.theme = theme
        self.sizes: tuple[int, ...] = ()
        self.items: list[tuple[pg.ImageItem, pg.ImageItem]] = []
        self._signed: bool | None = None
        self._luts: dict[bool, np.ndarray] = {}
        self.setMinimumSize(200, 110)

    def _build(self, sizes: tuple[int, ...]) -> None:
        """Rebuilt only when the filter sizes change (never per frame)."""
        self.clear()
        self.sizes, self.items, self._signed = sizes, [], None
        self._luts = {False: gram_lut(self.theme), True: diverging_lut(self.theme)}
        pt = f"{self.theme.plot_font_pt + 1:.0f}pt"
        for col, k in enumerate(sizes):
            self.addLabel(f"{k}×{k} filters", row=0, col=col + 1, size=pt, color=self.theme.text)
        for row, name in enumerate(("source", "now")):
            self.addLabel(name, row=row + 1, col=0, size=pt, color=self.theme.text)
        for col in range(len(sizes)):
            pair = []
            for row in range(2):
                box = self.addViewBox(row=row + 1, col=col + 1, lockAspect=True, invertY=True, enableMouse=False)
                box.setMenuEnabled(False)
                item = pg.ImageItem()
                box.addItem(item)
                pair.append(item)
            self.items.append(tuple(pair))
        for row in (1, 2):  # the two rows of heat-maps the same height, whatever the labels take
            self.ci.layout.setRowStretchFactor(row, 1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        self.sizes = ()  # rebuilt with the new fonts and colours at the next frame

    def show_grams(self, sizes: tuple[int, ...], targets, grams) -> None:
        if sizes != self.sizes:
            self._build(sizes)
        signed = any(float(np.min(t)) < 0 for t in targets)  # linear filters: negative correlations too
        if signed != self._signed:
            self._signed = signed
            for item in (i for pair in self.items for i in pair):
                item.setLookupTable(self._luts[signed])
        for (top, bottom), target, now in zip(self.items, targets, grams):
            levels = gram_levels(target, signed)
            top.setImage(np.asarray(target, np.float64), levels=levels, autoLevels=False)
            bottom.setImage(np.asarray(now, np.float64), levels=levels, autoLevels=False)
            for item in (top, bottom):
                item.getViewBox().autoRange(padding=0.02)


class LossPlot(pg.PlotWidget):
    """The Gram loss over its start, log y, with the 90% line."""

    def __init__(self):
        super().__init__(axisItems={"left": LogDecadeAxis("left")})  # whole decades, spaced to stay readable
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getPlotItem().setMenuEnabled(False)
        self.setLogMode(x=False, y=True)
        self.setMinimumSize(160, 120)
        self._budget = -1
        self.curve = self.plot([], [])
        self.twin_curve = self.plot([], [])
        self.goal = pg.InfiniteLine(angle=0, pos=np.log10(GOAL))
        self.goal_text = pg.TextItem("90% lower", anchor=(1.0, 1.0))
        self.addItem(self.goal)
        self.addItem(self.goal_text)

    def set_theme(self, theme: Theme) -> None:
        self.setBackground(theme.background)
        style_plot(self.getPlotItem(), theme, {"bottom": "L-BFGS step", "left": "Gram loss / start"})
        self.curve.setPen(pg.mkPen(theme.positive, width=theme.line_width * 1.5 + 1))
        self.twin_curve.setPen(pg.mkPen(theme.negative, width=theme.line_width * 1.5 + 1))
        self.goal.setPen(pg.mkPen(theme.muted_text, width=1.5, style=Qt.PenStyle.DashLine))
        self.goal_text.setColor(theme.muted_text)
        self.goal_text.setFont(font(theme.plot_font_pt))

    def show_losses(self, losses: np.ndarray, budget: int, twin: np.ndarray | None = None) -> None:
        """The main run's curve, and the twin's (in the other colour) when there is one."""
        rels = []
        for curve, values in ((self.curve, losses), (self.twin_curve, twin)):
            if values is None:
                curve.setData([], [])
                continue
            rel = np.maximum(values / values[0], 1e-12)
            curve.setData(np.arange(len(rel)), rel)
            rels.append(rel)
        low = min(min(float(np.log10(r.min())) for r in rels), np.log10(GOAL)) - 0.3
        high = max(float(np.log10(r.max())) for r in rels)
        self.setYRange(low, max(0.0, high) + 0.2, padding=0)
        self.setXRange(0, max(budget, 1), padding=0.02)
        if budget != self._budget:  # three x ticks: a narrow column must not run numbers together
            self._budget = budget
            self.getAxis("bottom").setTicks([[(v, f"{v:g}") for v in (0, budget // 2, budget)]])
        self.goal_text.setPos(max(budget, 1), np.log10(GOAL))


class TextureBoard(QWidget):
    def __init__(self, theme: Theme):
        super().__init__()
        configure_pyqtgraph()
        self.theme = theme
        self.frame: TextureFrame | None = None
        self.source = RgbView()
        self.image = RgbView()
        self.twin = RgbView()
        self.loss = LossPlot()
        self.grams = GramGrid(theme)
        self.source_title = QLabel("Source texture")
        self.image_title = QLabel("From noise")
        self.twin_title = QLabel("Without ReLU")
        self.loss_title = QLabel("Gram loss / start")
        self.gram_caption = QLabel(GRAM_CAPTION)
        self.gram_caption.setWordWrap(True)
        self.readout = QLabel()
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(4)
        top = ((self.source_title, self.source), (self.image_title, self.image), (self.twin_title, self.twin))
        for col, (title, view) in enumerate(top + ((self.loss_title, self.loss),)):
            # titles never widen their column: the columns share the width equally, whatever the font
            title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            title.setMinimumWidth(40)
            grid.addWidget(title, 0, col)
            grid.addWidget(view, 1, col)
        grid.addWidget(self.readout, 2, 0, 1, 4)
        grid.addWidget(self.gram_caption, 3, 0, 1, 4)
        grid.addWidget(self.grams, 4, 0, 1, 4)
        grid.setRowStretch(1, 4)
        grid.setRowStretch(4, 4)
        self.grid = grid
        self._show_twin(False)
        self.set_theme(theme)

    def _show_twin(self, on: bool) -> None:
        """The twin's column only when the run has a twin; its space goes to the others otherwise."""
        self._twin_on = on
        self.twin.setVisible(on)
        self.twin_title.setVisible(on)
        for col in range(4):
            self.grid.setColumnStretch(col, 0 if (col == 2 and not on) else 1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for v in (self.source, self.image, self.twin):
            v.setBackground(theme.background)
        self.loss.set_theme(theme)
        self.loss_title.setToolTip("the Gram loss over its value at step 0, log scale")
        self.grams.set_theme(theme)
        for lab in (self.source_title, self.image_title, self.twin_title, self.loss_title):
            lab.setFont(font(theme.title_pt, bold=True))
        self.gram_caption.setFont(font(theme.font_pt))
        self.readout.setFont(font(theme.title_pt, bold=True))
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, frame: TextureFrame) -> None:
        self.frame = frame
        o = frame.options
        self.source_title.setText(f"Source: {o.texture}")
        twin = frame.twin_image is not None
        if twin != self._twin_on:
            self._show_twin(twin)
        self.image_title.setText(_run_title(o.relu, twin))
        self.source.show_image(frame.source)
        self.image.show_image(frame.image)
        if twin:
            self.twin_title.setText(_run_title(not o.relu, twin))
            self.twin.show_image(frame.twin_image)
        self._colour_titles(twin)
        self.loss.show_losses(frame.losses, frame.budget, frame.twin_losses)
        self.grams.show_grams(o.sizes, frame.targets, frame.grams)
        left = 100.0 * frame.relative
        self.readout.setText(f"step {frame.step} / {frame.budget} · loss at {left:.2g}% of its start")

    def _colour_titles(self, twin: bool) -> None:
        """With a twin, each image's title in its loss curve's colour (the plot's legend)."""
        colours = (self.theme.positive, self.theme.negative) if twin else (self.theme.text, self.theme.text)
        for lab, colour in zip((self.image_title, self.twin_title), colours):
            lab.setStyleSheet(f"color: {colour};")


def _run_title(relu: bool, twin: bool) -> str:
    if twin:
        return "With ReLU" if relu else "Without ReLU"
    return "From noise (ReLU)" if relu else "From noise (no ReLU)"

"""GanImagesBoard: everything the image GAN shows, drawn from one GanImagesFrame (the page and the lecture view
both embed it).

    +------------------------------+-----------------+
    | the generator's 8×8 grid     | real digits 4×4 |
    | (the same 64 codes, live;    +-----------------+
    |  click a tile: a, b, c)      | D and G loss    |
    +------------------------------+-----------------+
    | a → b, slerp strip           | a − b + c = ?   |
    +------------------------------+-----------------+

Clicking a grid tile emits `picked(tile)`: the owner decides which of a, b, c it becomes and tells its worker.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from ..lecture.fonts import font
from .run import GRID, PICK_NAMES, REAL, STRIP, GanImagesFrame
from .tiles import TileGrid


def pick_colours(theme: Theme) -> tuple[str, str, str]:
    """a, b, c: three Okabe-Ito colours that stay apart for colour-blind viewers (blue, vermilion, green)."""
    return theme.classes[1], theme.classes[5], theme.classes[2]


class GanImagesBoard(QWidget):
    picked = pyqtSignal(int)  # a grid tile clicked

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.frame: GanImagesFrame | None = None
        configure_pyqtgraph()
        self.grid = TileGrid(8, GRID // 8)
        self.grid.set_clickable(True)
        self.grid.clicked.connect(self.picked)
        self.real = TileGrid(4, REAL // 4, claims_height=False)  # see the title's word wrap below
        self.real.setMinimumSize(4 * 22, REAL // 4 * 22)  # its box gets no more than this where the window is short
        self.strip = TileGrid(STRIP, 1)
        self.sum = TileGrid(4, 1)
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.setMouseEnabled(False, False)
        self.loss_plot.hideButtons()
        self.loss_plot.setMinimumSize(160, 110)
        self.d_curve = self.loss_plot.plot([], [])
        self.g_curve = self.loss_plot.plot([], [])
        self.titles = {
            "grid": QLabel("Generated from 64 fixed random codes"),
            "real": QLabel("Real digits"),
            "loss": QLabel(),
            "strip": QLabel(),
            "sum": QLabel(),
        }
        self.hint = QLabel()
        self.belief = QLabel()
        for label in (self.hint, self.belief, *self.titles.values()):
            label.setWordWrap(True)  # large fonts wrap rather than widen the window
        # ...but not the short title over the real digits: a wrapping label (like a square grid) makes its box
        # claim the height its width gives, and that height came out of the loss plot below it on 720 pixels
        self.titles["real"].setWordWrap(False)
        self._layout()
        self.set_theme(theme)

    def _box(self, title: str, *widgets: QWidget) -> QFrame:
        """A framed panel: its title, then the widgets (the first one takes the spare height)."""
        frame = QFrame()
        frame.setObjectName("ganBox")
        lay = QVBoxLayout(frame)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(3)
        lay.addWidget(self.titles[title])
        for i, w in enumerate(widgets):
            lay.addWidget(w, 1 if i == 0 else 0)
        return frame

    def _layout(self) -> None:
        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(self._box("real", self.real), 2)
        right.addWidget(self._box("loss", self.loss_plot, self.belief), 3)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        grid.addWidget(self._box("grid", self.grid, self.hint), 0, 0)
        grid.addLayout(right, 0, 1)
        grid.addWidget(self._box("strip", self.strip), 1, 0)
        grid.addWidget(self._box("sum", self.sum), 1, 1)
        grid.setRowStretch(0, 5)
        grid.setRowStretch(1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(
            f"QFrame#ganBox {{ background: {theme.panel}; border: 1px solid #d0d7de; border-radius: 6px; }}"
            f"QLabel {{ color: {theme.text}; background: transparent; border: none; }}"
        )
        for label in self.titles.values():
            label.setFont(font(theme.title_pt, bold=True))
        for label in (self.hint, self.belief):
            label.setFont(font(theme.font_pt + 1))
        for tiles in (self.grid, self.real, self.strip, self.sum):
            tiles.set_background(theme.panel)
        self.loss_plot.setBackground(theme.panel)
        style_plot(self.loss_plot.getPlotItem(), theme, {"bottom": "step"})
        self.d_curve.setPen(pg.mkPen(theme.classes[0], width=theme.line_width + 1))
        self.g_curve.setPen(pg.mkPen(theme.classes[4], width=theme.line_width + 1, style=Qt.PenStyle.DashLine))
        self._titles()
        if self.frame is not None:
            self.show_frame(self.frame)

    def _titles(self) -> None:
        d, g = self.theme.classes[0], self.theme.classes[4]
        self.titles["loss"].setText(
            f"Losses: <span style='color:{d}'>D ━</span> &nbsp; <span style='color:{g}'>G ╍</span>"
        )
        a, b, c = (f"<span style='color:{col}'>{n}</span>" for n, col in zip(PICK_NAMES, pick_colours(self.theme)))
        walk = self.frame.walk if self.frame is not None else "slerp"
        self.titles["strip"].setText(f"From {a} to {b} through the codes ({walk})")
        self.titles["sum"].setText(f"Code arithmetic: {a} − {b} + {c} =")

    # ------------------------------------------------------------------ frames
    def show_frame(self, frame: GanImagesFrame) -> None:
        walk_changed = self.frame is None or self.frame.walk != frame.walk
        self.frame = frame
        if walk_changed:
            self._titles()
        colours = pick_colours(self.theme)
        marks = {tile: (PICK_NAMES[i], colours[i]) for i, tile in enumerate(frame.picks)}
        self.grid.show_images(frame.samples, marks)
        self.real.show_images(frame.real)
        ends = {0: ("a", colours[0]), STRIP - 1: ("b", colours[1])} if len(frame.strip) else {}
        self.strip.show_images(frame.strip, ends)
        self._show_sum(frame, colours)
        if len(frame.steps):
            self.d_curve.setData(frame.steps, frame.d_loss)
            self.g_curve.setData(frame.steps, frame.g_loss)
        else:
            self.d_curve.setData([], [])
            self.g_curve.setData([], [])
        self.belief.setText(f"D's p(real): real digits {frame.d_real:.2f}, generated {frame.d_fake:.2f}")

    def show_next_pick(self, slot: int) -> None:
        """The hint under the grid: which pick the next click sets."""
        colour = pick_colours(self.theme)[slot]
        self.hint.setText(
            f"Click a tile to make it <b style='color:{colour}'>{PICK_NAMES[slot]}</b> (then the next letter)"
        )

    def _show_sum(self, frame: GanImagesFrame, colours) -> None:
        if len(frame.picks) < 3 or not len(frame.total):
            self.sum.show_images(np.empty((0, 1, 1)))
            return
        parts = np.stack([frame.samples[t] for t in frame.picks] + [frame.total[0]])
        marks = {i: (PICK_NAMES[i], colours[i]) for i in range(3)}
        marks[3] = ("", self.theme.text)  # the answer: a dark frame, no letter over the digit
        self.sum.show_images(parts, marks)

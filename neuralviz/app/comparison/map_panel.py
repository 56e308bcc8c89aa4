"""MapPanel: one run's picture: its decision map over the plane (2-D data) or its fitted curve (1-D
regression), the data points on top, the run's name and state in the title. The panels of all runs share
one extent, so they read as mirror images of the same problem."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.render import HeatmapPainter
from ..common.square_plot import SquarePlotHost
from ..common.theme import Theme
from .frames import RaceInfo, RunTrace
from .run_style import panel_title, run_colour, run_pen
from .static_plot import column, map_items, plot_or_note, static_plot


class MapPanel(QWidget):
    def __init__(self, theme: Theme, index: int, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme, self.index = theme, index
        self.painter = HeatmapPainter(theme)
        self._info: RaceInfo | None = None
        self._trace: RunTrace | None = None
        self._rect_key = None
        self.title = panel_title()
        self.plot_widget, self.plot = static_plot()
        self.image, self.curve, self.points = map_items(self.plot)
        self.square = SquarePlotHost(self.plot_widget)  # a planar map's axes span exactly its extent
        self.stack, self.placeholder = plot_or_note(self.square)
        column(self, self.title, self.stack)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        style_plot(self.plot, theme, {})
        self.square.place()  # the axes' sizes follow the font
        self.curve.setPen(run_pen(theme, self.index, 1.5))
        if self._info is not None:
            self._set_points(self._info)
        self._redraw()

    # ------------------------------------------------------------------ content
    def show_info(self, info: RaceInfo) -> None:
        p = info.problem
        if self._info is not None and self._info.problem is p:
            self._info = info
            return
        self._info = info
        self._rect_key = None
        if not p.has_map:
            self.placeholder.setText(
                f"{p.kind.capitalize()} data: no 2-D picture of the function.\nThe loss curves tell this race."
            )
            self.stack.setCurrentWidget(self.placeholder)
            return
        self.stack.setCurrentWidget(self.square)
        planar = p.grid is not None
        self.plot.setAspectLocked(planar)
        self.square.set_square(planar)
        self.image.setVisible(planar)
        self.curve.setVisible(not planar)
        if planar:
            x0, x1, y0, y1 = p.extent
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
        else:
            # Python floats: pyqtgraph compares the range with float64 limits (float32 would overflow)
            xs = np.concatenate([p.points.train_x[:, 0], p.line_x]).astype(np.float64)
            ys = np.asarray(p.points.train_y, dtype=np.float64).ravel()
            pad = 0.1 * (float(ys.max() - ys.min()) or 1.0)
            self.plot.setRange(
                xRange=(float(xs.min()), float(xs.max())),
                yRange=(float(ys.min()) - pad, float(ys.max()) + pad),
                padding=0.02,
            )
        self._set_points(info)

    def _set_points(self, info: RaceInfo) -> None:
        p, t = info.problem, self.theme
        pen = pg.mkPen(t.point_outline, width=t.point_outline_width)
        if p.grid is not None:
            k = p.num_classes or 2
            brushes = [pg.mkBrush(t.class_color(c, k)) for c in range(k)]
            self.points.setData(
                pos=np.asarray(p.points.train_x, dtype=np.float64),
                size=t.point_size * 0.85,
                brush=[brushes[int(c) % k] for c in p.points.train_y],
                pen=pen,
            )
        elif p.line_x is not None:
            self.points.setData(
                x=np.asarray(p.points.train_x, dtype=np.float64)[:, 0],
                y=np.asarray(p.points.train_y, dtype=np.float64).ravel(),
                size=t.point_size * 0.8,
                brush=pg.mkBrush("#9aa5b1"),
                pen=pen,
            )

    def show_trace(self, trace: RunTrace, loss_text: str) -> None:
        self._trace = trace
        colour = run_colour(self.index)
        state = f" — {trace.diverged}" if trace.diverged else ""
        self.title.setText(
            f'<span style="color:{colour}">■</span> {trace.label}: {trace.title}'
            f'<br><span style="font-weight:normal">{loss_text}{state}</span>'
        )
        self._redraw()

    def _redraw(self) -> None:
        trace, info = self._trace, self._info
        if trace is None or info is None or trace.output is None or not info.problem.has_map:
            return
        p = info.problem
        if p.grid is None:
            self.curve.setData(np.asarray(p.line_x, dtype=np.float64), trace.output, connect="finite")
            return
        m = trace.output
        rgba = self.painter.probability(m) if m.ndim == 2 else self.painter.classes(m)
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        key = (p.extent, rgba.shape)
        if key != self._rect_key:
            x0, x1, y0, y1 = p.extent
            self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self._rect_key = key

"""DifferenceView: where the runs' predictions disagree.

2-D data: the largest difference between any two runs' predicted class probabilities (total variation:
|p_A − p_B| for two classes) at every point of the plane, from white (agree) to dark purple (certain of
different classes): one hue, so it reads by lightness alone. The caption says how much of the plane the
runs decide differently. 1-D regression: |f_A − f_B| along x.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.square_plot import SquarePlotHost
from ..common.theme import Theme
from .frames import RaceFrame, RaceInfo
from .run_style import panel_title
from .static_plot import caption_label, column, map_items, plot_or_note, static_plot

INK = np.array([63.0, 0.0, 125.0])  # disagreement colour (dark purple)


def disagreement(outputs: list[np.ndarray]) -> np.ndarray:
    """Per point, the largest total-variation distance between two runs' predictions (0 .. 1)."""
    probs = [np.stack([1.0 - o, o]) if o.ndim == 2 else o for o in outputs]
    worst = np.zeros(probs[0].shape[1:])
    for i in range(len(probs)):
        for j in range(i + 1, len(probs)):
            worst = np.maximum(worst, 0.5 * np.abs(probs[i] - probs[j]).sum(axis=0))
    return np.nan_to_num(worst, nan=1.0)


def decided_differently(outputs: list[np.ndarray]) -> float:
    """Fraction of the plane where two runs pick different classes."""
    picks = [(o >= 0.5) if o.ndim == 2 else o.argmax(axis=0) for o in outputs]
    differ = np.zeros(picks[0].shape, dtype=bool)
    for p in picks[1:]:
        differ |= p != picks[0]
    return float(differ.mean())


class DifferenceView(QWidget):
    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme = theme
        self._info: RaceInfo | None = None
        self._rect_key = None
        self.title = panel_title("Where they disagree")
        self.plot_widget, self.plot = static_plot()
        self.image, self.curve, self.points = map_items(self.plot)
        self.square = SquarePlotHost(self.plot_widget)  # a planar map's axes span exactly its extent
        self.stack, self.placeholder = plot_or_note(self.square)
        self.caption = caption_label()
        column(self, self.title, self.stack, self.caption)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme, {})
        self.square.place()  # the axes' sizes follow the font
        self.curve.setPen(pg.mkPen("#3f007d", width=theme.line_width + 1))
        self.points.setPen(pg.mkPen("#000000", width=0.8))
        self.points.setBrush(pg.mkBrush(0, 0, 0, 0))

    def show_info(self, info: RaceInfo) -> None:
        if self._info is not None and self._info.problem is info.problem:
            self._info = info
            return
        self._info = info
        self._rect_key = None
        p = info.problem
        if not p.has_map:
            self.placeholder.setText("No picture of the disagreement for this kind of data.")
            self.stack.setCurrentWidget(self.placeholder)
            self.caption.setText("")
            return
        self.stack.setCurrentWidget(self.square)
        planar = p.grid is not None
        self.plot.setAspectLocked(planar)
        self.square.set_square(planar)
        self.image.setVisible(planar)
        self.curve.setVisible(not planar)
        self.points.setVisible(planar)
        if planar:
            x0, x1, y0, y1 = p.extent
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
            # the data as hollow rings: where the points are matters, their class is in the run maps
            self.points.setData(pos=np.asarray(p.points.train_x, dtype=np.float64), size=self.theme.point_size * 0.7)
        else:
            self.plot.setRange(xRange=(float(p.line_x.min()), float(p.line_x.max())), padding=0.02)

    def show_frame(self, frame: RaceFrame) -> None:
        self.show_info(frame.info)
        p = frame.info.problem
        outputs = [r.output for r in frame.runs if r.output is not None]
        if not p.has_map or len(outputs) < 2:
            if p.has_map:
                self.caption.setText("Add a second run to compare.")
            return
        if p.grid is None:
            diff = np.max(outputs, axis=0) - np.min(outputs, axis=0)
            self.curve.setData(np.asarray(p.line_x, dtype=np.float64), diff, connect="finite")
            top = float(np.nanmax(diff)) if np.isfinite(diff).any() else 0.0
            self.plot.setYRange(0.0, max(top, 1e-3) * 1.05, padding=0.0)
            self.caption.setText(f"|f_A − f_B| along x; largest {top:.3g}")
            return
        d = disagreement(outputs)
        rgb = 255.0 + (INK - 255.0) * d[..., None]
        rgba = np.empty(d.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
        rgba[..., 3] = 255
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        key = (p.extent, rgba.shape)
        if key != self._rect_key:
            x0, x1, y0, y1 = p.extent
            self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self._rect_key = key
        share = decided_differently(outputs)
        self.caption.setText(
            f"white: same prediction · purple: opposite · decided differently on {100 * share:.0f}% of the plane"
        )

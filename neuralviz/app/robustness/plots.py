"""The small pieces every robustness panel draws with: a styled plot, an image tile, a readout label, a mosaic.

One place for the look (theme fonts, fixed axes, no mouse zoom on a lecture screen), so the four panels stay
short and alike.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLabel, QWidget

from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme

GREY = (215, 215, 215, 255)  # a pruned weight or a deleted neuron: there, but carrying nothing


def font(points: float, bold: bool = False) -> QFont:
    result = QFont()
    result.setPointSizeF(points)
    result.setBold(bold)
    return result


class Plot(pg.PlotWidget):
    """A plot for a projector: fixed range (no mouse zoom), theme fonts, axis labels that follow the theme."""

    def __init__(self, labels: dict[str, str], minimum: tuple[int, int] = (160, 120)):
        configure_pyqtgraph()
        super().__init__()
        self.labels = labels
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMinimumSize(*minimum)
        self.getPlotItem().setMenuEnabled(False)

    def set_theme(self, theme: Theme) -> None:
        self.setBackground(theme.background)
        style_plot(self.getPlotItem(), theme, self.labels)
        for side in ("left", "bottom"):  # style_plot's setLabel (pyqtgraph 0.14) restores the SI ranges it cleared:
            axis = self.getAxis(side)  # without this, ε from 0 to 0.3 reads "0 .. 300" (milli)
            if hasattr(axis, "setSIPrefixEnableRanges"):
                axis.setSIPrefixEnableRanges(())


class ImageTile(Plot):
    """An image with square pixels and no axes (a digit, a perturbation, a weight mosaic, a decision map)."""

    def __init__(self, minimum: tuple[int, int] = (100, 100)):
        super().__init__({}, minimum)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.getPlotItem().hideAxis("left")
        self.getPlotItem().hideAxis("bottom")
        self.setAspectLocked(True)
        self.getViewBox().invertY(True)

    def show_rgba(self, rgba: np.ndarray) -> None:
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        h, w = rgba.shape[:2]
        self.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)


def check_keys(panel: str, settings: dict, known: tuple[str, ...]) -> None:
    """A scene's settings for a panel name only that panel's controls (a typo is found before the talk)."""
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValueError(f"robustness {panel}: unknown option {unknown[0]!r} (known: panel, {', '.join(known)})")


def set_quietly(widget, setter: str, value) -> None:
    """widget.setter(value) without emitting its signals (a scene's option, before the run exists)."""
    widget.blockSignals(True)
    try:
        getattr(widget, setter)(value)
    finally:
        widget.blockSignals(False)


def readout(bold: bool = False) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setProperty("bold", bold)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def style_controls(theme: Theme, panel: QWidget) -> None:
    """The theme's font on a panel's controls and labels: in the lecture presenter no style sheet sizes them, and
    a projector needs them as large as the rest (readouts and titles are restyled after this)."""
    for widget in panel.findChildren((QLabel, QAbstractButton, QComboBox, QAbstractSpinBox)):
        widget.setFont(font(theme.font_pt))


def style_readouts(theme: Theme, *labels: QLabel, big: bool = False) -> None:
    for label in labels:
        label.setFont(font(theme.title_pt + (2 if big else 0), bold=big or bool(label.property("bold"))))


def grey_rgba(image: np.ndarray) -> np.ndarray:
    """(H, W) in [0, 1] -> RGBA, ink dark on white (a digit as written)."""
    g = (255 - np.clip(image, 0, 1) * 255).astype(np.uint8)
    return np.dstack([g, g, g, np.full_like(g, 255)])


def weight_mosaic(weights: np.ndarray, mask: np.ndarray, lut, tiles: int = 8, side: int = 8) -> np.ndarray:
    """The first `tiles`² hidden units' incoming weights as side x side pictures in a grid, coloured by the
    diverging map (scaled to the 95th percentile of the kept |w|), pruned weights grey;
    one white pixel between tiles."""
    from ...viz import colormap_rgba

    units = min(len(weights), tiles * tiles)
    kept = np.abs(weights[:units][mask[:units]])
    scale = float(np.percentile(kept, 95)) if kept.size else 1.0  # a few large weights must not pale the rest
    scale = scale if scale > 0 else 1.0
    cell = side + 1
    out = np.full((tiles * cell - 1, tiles * cell - 1, 4), 255, dtype=np.uint8)
    for u in range(units):
        r, c = divmod(u, tiles)
        w = np.ascontiguousarray(weights[u].reshape(side, side), dtype=np.float32)
        rgba = colormap_rgba(w, lut, -scale, scale, np.empty((side, side, 4), dtype=np.uint8))
        rgba[~mask[u].reshape(side, side)] = GREY
        out[r * cell : r * cell + side, c * cell : c * cell + side] = rgba
    return out

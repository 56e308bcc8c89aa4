"""Readable ticks for a log-scale axis: whole decades only, as many as fit, all written alike.

pyqtgraph's own log ticks mix "0.001" with "10⁻⁵" and, on a short plot spanning many decades, put a label
on every decade until they touch. Here the decades shown are spaced so that labels are at least
MIN_GAP_LINES text lines apart (every 1, 2, 3, 5, 10, ... decades), none so close to an end that it would
stick out (pyqtgraph drops those), and each reads 10ᵏ (1 and 10 as themselves)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtGui import QFontMetricsF

MIN_GAP_LINES = 1.8  # least distance between two labels, in lines of the tick font
DECADE_STEPS = (1, 2, 3, 5, 10, 20, 50)
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(exponent: int) -> str:
    """10^exponent as the axis writes it: 1 and 10 plainly, every other decade as 10ᵏ (one style)."""
    plain = {0: "1", 1: "10"}
    return plain.get(exponent, "10" + str(exponent).translate(SUPERSCRIPT))


def decade_ticks(low: float, high: float, pixels: float, line_px: float) -> list[tuple[float, str]]:
    """(log10 value, label) of the decades between low and high (log10 units) to label on an axis
    `pixels` long whose labels are `line_px` tall: every k-th decade, k the smallest that keeps them apart."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low or pixels <= 0:
        return []
    px_per_decade = pixels / (high - low)
    inset = 0.5 * line_px / px_per_decade  # a label centred closer to an end would stick out
    first, last = math.ceil(low + inset - 1e-9), math.floor(high - inset + 1e-9)
    if first > last:
        return []
    step = next((k for k in DECADE_STEPS if k * px_per_decade >= MIN_GAP_LINES * line_px), DECADE_STEPS[-1])
    exponents = list(range(math.ceil(first / step) * step, last + 1, step))
    if len(exponents) < 2 and last > first and (last - first) * px_per_decade >= 1.2 * line_px:
        exponents = [first, last]  # a short axis still reads as a scale: the outermost decades that fit
    return [(float(e), decade_label(e)) for e in exponents or [(first + last) // 2]]


class LogDecadeAxis(pg.AxisItem):
    """A left axis for plots with setLogMode(y=True): labels only whole decades, spaced to stay readable."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        return [(1.0, [v for v, _ in decade_ticks(minVal, maxVal, size, self._line_px())])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if self.logMode:
            return [decade_label(int(round(v))) for v in values]
        return super().tickStrings(values, scale, spacing)

    def _line_px(self) -> float:
        font = self.style.get("tickFont")
        return QFontMetricsF(font).height() if font is not None else 12.0

"""Log-scale axes drawn by hand: values are plotted as log10(v) and the axis gets a few readable ticks.

pyqtgraph's log mode cannot draw bars, nor a loss of exactly 0 (a perceptron's); here the values are plotted as
log10 and the ticks are decades spaced by the axis's pixels and written as common/log_ticks.py writes them (so
every log axis of the app reads alike), with 0.2 and 0.5 added when the axis spans at most two decades, and "0"
at the floor where values of 0 are drawn.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtGui import QFontMetricsF

from ..common.log_ticks import DECADE_STEPS, MIN_GAP_LINES, decade_label


def log_ticks(lo: float, hi: float, pixels: float, line_px: float) -> list[tuple[float, str]]:
    """(position, label) ticks for an axis `pixels` long showing log10 values lo..hi (ends included: the plots
    leave a margin), labels `line_px` tall: every k-th decade, k the smallest of DECADE_STEPS that keeps the labels
    MIN_GAP_LINES apart, with 2 and 5 between them when the axis spans at most two decades and has the room."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or pixels <= 0:
        return []
    per_decade = pixels / (hi - lo)
    step = next((k for k in DECADE_STEPS if k * per_decade >= MIN_GAP_LINES * line_px), DECADE_STEPS[-1])
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    ticks = [(float(e), decade_label(e)) for e in range(math.ceil(first / step) * step, last + 1, step)]
    if ticks and hi - lo <= 2.0 + 1e-9 and per_decade >= 4 * MIN_GAP_LINES * line_px:
        for d in range(math.floor(lo) - 1, math.ceil(hi) + 1):
            for m in (2.0, 5.0):
                p = d + math.log10(m)
                if lo <= p <= hi:
                    ticks.append((p, ""))
        ticks = [(p, f"{10.0**p:.2g}") for p, _ in ticks]  # 0.1 0.2 0.5 1: one way of writing on one axis
    return sorted(ticks)


def set_log_ticks(plot, lo: float, hi: float, pixels: float, zero_at: float | None = None) -> None:
    """Put log_ticks on the plot's left axis for `pixels` of height ("0" at zero_at, the floor, if given)."""
    axis = plot.getAxis("left")
    font = axis.style.get("tickFont")
    line = QFontMetricsF(font).height() if font is not None else 12.0
    ticks = log_ticks(lo, hi, max(pixels, 1.0), line)
    if zero_at is not None:
        ticks = [(p, t) for p, t in ticks if abs(p - zero_at) > 0.3] + [(zero_at, "0")]
    axis.setTicks([ticks, []])


def data_floor(values, least: float = 1e-8) -> float:
    """Where values at or near 0 are drawn: a decade below the smallest positive value (whole decades), at
    least `least`; the axis labels it "0" when a value lies below it (zero_ticks)."""
    v = np.asarray(values, dtype=np.float64)
    positive = v[np.isfinite(v) & (v > 0)]
    if positive.size == 0:
        return 0.01
    return max(least, 10.0 ** (math.floor(math.log10(float(positive.min())) + 1e-9) - 1))


def log_range(values, floor: float) -> tuple[float, float]:
    """(lo, hi) in log10 units around the finite values (those below floor drawn at it): whole decades below,
    half decades above, at least one decade tall."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.log10(floor), math.log10(floor) + 1.0
    logs = np.log10(np.maximum(v, floor))
    lo = math.floor(float(logs.min()) + 1e-9)
    hi = math.ceil((float(logs.max()) + 0.05) * 2) / 2
    return lo, max(hi, lo + 1.0)


def to_log(values, floor: float) -> np.ndarray:
    """log10 of the values, those below floor at floor, non-finite ones NaN (a gap in the curve)."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.where(np.isfinite(v), np.log10(np.maximum(v, floor)), np.nan)

"""DampingSlider: Tikhonov damping λ on a logarithmic slider whose leftmost notch is exactly 0.

λ = 0 is where natural gradient is exactly invariant (and numerically fragile); 1e-8 … 10 in quarter
decades covers everything from "barely there" to "this is gradient descent with a tiny step"."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

LOG_MIN, LOG_MAX, PER_DECADE = -8, 1, 4
NOTCHES = (LOG_MAX - LOG_MIN) * PER_DECADE + 1  # notch 0 is λ = 0, notches 1.. are 10^LOG_MIN ...


def notch_value(notch: int) -> float:
    return 0.0 if notch <= 0 else float(10.0 ** (LOG_MIN + (notch - 1) / PER_DECADE))


def value_notch(value: float) -> int:
    if not value > 0:
        return 0
    return int(np.clip(round((np.log10(value) - LOG_MIN) * PER_DECADE) + 1, 1, NOTCHES))


def format_lambda(value: float) -> str:
    """0, 1e-3, 1.8e-3, ... (short enough for a label on a projector)."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


class DampingSlider(QWidget):
    dampingChanged = pyqtSignal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, NOTCHES)
        self.slider.setPageStep(PER_DECADE)
        self.slider.setMinimumWidth(220)
        self.slider.setToolTip(
            "Damping λ added to the Fisher (F + λI). Far left: exactly 0, the invariant "
            "(and fragile) natural gradient; each notch a quarter decade up to 10."
        )
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("λ = 1.8e-3 ") + 4)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.slider.valueChanged.connect(self._moved)
        self._show(0.0)

    @property
    def value(self) -> float:
        return notch_value(self.slider.value())

    def set_value(self, value: float) -> None:
        """Show λ without emitting (the page sets what is in force)."""
        self.slider.blockSignals(True)
        self.slider.setValue(value_notch(value))
        self.slider.blockSignals(False)
        self._show(value)

    def _moved(self, notch: int) -> None:
        value = notch_value(notch)
        self._show(value)
        self.dampingChanged.emit(value)

    def _show(self, value: float) -> None:
        self.label.setText(f"λ = {format_lambda(value)}")

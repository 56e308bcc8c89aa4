"""InputPanel: choose what the network looks at, and move it.

A test image (previous / next / random), or your own drawing (Clear gives an empty canvas; drawing on a
test image changes it). The translation sliders and arrow buttons move the chosen input right/left and
down/up by whole pixels; what moves out of the frame is lost, what comes in is background (0).
Emits changed() whenever the input or its translation changes.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QToolButton, QWidget

from ..common.elided_label import ElidedLabel
from ..common.panels import titled_column
from ..common.theme import Theme
from .draw_canvas import DrawCanvas


class InputPanel(QWidget):
    changed = pyqtSignal()

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.images: np.ndarray | None = None  # (N, C, H, W) the test set
        self.labels: np.ndarray | None = None
        self.class_names: tuple[str, ...] = ()
        self.index: int | None = 0  # None: the user's own drawing
        self.edited = False
        self.base: np.ndarray | None = None  # (C, H, W) the chosen input, untranslated
        self.rng = np.random.default_rng(1)
        self._build()

    def _build(self) -> None:
        lay = titled_column(self, "Input", margins=6)
        self.canvas = DrawCanvas(self.theme)
        self.canvas.imageDrawn.connect(self._drawn)
        lay.addWidget(self.canvas, 1)
        # one line each: word-wrapped labels grow taller when the column narrows (large fonts) and then
        # overlap the canvas
        self.source_label = ElidedLabel("")
        lay.addWidget(self.source_label)

        nav = QGridLayout()  # two by two: the panel stays narrow enough for large fonts on 1024 pixels
        self.prev_button = QPushButton("◀ Previous")
        self.random_button = QPushButton("Random")
        self.next_button = QPushButton("Next ▶")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("An empty canvas: draw your own input with the mouse")
        for i, (button, slot) in enumerate(
            (
                (self.prev_button, lambda: self.step(-1)),
                (self.next_button, lambda: self.step(1)),
                (self.random_button, self.random),
                (self.clear_button, self.clear),
            )
        ):
            button.clicked.connect(slot)
            nav.addWidget(button, i // 2, i % 2)
        lay.addLayout(nav)
        hint = ElidedLabel("Draw on the image with the mouse (right button erases).")
        hint.setProperty("role", "hint")
        lay.addWidget(hint)

        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        self.sliders = {}
        for row, (axis, minus, plus, text) in enumerate((("x", "←", "→", "Move right"), ("y", "↑", "↓", "Move down"))):
            label = QLabel(text)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-2, 2)
            slider.setPageStep(1)
            slider.setTickPosition(QSlider.TickPosition.TicksBelow)
            slider.valueChanged.connect(self._shift_moved)
            less, more = QToolButton(), QToolButton()
            less.setText(minus)
            more.setText(plus)
            less.setAutoRepeat(True)
            more.setAutoRepeat(True)
            less.clicked.connect(lambda _=False, s=slider: s.setValue(s.value() - 1))
            more.clicked.connect(lambda _=False, s=slider: s.setValue(s.value() + 1))
            grid.addWidget(label, row, 0)
            grid.addWidget(less, row, 1)
            grid.addWidget(slider, row, 2)
            grid.addWidget(more, row, 3)
            self.sliders[axis] = slider
        lay.addLayout(grid)
        shift_row = QHBoxLayout()
        self.shift_label = QLabel("not moved")
        self.centre_button = QPushButton("Centre")
        self.centre_button.clicked.connect(lambda: self.set_shift(0, 0))
        shift_row.addWidget(self.shift_label, 1)
        shift_row.addWidget(self.centre_button)
        lay.addLayout(shift_row)

    # ------------------------------------------------------------------ data
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.canvas.set_theme(theme)

    def set_test_set(self, images: np.ndarray, labels: np.ndarray, class_names, max_shift: int) -> None:
        """A new configuration: its test images; the input becomes test image 0 again when the image size
        changed (a drawing of the same size is kept)."""
        same_size = self.base is not None and self.base.shape == images.shape[1:]
        self.images, self.labels, self.class_names = images, labels, tuple(class_names)
        for slider in self.sliders.values():
            slider.blockSignals(True)
            slider.setRange(-max_shift, max_shift)
            slider.blockSignals(False)
        if same_size and self.index is None:
            self._update(emit=True)
        else:
            self.show_test(0 if self.index is None else min(self.index, len(images) - 1))

    @property
    def shift(self) -> tuple[int, int]:
        return self.sliders["x"].value(), self.sliders["y"].value()

    @property
    def true_label(self) -> int | None:
        """The test image's class (None for a drawing or an edited test image)."""
        if self.index is None or self.edited or self.labels is None:
            return None
        return int(self.labels[self.index])

    def show_test(self, index: int) -> None:
        if self.images is None or len(self.images) == 0:
            return
        self.index = int(index) % len(self.images)
        self.edited = False
        self.base = np.array(self.images[self.index], dtype=np.float32)
        self._update(emit=True)

    def step(self, delta: int) -> None:
        self.show_test((self.index or 0) + delta if self.index is not None else 0)

    def random(self) -> None:
        if self.images is not None and len(self.images):
            self.show_test(int(self.rng.integers(len(self.images))))

    def clear(self) -> None:
        if self.base is None:
            return
        self.index, self.edited = None, False
        self.base = np.zeros_like(self.base)
        self._update(emit=True)

    def set_shift(self, dx: int, dy: int) -> None:
        for slider, v in ((self.sliders["x"], dx), (self.sliders["y"], dy)):
            slider.blockSignals(True)
            slider.setValue(int(v))
            slider.blockSignals(False)
        self._update(emit=True)

    def _shift_moved(self, _value: int) -> None:
        self._update(emit=True)

    def _drawn(self, image: np.ndarray) -> None:
        self.base = image
        if self.index is not None:
            self.edited = True
        self._update(emit=True)

    def _update(self, emit: bool) -> None:
        if self.base is None:
            return
        self.canvas.set_image(self.base, self.shift)
        dx, dy = self.shift
        moves = [
            f"{abs(dx)} px {'right' if dx > 0 else 'left'}" if dx else "",
            f"{abs(dy)} px {'down' if dy > 0 else 'up'}" if dy else "",
        ]
        self.shift_label.setText("moved " + ", ".join(m for m in moves if m) if dx or dy else "not moved")
        if self.index is None:
            self.source_label.setText("Your drawing")
        else:
            k = int(self.labels[self.index])
            name = self.class_names[k] if k < len(self.class_names) else str(k)
            self.source_label.setText(
                f"Test image {self.index + 1} of {len(self.images)}: a “{name}”" + (" (edited)" if self.edited else "")
            )
        if emit:
            self.changed.emit()

"""RunPanel: one run of the race, mirrored beside the others: its name and size, a picture of what it has
learned, and its train and test numbers, big enough to read from the back of a room.

The picture (frames.py's kinds): the output over the plane with the train points (white outline) and test
points (black outline); the fitted curve over the data; the test confusion matrix; or none. Every panel of a
race shows the same extent, so the pictures read as mirror images. Axes are left out: the pictures are
compared with each other, not read off a scale.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtWidgets import QGraphicsRectItem, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..common.plot_style import configure_pyqtgraph
from ..common.render import HeatmapPainter
from ..common.theme import Theme, hex_to_rgb
from ..comparison.static_plot import map_items, static_plot
from .fit_label import FitLabel
from .frames import CONFUSION, LINE, NUMBERS, PLANE, SCATTER, RaceLayout, RunData, RunState
from .run_colours import run_colour

CAPTIONS = {
    CONFUSION: "confusion: true class (down) vs answer (across), test",
    SCATTER: "prediction (up) vs target (across), test",
}
MAX_POINTS = 500  # drawn of each split at most (the first ones: the data are shuffled), so the map shows through
CROWD = 600  # points beyond this many make the dots smaller


def thin(data: RunData, most: int) -> RunData:
    """The first `most` points of each split."""
    return RunData(data.train_x[:most], data.train_y[:most], data.test_x[:most], data.test_y[:most])


def number_text(value: float | None, percent: bool) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if percent:
        return f"{100 * value:.0f}%"
    return f"{value:.2g}" if abs(value) < 1 else f"{value:.3g}"


class RunPanel(QWidget):
    def __init__(self, theme: Theme, index: int, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.theme, self.index = theme, index
        self.painter = HeatmapPainter(theme)
        self.layout_: RaceLayout | None = None
        self.state: RunState | None = None
        self._rect_key = None
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.size_label = QLabel()
        self.size_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.plot_widget, self.plot = static_plot()
        for side in ("left", "bottom"):
            self.plot.hideAxis(side)
        self.image, self.curve, self.train_points = map_items(self.plot)
        self.test_points = pg.ScatterPlotItem(pxMode=True)
        self.test_points.setZValue(3)
        self.plot.addItem(self.test_points)
        self.frame = QGraphicsRectItem()  # the confusion matrix's edge: its white cells would merge with the panel
        self.frame.setZValue(4)
        self.plot.addItem(self.frame)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.caption.setWordWrap(True)
        self.numbers = QWidget()
        grid = QGridLayout(self.numbers)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(0)
        self.captions, self.values = [], []
        for col in range(3):
            cap, val = QLabel("train"), FitLabel("–")
            cap.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            cap.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            grid.addWidget(cap, 0, col)
            grid.addWidget(val, 1, col)
            grid.setColumnStretch(col, 1)
            self.captions.append(cap)
            self.values.append(val)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        # the picture is never taller than wide; what height is left over goes equally above and below, so the
        # name, the picture and the numbers stay together in the middle of the panel
        lay.addStretch(1)
        lay.addWidget(self.title)
        lay.addWidget(self.size_label)
        lay.addWidget(self.plot_widget, 1000)
        lay.addWidget(self.caption)
        lay.addWidget(self.numbers)
        lay.addStretch(1)
        # the panel's own background shows around a square picture, not a box of another colour
        self.plot_widget.setBackground(None)
        self.plot_widget.setStyleSheet("background: transparent; border: none;")
        self.set_theme(theme)

    # ------------------------------------------------------------------ look
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        colour = run_colour(self.index)
        big = theme.title_pt * 1.7
        self.title.setStyleSheet(f"font-size: {theme.title_pt * 1.15:.1f}pt; color: {theme.text};")
        small = f"font-size: {theme.font_pt:.1f}pt; color: {theme.muted_text};"
        for label in (self.size_label, self.caption, *self.captions):
            label.setStyleSheet(small)
        for val in self.values:
            val.set_style(big, colour)
        self.curve.setPen(self._curve_pen())
        self.frame.setPen(pg.mkPen(theme.muted_text, width=1.5))
        if self.layout_ is not None:
            self._set_points(self.layout_)
            self._rect_key = None
        self._redraw()

    def text_height(self) -> int:
        """Pixels the panel needs besides its picture (the grid sizes pictures from the rest)."""
        lay = self.layout()
        parts = [self.title, self.size_label, self.numbers] + ([self.caption] if self.caption.isVisibleTo(self) else [])
        m = lay.contentsMargins()
        return sum(p.sizeHint().height() for p in parts) + lay.spacing() * len(parts) + m.top() + m.bottom()

    # ------------------------------------------------------------------ content
    def show_layout(self, layout: RaceLayout) -> None:
        self.layout_ = layout
        self.state = None
        self._rect_key = None
        self._write_title(layout, "")
        kind = layout.picture
        self.plot_widget.setVisible(kind != NUMBERS)
        self._cap_picture()
        self.plot.setAspectLocked(kind in (PLANE, CONFUSION, SCATTER))
        self.plot.invertY(kind == CONFUSION)
        self.image.setVisible(kind in (PLANE, CONFUSION))
        self.curve.setVisible(kind in (LINE, SCATTER))
        self.curve.setPen(self._curve_pen())
        self.caption.setVisible(kind in (CONFUSION, SCATTER))
        k = layout.num_classes or 1
        self.frame.setRect(QRectF(0, 0, k, k))
        self.frame.setVisible(kind == CONFUSION)
        self.caption.setText(CAPTIONS.get(kind, ""))
        self.image.clear()
        self.curve.setData([], [])
        if kind in (PLANE, LINE, SCATTER):
            x0, x1, y0, y1 = layout.extent
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
        elif kind == CONFUSION:
            k = layout.num_classes or 1
            self.plot.setRange(xRange=(0, k), yRange=(0, k), padding=0.0)
        self._set_points(layout)
        sample = "100%" if layout.classification else "0.0000"
        for c, (cap, val) in enumerate(zip(self.captions, self.values)):
            shown = c < 2 or layout.jacobian
            cap.setVisible(shown)
            val.setVisible(shown)
            val.set_sample(sample if c < 2 else "00.00")
            val.setText("–")
            self.numbers.layout().setColumnStretch(c, 1 if shown else 0)
        self._fit_captions()

    def _write_title(self, layout: RaceLayout, diverged: str) -> None:
        i = self.index
        text = f'<span style="color:{run_colour(i)}">■</span> <b>{layout.labels[i]}</b>'
        if text != self.title.text():
            self.title.setText(text)
        size = f"{layout.parameters[i]:,} parameters"
        self.size_label.setText(f"{size} · {diverged}" if diverged else size)
        self.size_label.setStyleSheet(
            f"font-size: {self.theme.font_pt:.1f}pt; color: {'#cf222e' if diverged else self.theme.muted_text};"
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._cap_picture()
        self._fit_captions()

    def _cap_picture(self) -> None:
        """A square picture is never taller than wide (the spare height goes above and below the panel's
        content); a fitted curve may take all the height."""
        square = self.layout_ is not None and self.layout_.picture in (PLANE, CONFUSION, SCATTER)
        m = self.layout().contentsMargins()
        self.plot_widget.setMaximumHeight(max(1, self.width() - m.left() - m.right()) if square else 16_777_215)

    def _fit_captions(self) -> None:
        """ "train accuracy" over each number where it fits, else "train" (the % says the rest)."""
        layout = self.layout_
        if layout is None:
            return
        word = " accuracy" if layout.classification else " loss"
        columns = 3 if layout.jacobian else 2
        room = self.numbers.width() / columns - 8
        metrics = self.captions[0].fontMetrics()
        long = metrics.horizontalAdvance("train" + word) <= room
        texts = [f"train{word}" if long else "train", f"test{word}" if long else "test", "‖∂f/∂x‖"]
        for cap, text in zip(self.captions, texts):
            if cap.text() != text:
                cap.setText(text)

    def _set_points(self, layout: RaceLayout) -> None:
        data, t = layout.data[self.index], self.theme
        if data is None or layout.picture not in (PLANE, LINE):
            self.train_points.setData([])
            self.test_points.setData([])
            return
        shown = len(data.train_x) + len(data.test_x)
        size = t.point_size * min(1.0, max(0.55, (CROWD / max(shown, 1)) ** 0.5))
        data = thin(data, MAX_POINTS)
        if layout.picture == PLANE:
            k = layout.num_classes or 2
            brushes = [pg.mkBrush(t.class_color(c, k)) for c in range(k)]
            for item, x, y, outline in (
                (self.train_points, data.train_x, data.train_y, t.point_outline),
                (self.test_points, data.test_x, data.test_y, "#000000"),
            ):
                item.setData(
                    pos=np.asarray(x, dtype=np.float64),
                    size=size,
                    brush=[brushes[int(c) % k] for c in np.asarray(y).reshape(len(y), -1)[:, 0]],
                    pen=pg.mkPen(outline, width=max(1.0, t.point_outline_width)),
                )
        else:
            for item, x, y, brush, outline in (
                (self.train_points, data.train_x, data.train_y, "#8c959f", t.point_outline),
                (self.test_points, data.test_x, data.test_y, "#ffffff", "#57606a"),
            ):
                item.setData(
                    x=np.asarray(x, dtype=np.float64).ravel(),
                    y=np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0],
                    size=size * 0.8,
                    brush=pg.mkBrush(brush),
                    pen=pg.mkPen(outline, width=1.2),
                )

    def show_state(self, state: RunState) -> None:
        self.state = state
        layout = self.layout_
        if layout is None:
            return
        if layout.classification:
            numbers = [number_text(state.train_accuracy, True), number_text(state.test_accuracy, True)]
        else:
            numbers = [number_text(state.train_loss, False), number_text(state.test_loss, False)]
        if layout.jacobian:
            numbers.append("–" if state.jacobian is None else f"{state.jacobian:.3g}")
        for val, text in zip(self.values, numbers):
            val.setText(text)
        self._write_title(layout, state.diverged)
        self._redraw()

    def _redraw(self) -> None:
        state, layout = self.state, self.layout_
        if state is None or layout is None or state.picture is None:
            return
        if layout.picture == LINE:
            self.curve.setData(np.asarray(layout.line_x, dtype=np.float64), state.picture, connect="finite")
            return
        if layout.picture == SCATTER:
            self._draw_scatter(layout, state.picture)
            return
        if layout.picture == PLANE:
            m = state.picture
            rgba = self.painter.probability(m) if m.ndim == 2 else self.painter.classes(m)
            x0, x1, y0, y1 = layout.extent
        else:  # CONFUSION: white .. the run's colour by the share of each true class
            rgba = self._confusion_rgba(state.picture)
            x0, x1, y0, y1 = 0, len(state.picture), 0, len(state.picture)
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        key = (layout.serial, rgba.shape)
        if key != self._rect_key:
            self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self._rect_key = key

    def _curve_pen(self):
        """The fitted curve in the run's colour; a scatter's diagonal (perfect answers) thin, grey and dashed."""
        if self.layout_ is not None and self.layout_.picture == SCATTER:
            return pg.mkPen(self.theme.muted_text, width=1.5, style=Qt.PenStyle.DashLine)
        return pg.mkPen(run_colour(self.index), width=self.theme.line_width * 1.6 + 0.5)

    def _draw_scatter(self, layout: RaceLayout, predicted: np.ndarray) -> None:
        """Prediction (up) against target (across) for the test examples, over the diagonal of perfect answers;
        a prediction off the picture is drawn at its edge."""
        x0, x1, y0, y1 = layout.extent
        self.curve.setData([x0, x1], [y0, y1])
        target = np.asarray(layout.data[self.index].test_y, dtype=np.float64)
        shown = np.clip(np.nan_to_num(predicted, nan=y0), y0, y1)
        colour = run_colour(self.index)
        self.test_points.setData(
            x=target, y=shown, size=self.theme.point_size * 0.7, brush=pg.mkBrush(colour), pen=pg.mkPen(None)
        )

    def _confusion_rgba(self, m: np.ndarray) -> np.ndarray:
        colour = np.array(hex_to_rgb(run_colour(self.index)), dtype=np.float32)
        share = np.sqrt(np.clip(np.nan_to_num(m), 0.0, 1.0))[..., None]  # sqrt: small confusions stay visible
        rgba = np.empty(m.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = np.clip(255.0 + (colour - 255.0) * share, 0, 255).astype(np.uint8)
        rgba[..., 3] = 255
        return rgba

"""SurfaceView: gradient descent as a walk downhill on a loss surface (lecture topic 3, dθ/dt = −∇C).

The loss over two chosen weights of a small network (neuralviz.viz.surface.ParameterPlane: every other
weight fixed) is drawn as a shaded contour map, and one or more optimizer runs walk on it live, each in its
own colour, every step a dot: a large plain step zig-zags across the valley, momentum builds speed along
it. The default problem is one tanh neuron without biases fitting y = sin(πx/2): output v·tanh(w·x), so
the two weights (w, v) are the whole network; its surface has two mirror-image minima ((w, v) and
(−w, −v) compute the same function) in curved narrow valleys, with a saddle between them.

A click on the surface restarts every run from there; the step-size slider scales every run's step
(×0.25 … ×4: the largest diverge). The runs step in a WorkerHost thread, `speed` steps per frame (about
30 frames a second), and pause by themselves when the scene's stopping rule is reached; the loss the rule
and the footer read is the *largest* current loss of the runs that have not diverged (the scene stops
when every run is down there).

scene.preset: a preset dict (network, dataset, training.loss; float64, seed 0, the training split), or
none for the default problem above. scene.options (all optional; the defaults fit the default problem):

    {"axes": ["h.weight[0,0]", "out.weight[0,0]"],   # two weights (parameter name[index]), or "random":
                                                    # a 2-D slice along two random directions
     "slice_seed": 0,                               # seed of the random directions
     "labels": ["w (input → hidden)", "v (hidden → output)"],   # the axis titles
     "range": [[-4, 4], [-3, 3]],                   # the plotted window, per axis
     "start": [3.5, -1.0],                          # where every run starts (plane coordinates)
     "runs": [{"label": "plain", "lr": 1.2, "momentum": 0.0},
              {"label": "momentum", "lr": 0.1, "momentum": 0.9}],   # 1-4 runs
     "resolution": 61,                              # surface grid points per side (61 x 61 forward passes)
     "speed": 1}                                    # steps per frame while playing (0: as fast as possible)

The parts: surface_setup.py (options -> SurfaceSetup; the plane and the Walk), surface_worker.py (the
thread that computes the surface and steps the runs), surface_image.py (the shaded contour picture),
surface_rows.py (a run's row in the side panel); this file is the widget that shows and drives them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, Qt, QTimer, pyqtSlot
from PyQt6.QtGui import QTransform
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.live_label import LiveLabel
from ..common.plot_style import configure_pyqtgraph, style_plot
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .fonts import font
from .scene_view import SceneView
from .surface_image import surface_image
from .surface_rows import RunRow
from .surface_setup import MAX_RUNS, read_setup
from .surface_worker import SurfaceData, SurfaceWorker, WalkFrame

__all__ = ["SurfaceView", "RUN_COLOURS"]

# Okabe-Ito, apart from the blue surface; one per run the setup accepts (MAX_RUNS)
RUN_COLOURS = ("#d55e00", "#000000", "#cc79a7", "#e69f00")[:MAX_RUNS]
SLIDER_STEPS = 4  # the step-size slider goes from 2^-2 to 2^2 in half octaves


class SurfaceView(QWidget, SceneView):
    """The surface with the runs' paths on the left, their losses and the step-size slider on the right."""

    def __init__(self, scene: Scene, theme: Theme, parent=None):
        # PyQt hands the keywords it does not take to the next class in the MRO: SceneView.__init__
        super().__init__(parent, scene=scene, theme=theme)
        configure_pyqtgraph()
        self.setup = read_setup(scene)
        self.data: SurfaceData | None = None
        self.frame: WalkFrame | None = None
        self.error = ""
        self._start: tuple[float, float] | None = None
        self._request = 0
        self._waiting: dict[int, Callable[[], None]] = {}
        self._build()
        self.host = WorkerHost(SurfaceWorker(), "neuralviz-surface")
        self.host.worker.surfaceReady.connect(self._show_surface)
        self.host.frameReady.connect(self._show_frame)
        self.host.failed.connect(self._fail)
        self.set_theme(theme)
        self.host.post(self.host.worker.configure, self.setup, scene.stop)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        """The surface on the left, sized by _fit_plot; the side panel (step, runs, loss curves, slider)."""
        self._build_surface_plot()
        self._build_side()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 8, 4)
        lay.setSpacing(12)
        column = QVBoxLayout()  # the plot, centred in the height it leaves
        column.addStretch(1)
        column.addWidget(self.plot_widget, 1000)  # up to its maximum height; the stretches share the rest
        column.addStretch(1)
        lay.addLayout(column, 3)
        lay.addLayout(self.side, 1)

    def _build_surface_plot(self) -> None:
        self.plot_widget = pg.PlotWidget()
        # it takes what the layout gives, up to the size _fit_plot allows: never a minimum that would push
        # the view beyond the presenter's area
        self.plot_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot_widget.setMinimumSize(120, 100)
        self.plot_widget.installEventFilter(self)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setContentsMargins(0, 10, 10, 0)  # room for the top and right tick labels
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().setAspectLocked(True)  # 1:1, so −∇C is drawn perpendicular to the contours
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.isocurves: list[pg.IsocurveItem] = []
        self.start_marker = pg.ScatterPlotItem(size=18, symbol="s", brush=None)
        self.paths = [pg.PlotDataItem() for _ in self.setup.runs]
        # later runs on top and smaller: heads at the same point show as concentric rings
        self.heads = [pg.ScatterPlotItem(size=20 - 4 * i, symbol="o") for i in range(len(self.setup.runs))]
        for item in (*self.paths, self.start_marker, *self.heads):
            self.plot.addItem(item)
        self.plot_widget.scene().sigMouseClicked.connect(self._clicked)

    def _build_side(self) -> None:
        """Top to bottom: the step count, a row per run, the loss curves, the step-size slider, the hint."""
        self._build_loss_plot()
        self.step_label = LiveLabel()  # changes every frame: repaint it alone
        grid = QGridLayout()
        grid.setColumnStretch(0, 1)
        self.rows = [RunRow(grid, i, RUN_COLOURS[i], r["label"]) for i, r in enumerate(self.setup.runs)]
        for row, run in zip(self.rows, self.setup.runs):  # the panel's width is known before the first frame
            row.show(run["lr"], run["momentum"], float("nan"), False)
        slider_row = self._build_slider()
        self.hint = QLabel("□ start: click the surface to start elsewhere")
        self.hint.setWordWrap(True)
        self.side = side = QVBoxLayout()
        side.setSpacing(4)
        side.addWidget(self.step_label)
        side.addLayout(grid)
        side.addWidget(self.loss_widget, 1)
        side.addLayout(slider_row)
        side.addWidget(self.hint)

    def _build_loss_plot(self) -> None:
        self.loss_widget = pg.PlotWidget()
        self.loss_plot = self.loss_widget.getPlotItem()
        self._log_scale: bool | None = None  # set by the first frame: log once the losses span a decade
        self.loss_plot.hideButtons()
        self.loss_plot.setMenuEnabled(False)
        self.loss_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.showGrid(x=True, y=True, alpha=0.15)
        self.loss_plot.setXRange(0, max(1, self.scene.stop.steps), padding=0.02)
        self.curves = [self.loss_plot.plot() for _ in self.setup.runs]

    def _build_slider(self) -> QHBoxLayout:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(-SLIDER_STEPS, SLIDER_STEPS)
        self.slider.setValue(0)
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider_label = QLabel()
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.slider_label)
        slider_row.addWidget(self.slider, 1)
        return slider_row

    def set_theme(self, theme: Theme) -> None:
        SceneView.set_theme(self, theme)
        labels = self.data.labels if self.data is not None else ("", "")
        style_plot(self.plot, theme, {"bottom": labels[0], "left": labels[1]})
        style_plot(self.loss_plot, theme, {"bottom": "step"})
        self._log_scale = None  # the title is set again with the next frame
        self._style_runs(theme)
        for row in self.rows:
            row.set_theme(theme)
        self.step_label.setFont(font(theme.title_pt * 1.2, bold=True))
        for label in (self.slider_label, self.hint):
            label.setFont(font(theme.font_pt * 1.1))
        self.hint.setStyleSheet(f"color: {theme.muted_text};")
        self._update_slider_label()
        if self.data is not None:
            self._draw_surface()
        if self.frame is not None:
            self._show_frame(self.frame)
        self._fit_plot()

    def _style_runs(self, theme: Theme) -> None:
        """Each run's path (dots joined), its head (a ring) and its loss curve, in the run's colour."""
        w = theme.line_width
        for i, (path, head, curve) in enumerate(zip(self.paths, self.heads, self.curves)):
            colour = RUN_COLOURS[i]
            path.setPen(pg.mkPen(colour, width=w + 1))
            path.setSymbol("o")
            path.setSymbolSize(5 + 2 * w)
            path.setSymbolBrush(pg.mkBrush(colour))
            path.setSymbolPen(pg.mkPen(colour))
            head.setBrush(pg.mkBrush(colour))
            head.setPen(pg.mkPen("#ffffff", width=2))
            curve.setPen(pg.mkPen(colour, width=w + 0.5))
        self.start_marker.setPen(pg.mkPen(theme.text, width=3))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Give the surface the width its height calls for (aspect 1:1 of its ranges), the rest to the side."""
        super().resizeEvent(event)
        self._fit_plot()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.plot_widget and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._fit_plot)  # once the plot has laid out its own items for the new size
        return False

    def _fit_plot(self) -> None:
        """The plot box as large as fits with the ranges' aspect (the view box is locked 1:1): as wide as the
        full height calls for, at most 62% of the view (the layout may give it less: the side panel comes
        first), and as tall as the width it got calls for (the margins are then the page's, not an empty
        stretch of axis). Runs again whenever the plot's own size changes."""
        if self.data is None:
            return
        a, b = self.data.a, self.data.b
        ratio = (a[-1] - a[0]) / (b[-1] - b[0])
        box = self.plot.getViewBox().size()  # the margins around it: axes, titles, borders
        if box.width() > 10 and box.height() > 10:
            mx, my = self.plot_widget.width() - box.width(), self.plot_widget.height() - box.height()
        else:  # not laid out yet: an estimate
            mx, my = self.plot.getAxis("left").width() + 22, self.plot.getAxis("bottom").height() + 22
        width = min(int((self.height() - 8 - my) * ratio + mx), int(self.width() * 0.62))
        height = min(self.height() - 8, int((min(width, self.plot_widget.width()) - mx) / ratio + my))
        self.plot_widget.setMaximumSize(max(200, width), max(150, height))

    # ------------------------------------------------------------------ frames
    @pyqtSlot(object)
    def _show_surface(self, data: SurfaceData) -> None:
        self.data = data
        self._start = data.start
        style_plot(self.plot, self.theme, {"bottom": data.labels[0], "left": data.labels[1]})
        self._draw_surface()
        self._fit_plot()

    def _draw_surface(self) -> None:
        data = self.data
        rgba, fine, levels = surface_image(data, self.theme)
        (a0, a1), (b0, b1) = (data.a[0], data.a[-1]), (data.b[0], data.b[-1])
        ha, hb = (a1 - a0) / (fine.shape[1] - 1), (b1 - b0) / (fine.shape[0] - 1)
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(a0 - ha / 2, b0 - hb / 2, a1 - a0 + ha, b1 - b0 + hb)
        for item in self.isocurves:
            self.plot.removeItem(item)
        transform = QTransform()
        transform.translate(a0, b0)
        transform.scale(ha, hb)
        pen = pg.mkPen(self.theme.positive, width=1)
        self.isocurves = []
        for level in levels:
            iso = pg.IsocurveItem(data=fine, level=float(level), pen=pen)
            iso.setTransform(transform)
            iso.setZValue(1)
            iso.setOpacity(0.45)
            self.plot.addItem(iso)
            self.isocurves.append(iso)
        for item in (*self.paths, self.start_marker, *self.heads):
            item.setZValue(5)
        self.plot.setXRange(a0, a1, padding=0)
        self.plot.setYRange(b0, b1, padding=0)

    @pyqtSlot(object)
    def _show_frame(self, frame: WalkFrame) -> None:
        self.frame = frame
        self.error = ""
        steps = self.scene.stop.steps
        self.step_label.setText(f"step {frame.step} / {steps}")
        self._set_loss_scale(frame.losses)
        for i, (path, losses) in enumerate(zip(frame.paths, frame.losses)):
            self.paths[i].setData(path[:, 0], path[:, 1])
            self.heads[i].setData([path[-1, 0]], [path[-1, 1]])
            self.curves[i].setData(np.arange(len(losses)), np.maximum(losses, 1e-12))
            run = self.setup.runs[i]
            self.rows[i].show(frame.lrs[i], run["momentum"], float(losses[-1]), frame.diverged[i])
        start = frame.paths[0][0]
        self.start_marker.setData([start[0]], [start[1]])
        done = self._waiting.pop(frame.request, None) if frame.request else None
        if done is not None:
            done()

    def _set_loss_scale(self, losses: tuple[np.ndarray, ...]) -> None:
        """A log axis when the losses span more than a decade (a linear one would show only the start), else a
        linear one (a log axis over a narrow range shows a single tick)."""
        values = np.concatenate(losses)
        values = values[np.isfinite(values) & (values > 0)]
        log = bool(values.size and values.max() > 10 * values.min())
        if log == self._log_scale:
            return
        self._log_scale = log
        self.loss_plot.setLogMode(y=log)
        self.loss_plot.setXRange(0, max(1, self.scene.stop.steps), padding=0.02)  # the whole budget, always
        theme = self.theme
        title = "loss (log scale)" if log else "loss"
        self.loss_plot.setTitle(title, size=f"{theme.plot_font_pt:.0f}pt", color=theme.text, justify="left")

    @pyqtSlot(str)
    def _fail(self, message: str) -> None:
        self.error = message
        self.hint.setText(f"Could not draw the surface: {message}")
        waiting, self._waiting = self._waiting, {}
        for done in waiting.values():
            done()

    # ------------------------------------------------------------------ interaction
    def _lr_scale(self) -> float:
        return 2.0 ** (self.slider.value() / 2)

    def _update_slider_label(self) -> None:
        self.slider_label.setText(f"step size ×{self._lr_scale():.2g}")

    def _slider_moved(self, _value: int) -> None:
        self._update_slider_label()
        self._restart()

    def _restart(self) -> None:
        if self._start is not None:
            self.host.post(self.host.worker.restart, self._start, self._lr_scale())

    def _clicked(self, event) -> None:
        if self.data is None or event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        a, b = point.x(), point.y()
        if self.data.a[0] <= a <= self.data.a[-1] and self.data.b[0] <= b <= self.data.b[-1]:
            self._start = (float(a), float(b))
            self._restart()

    # ------------------------------------------------------------------ SceneView
    def toggle_play(self) -> None:
        self.host.toggle_play()

    def is_playing(self) -> bool:
        return self.host.playing

    def pause(self) -> None:
        self.host.pause()

    def reset(self) -> None:
        """Every run back to the scene's start, step 0, paused, the step-size slider at ×1."""
        self.host.pause()
        if self.data is not None:
            self._start = self.data.start
        self.slider.blockSignals(True)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._update_slider_label()
        self._restart()

    def current_step(self) -> int:
        return self.frame.step if self.frame is not None else 0

    def current_loss(self) -> float | None:
        return self.frame.loss if self.frame is not None else None

    def status(self) -> str:
        if self.error:
            return f"error: {self.error}"
        step, loss = self.current_step(), self.current_loss()
        if self.frame is not None and loss is None:
            return f"step {step}: every run diverged (a smaller step: the slider)"
        reason = self.scene.stop.reason(step, loss)
        shown = f"step {step} · loss {loss:.3g}" if loss is not None else f"step {step}"
        return f"{shown} · {reason}" if reason else shown

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """`steps` steps at full speed (bounded by the stopping rule), then done() once they are drawn."""
        if self.error:
            done()
            return
        self._request += 1
        self._waiting[self._request] = done
        self.host.post(self.host.worker.headless, int(steps), self._request)

    def shutdown(self) -> None:
        self.host.shutdown()

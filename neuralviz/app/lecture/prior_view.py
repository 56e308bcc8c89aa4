"""PriorView: the architecture as a prior on functions (lecture topic 2).

For each of two or three architectures, a gallery of output maps of *untrained* networks, one per random
initialisation: before any data is seen, the architecture already decides which functions are likely
(smooth blobs for a wide shallow tanh net, creased facets for a deep ReLU net). Each map is auto-contrasted
(neuralviz.viz.auto_contrast): at initialisation the outputs barely vary, and on a common scale every map
would look flat. R (reset) or the Re-roll button draws the next seeds; nothing trains, so Space does nothing.

scene.options (all optional):

    {"architectures": [{"label": "wide shallow tanh", "network": {network spec},
                        "features": ["x1", "x2"]},           # optional: the spec's inputs, default x1, x2
                       ...],                                 # 1-4 galleries; default: the two below
     "grid": 4,              # n: an n x n gallery, n^2 seeds per draw (2-6)
     "resolution": 64,       # grid points per side of each map (8-256)
     "extent": [-6, 6, -6, 6],  # the plane: x1 min, x1 max, x2 min, x2 max
     "seed": 0}              # draw k uses seeds seed + k·n² ... seed + (k+1)·n² - 1, the same for every gallery

The default galleries (prior_setup.default_architectures): a wide shallow tanh net (2-256-1) and a deep ReLU
net (8 hidden layers of 32).

The parts: prior_setup.py (options -> PriorConfig; the default architectures and their one-line
descriptions), prior_worker.py (the thread that computes a draw's maps, never the GUI thread),
prior_layout.py (plan_galleries: which arrangement gives the largest square tiles), prior_gallery.py (the
gallery widgets that follow the plan); this file is the widget that shows and drives them.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import pyqtSlot
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ..common.render import HeatmapPainter, to_qimage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .fonts import font
from .prior_gallery import GalleryBoard
from .prior_setup import describe_network, read_options
from .prior_worker import PriorFrame, PriorWorker
from .scene_view import SceneView

__all__ = ["PriorView"]


class PriorView(QWidget, SceneView):
    """Galleries of untrained networks' output maps (GalleryBoard); reset() re-rolls the seeds."""

    def __init__(self, scene: Scene, theme: Theme, parent=None):
        # PyQt hands the keywords it does not take to the next class in the MRO: SceneView.__init__
        super().__init__(parent, scene=scene, theme=theme)
        self.config = read_options(scene.options or {})
        self.draw = 0
        self.shown: PriorFrame | None = None
        self.error = ""
        self._serial = 0
        self._waiting: list[Callable[[], None]] = []
        self._painter = HeatmapPainter(theme)
        labels = [(a["label"], describe_network(a["network"])) for a in self.config.architectures]
        self.board = GalleryBoard(labels, self.config.grid**2)
        self.galleries = self.board.galleries
        self._build_layout()
        self.host = WorkerHost(PriorWorker(), "neuralviz-prior")
        self.host.frameReady.connect(self._show)
        self.host.failed.connect(self._fail)
        self.set_theme(theme)
        self._request()

    def _build_layout(self) -> None:
        """The board takes all the height but one line: the hint (kept short, so it stays one line even in
        large fonts at 1024 wide) and the Re-roll button."""
        self.hint = QLabel("each map: one untrained network · orange low, blue high (per-map scale)")
        self.hint.setWordWrap(True)
        self.reroll = QPushButton("Re-roll (R)")
        self.reroll.clicked.connect(self.reset)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.reroll)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(self.board, 1)
        lay.addLayout(bottom)

    # ------------------------------------------------------------------ drawing
    def _request(self) -> None:
        self._serial += 1
        self.host.post(self.host.worker.compute, self.config, self.draw, self._serial)

    @pyqtSlot(object)
    def _show(self, frame: PriorFrame) -> None:
        if frame.serial != self._serial:
            return  # an older draw, overtaken by a re-roll
        self.shown = frame
        self.error = ""
        self._paint_maps()
        waiting, self._waiting = self._waiting, []
        for done in waiting:
            done()

    def _paint_maps(self) -> None:
        if self.shown is None:
            return
        for gallery, maps in zip(self.galleries, self.shown.maps):
            gallery.mosaic.set_images([to_qimage(self._painter.diverging(m)) for m in maps])

    @pyqtSlot(str)
    def _fail(self, message: str) -> None:
        self.error = message
        self.hint.setText(f"Could not draw the maps: {message}")
        waiting, self._waiting = self._waiting, []
        for done in waiting:
            done()

    # ------------------------------------------------------------------ SceneView
    def reset(self) -> None:
        """Re-roll: the next seeds (draw k + 1), for every gallery."""
        self.draw += 1
        self._request()

    def status(self) -> str:
        if self.error:
            return f"error: {self.error}"
        seeds = self.config.seeds(self.draw)
        return f"draw {self.draw + 1} · seeds {seeds[0]}–{seeds[-1]} · R re-rolls"

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Nothing trains: done() once the current draw is on screen."""
        if self.error or (self.shown is not None and self.shown.serial == self._serial):
            done()
        else:
            self._waiting.append(done)

    def set_theme(self, theme: Theme) -> None:
        SceneView.set_theme(self, theme)
        self._painter.set_theme(theme)
        for g in self.galleries:
            g.set_theme(theme)
        self.board.arrange()  # the labels' heights changed with their fonts
        self.hint.setFont(font(theme.font_pt * 1.1))
        self.hint.setStyleSheet(f"color: {theme.muted_text};")
        self.reroll.setFont(font(theme.font_pt * 1.1))
        self._paint_maps()

    def shutdown(self) -> None:
        self.host.shutdown()

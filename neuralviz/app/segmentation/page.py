"""SegmentationPage: the window's "Segmentation" tab (issue 20): a recurrent net as a PDE refining a coarse map.

The rnn-pde preset's two runs, a coarse CNN (pooling, then upsampling: blurred, misplaced boundaries) and the same
CNN with a refinement block that applies one learned update u <- u + dt * f(u, image features) K times with tied
weights, train in lockstep in the page's WorkerHost thread (SegmentationWorker). The board shows, for a test image
picked with the spin box: the image, the coarse map, the refined map after iteration k (slider and animation), one
class's fuzzy score through the iterations, the ground truth, coarse-vs-refined readouts and the update's filters;
dragging on the image paints a class there (draw a scene) and both nets answer for the painted scene.

The page does not follow the studio's network (on_configured does nothing): it brings its own.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QWidget

from ..common.elided_label import ElidedLabel
from ..common.self_training import SelfTrainingPage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .board import SegmentationBoard
from .run import PRESET, SegmentationFrame
from .worker import SegmentationWorker

INTRO = "A coarse CNN, and the same CNN plus one learned update applied K times with tied weights (an RNN)"


class SegmentationPage(SelfTrainingPage, QWidget):
    TITLE = "Segmentation"

    def __init__(self, window):
        super().__init__()
        self._set_up(window, WorkerHost(SegmentationWorker(), "neuralviz-segmentation"))
        self.seed = 0
        self.preset: str | dict = PRESET  # a name or a preset dict with the same two runs (tests train a small one)
        self.board = SegmentationBoard(self.theme)
        self._key_buttons()
        self.intro = ElidedLabel(INTRO)
        self.intro.setProperty("role", "hint")
        self._stack(self._bar(), self.board)
        self._connect()

    def _bar(self) -> QWidget:
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        for b in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(b)
        row.addWidget(self.status)
        row.addSpacing(12)
        row.addWidget(self.intro, 1)
        return bar

    def _connect(self) -> None:
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        self.board.exampleChosen.connect(lambda i: self.host.post(self.host.worker.show_example, int(i)))
        self.board.painted.connect(lambda points, c: self.host.post(self.host.worker.paint, points, int(c)))

    # ------------------------------------------------------------------ frames
    def _on_frame(self, frame: SegmentationFrame) -> None:
        self.frame = frame
        self.board.show_frame(frame)
        self.status.setText(f"step {frame.step:,d} / {frame.budget:,d}")
        if frame.final:
            self._finish_headless()

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.board.set_theme(theme)

    def wants_preset(self, name: str) -> bool:
        """The rnn-pde preset opens here (trained from scratch)."""
        if name != PRESET:
            return False
        self.reset()
        return True

    def deactivate(self) -> None:
        super().deactivate()
        self.board.stop_animation()  # the iteration animation too: nobody sees it

    def reset(self) -> None:
        """Both runs from fresh weights (step 0, paused)."""
        self._configured = True
        self.message.clear()
        self.host.post(self.host.worker.configure, self.preset, self.seed, None)

    def shutdown(self) -> None:
        self.board.stop_animation()
        super().shutdown()

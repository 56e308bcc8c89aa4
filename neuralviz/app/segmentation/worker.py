"""SegmentationWorker: trains a SegmentationRun in a WorkerHost thread (the GUI thread never runs a network).

A FrameWorker: play / pause / step / train_for, frames at most FRAME_RATE a second and only once the GUI has
drawn the previous one. A step trains both runs on one batch; the chunk of steps per call is sized to the time a
step takes, so the event queue (a new image to show, a pause) is looked at every TICK_S or so.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSlot

from ..common.error_text import describe_error
from ..common.run_worker import RunWorker
from .run import PRESET, SegmentationRun

FRAME_RATE = 5.0  # every frame runs both nets on the image shown: a few frames a second are plenty
SPEED = 2  # steps per frame while playing at the default speed


class SegmentationWorker(RunWorker):
    FRAME_RATE = FRAME_RATE
    MAX_CHUNK = 64  # both nets on a batch: a slow step, a short chunk
    CHUNK_SHARE = 1
    DRAWING = "draw the maps"

    def __init__(self):
        super().__init__(speed=SPEED)
        self.run: SegmentationRun | None = None
        self._budget: int | None = None

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, int, object)
    def configure(self, preset: str | dict = PRESET, seed: int = 0, budget: int | None = None) -> None:
        """A fresh race of `preset` (step 0, paused), stopping at `budget` steps (None: the preset's own); on
        an error keep the current run and say why."""
        run = self._fresh_run(lambda: SegmentationRun(preset, seed))
        if run is None:
            return
        if self.run is not None:
            run.show(self.run.example)
        self.run = run
        self._budget = run.budget if budget is None else int(budget)
        self._emit(force=True)

    @pyqtSlot(int)
    def show_example(self, index: int) -> None:
        if self.run is not None:
            self.run.show(int(index))
            self._emit(force=True)

    @pyqtSlot(object, int)
    def paint(self, points, cls: int) -> None:
        """Paint class `cls` along a stroke of (row, col) points over the image shown, then a frame of it."""
        if self.run is None:
            return
        try:
            self.run.paint(points, int(cls))
        except Exception as err:  # noqa: BLE001 - a bad stroke is said in the banner, never a dead thread
            self.failed.emit(f"Could not paint: {describe_error(err, with_trace=False)}")
            return
        self._emit(force=True)

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        self.tick_steps(self._chunk, self._budget)

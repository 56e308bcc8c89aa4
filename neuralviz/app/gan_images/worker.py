"""GanImagesWorker: trains a GanImagesRun in a WorkerHost thread and hands the GUI GanImagesFrames (copies).

A FrameWorker: play / pause / step / train_for / speed, frames at most FRAME_RATE a second and only once the GUI
has drawn the previous one. Picking tiles is a command here too: the strip and the sum are decoded by the
generator, and the GUI thread never runs a network.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSlot

from ..common.run_worker import RunWorker
from .run import GanImagesRun

FRAME_RATE = 15.0  # a frame decodes 74 latents and two D passes: cheap, but the grid needs no more


class GanImagesWorker(RunWorker):
    FRAME_RATE = FRAME_RATE
    DRAWING = "draw the samples"

    def __init__(self, speed: int = 0):
        super().__init__(speed=speed)
        self.run: GanImagesRun | None = None
        self.stop_at: int | None = None  # a lecture scene's step budget: play stops there (None: never)

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, int)
    def configure(self, preset, seed: int) -> None:
        """A fresh run of `preset` (a name or a dict), step 0, paused; on an error keep the current one and
        say why. The picks carry over (the same tiles, decoded by the new generator)."""
        run = self._fresh_run(lambda: GanImagesRun(preset, seed))
        if run is None:
            return
        if self.run is not None:
            run.picks, run.walk = self.run.picks, self.run.walk
        self.run = run
        self._emit(force=True)

    @pyqtSlot()
    def new_codes(self) -> None:
        if self.run is not None:
            self.run.new_codes()
            self._emit(force=True)

    @pyqtSlot(str)
    def set_walk(self, mode: str) -> None:
        if self.run is not None:
            self.run.set_walk(mode)
            self._emit(force=True)

    @pyqtSlot(object)
    def set_stop(self, steps: int | None) -> None:
        self.stop_at = None if steps is None else int(steps)

    @pyqtSlot(int, int)
    def pick(self, tile: int, slot: int) -> None:
        if self.run is None:
            return
        try:
            self.run.pick(tile, slot)
        except ValueError as err:
            self.failed.emit(str(err))
            return
        self._emit(force=True)

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        # the page trains past the preset's budget too (a GAN has no end; the page says where it is)
        self.tick_steps(self._chunk, self.stop_at)

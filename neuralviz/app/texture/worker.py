"""TextureWorker: steps a TextureRun in a WorkerHost thread (the GUI thread never runs the synthesis).

A FrameWorker: play / pause / step / train_for; a step is one L-BFGS iteration (~20 ms at 64×64 here), so one
step per frame at most 30 frames a second lets the room watch the texture form over a few seconds.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSlot

from ..common.error_text import describe_error
from ..common.frame_worker import FrameWorker
from .run import TextureOptions, TextureRun

FRAME_RATE = 30.0
SPEED = 1  # L-BFGS steps per frame while playing


class TextureWorker(FrameWorker):
    def __init__(self):
        super().__init__(speed=SPEED)
        self.run: TextureRun | None = None

    def _model(self):
        return self.run

    @pyqtSlot(object)
    def configure(self, options: TextureOptions) -> None:
        """A fresh synthesis from noise (step 0, paused); on an error keep the current one and say why."""
        self._halt()
        try:
            run = TextureRun(options)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self.run = run
        self._emit(force=True)

    @pyqtSlot()
    def _tick(self) -> None:
        self.tick_steps(1, self.run.budget if self.run is not None else None)

    def _train(self, steps: int) -> bool:
        try:
            self.run.advance(steps)
        except Exception as err:  # noqa: BLE001 - a non-finite loss, say
            self._halt()
            self.failed.emit(f"Synthesis stopped: {describe_error(err, with_trace=False)}")
            self._emit(force=True, final=True)
            return False
        return True

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.run is None or not self._frame_due(force, FRAME_RATE):
            return
        self._send(self.run.frame(self._playing, final))

"""RunWorker: the FrameWorker of a page that trains one run object in its own thread (the auto-encoder, the GAN
on images, the segmentation and the sequence pages).

The run is anything with `step`, advance(steps) and frame(playing, final). Training goes in chunks sized to what
a step costs, so the event queue (a pause, a click) is looked at every TICK_S or so whatever the net; an error
while training or drawing pauses the run and says why in the page's banner, it never kills the thread. A
subclass sets `self.run` (configure, with _fresh_run) and writes its own `_tick` (which budget stops it); the
class attributes say how it differs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .error_text import describe_error
from .frame_worker import TICK_S, FrameWorker


class RunWorker(FrameWorker):
    FRAME_RATE = 30.0  # frames a second at most: a subclass lowers it where a frame costs more
    MAX_CHUNK = 256  # steps per call at most
    CHUNK_SHARE = 4  # a chunk aims at TICK_S / CHUNK_SHARE: several chunks, several looks at the budget, a tick
    DRAWING = "draw the frame"  # what failed when a frame could not be made: "Could not draw the frame: ..."

    def __init__(self, speed: int):
        super().__init__(speed=speed)
        self.run = None
        self._chunk = 1

    def _model(self):
        return self.run

    def _fresh_run(self, make: Callable[[], object]):
        """Pause, then make() a new run; on an error say why in the banner and return None (the current run
        stays: a bad preset must reach the page, not kill the thread)."""
        self._halt()
        try:
            return make()
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return None

    def _train(self, steps: int) -> bool:
        start = time.perf_counter()
        try:
            self.run.advance(steps)
        except Exception as err:  # noqa: BLE001 - diverged, or an optimizer failed
            self._halt()
            self.failed.emit(f"Training stopped: {describe_error(err, with_trace=False)}")
            self._emit(force=True, final=True)
            return False
        per_step = (time.perf_counter() - start) / max(1, steps)
        self._chunk = max(1, min(self.MAX_CHUNK, int(TICK_S / self.CHUNK_SHARE / max(per_step, 1e-7))))
        return True

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.run is None or not self._frame_due(force, self.FRAME_RATE):
            return
        now = time.perf_counter()
        try:
            frame = self.run.frame(self._playing, final)
        except Exception as err:  # noqa: BLE001
            self._halt()
            self.failed.emit(f"Could not {self.DRAWING}: {describe_error(err, with_trace=False)}")
            return
        self._send(frame, now)

"""RobustnessWorker: the one run the robustness page (or a lecture view) shows, trained in a WorkerHost thread.

A FrameWorker over whichever run (compression_run.py, noise_run.py, adversarial_run.py, structure_run.py) the
page's panel needs: `configure(panel, seed, steps)` builds it, `command(name, value)` hands it a panel's setting
(a slider, a button), and the play loop trains it in chunks up to the run's `limit` (the end of its current
phase), then pauses with a final frame. Every failure reaches the page's banner through `failed`, never the
thread's death.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import pyqtSlot

from ..common.frame_worker import TICK_S, FrameWorker
from .adversarial_run import AdversarialRun
from .compression_run import CompressionRun
from .noise_run import NoiseRun
from .structure_run import StructureRun

RUNS = {"compression": CompressionRun, "noise": NoiseRun, "adversarial": AdversarialRun, "structure": StructureRun}
PANELS = tuple(RUNS)
FRAME_RATE = 15.0  # maps and mosaics: a projector shows 15 frames a second as smoothly as 30
SPEED = 5  # steps per tick until a run says its own (run.speed)


class RobustnessWorker(FrameWorker):
    def __init__(self):
        super().__init__(speed=SPEED)
        self.run = None
        self._chunk = 1

    def _model(self):
        return self.run

    @pyqtSlot(str, int, object)
    def configure(self, panel: str, seed: int = 0, steps: int | None = None) -> None:
        """A fresh run for `panel` (step 0, paused)."""
        self._halt()
        if panel not in RUNS:
            self.failed.emit(f"robustness: unknown panel {panel!r} (known: {', '.join(PANELS)})")
            return
        try:
            self.run = RUNS[panel](seed=seed, steps=steps)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(f"{type(err).__name__}: {err}")
            return
        self._speed = self.run.speed  # each run's budget unfolds in 5-8 s of play
        self._emit(force=True)

    @pyqtSlot(str, object)
    def command(self, name: str, value) -> None:
        """A panel's setting; a run that asks for it (a retraining) starts playing."""
        if self.run is None:
            return
        try:
            play = self.run.set(name, value)
        except Exception as err:  # noqa: BLE001
            self.failed.emit(f"{type(err).__name__}: {err}")
            self._emit(force=True)
            return
        if play:
            self.play()
        else:  # a setting that starts the run again keeps it playing if it was
            self._emit(force=True)

    @pyqtSlot()
    def _tick(self) -> None:
        self.tick_steps(self._chunk, self.run.limit if self.run is not None else None)

    def _train(self, steps: int) -> bool:
        start = time.perf_counter()
        try:
            self.run.advance(max(0, steps))
        except Exception as err:  # noqa: BLE001
            self._halt()
            self.failed.emit(f"{type(err).__name__}: {err}")
            self._emit(force=True)
            return False
        per_step = (time.perf_counter() - start) / max(1, steps)
        self._chunk = max(1, min(256, int(TICK_S / 2 / max(per_step, 1e-6))))
        return True

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.run is None or not self._frame_due(force, FRAME_RATE):
            return
        now = time.perf_counter()
        self._send(self.run.frame(self._playing, final), now)

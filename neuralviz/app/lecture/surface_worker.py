"""SurfaceWorker: the loss-surface scene's thread (a FrameWorker run by a WorkerHost), and what it sends.

It computes the surface once per configuration (SurfaceData: one forward pass per grid point, too slow
for the GUI thread at 61 x 61), then steps the Walk `speed` lockstep steps per frame and sends WalkFrames,
immutable copies of every run's path and losses. It pauses itself when the scene's stopping rule holds or
every run has diverged; the loss the rule reads is Walk.loss(), the largest loss of the runs still going.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import pyqtSignal, pyqtSlot

from ...lecture.scene import StopRule
from ...viz.surface import ParameterPlane, loss_surface
from ..common.error_text import describe_error
from ..common.frame_worker import FRAME_RATE, FrameWorker
from .surface_setup import SurfaceSetup, Walk, build_plane

__all__ = ["SurfaceWorker", "SurfaceData", "WalkFrame"]


@dataclass(frozen=True)
class SurfaceData:
    a: np.ndarray
    b: np.ndarray
    z: np.ndarray  # z[i, j] = loss at (a[j], b[i])
    labels: tuple[str, str]
    start: tuple[float, float]


@dataclass(frozen=True)
class WalkFrame:
    step: int
    paths: tuple[np.ndarray, ...]  # per run: (n + 1, 2)
    losses: tuple[np.ndarray, ...]  # per run: (n + 1,)
    diverged: tuple[bool, ...]
    lrs: tuple[float, ...]
    loss: float | None
    playing: bool
    request: int  # a headless request this frame answers (0: none)


class SurfaceWorker(FrameWorker):
    surfaceReady = pyqtSignal(object)  # SurfaceData, once per configuration

    def __init__(self):
        super().__init__(speed=1)
        self.walk: Walk | None = None
        self.setup: SurfaceSetup | None = None
        self.plane: ParameterPlane | None = None
        self.stop_rule = StopRule(steps=0)

    def _model(self) -> Walk | None:
        return self.walk

    # ------------------------------------------------------------------ commands
    def configure(self, setup: SurfaceSetup, stop: StopRule) -> None:
        try:
            plane, start, labels, ranges = build_plane(setup)
            a, b, z = loss_surface(plane, ranges[0], ranges[1], setup.resolution)
        except Exception as err:  # noqa: BLE001 - every failure must reach the view, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self.setup, self.plane, self.stop_rule = setup, plane, stop
        self._speed = setup.speed
        self.surfaceReady.emit(SurfaceData(a, b, z, labels, start))
        self.restart(start, 1.0)

    def restart(self, start, lr_scale: float) -> None:
        """Every run afresh from `start`, steps scaled by lr_scale (step count back to 0)."""
        if self.plane is None:
            return
        try:
            self.walk = Walk(self.plane, self.setup.runs, start, lr_scale)
        except Exception as err:  # noqa: BLE001
            self._halt()
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self._target = None
        self._emit(force=True)
        self._schedule()

    def headless(self, steps: int, request: int) -> None:
        """`steps` steps at once (bounded by the stopping rule), then a frame answering `request`."""
        self._halt()
        if self.walk is not None:
            target = self.walk.step + max(0, int(steps))
            while self.walk.step < target and self._train(1):
                pass
        self._emit(force=True, request=request)

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        if not self._playing or self.walk is None:
            self._schedule()
            return
        deadline = time.perf_counter() + 0.025
        steps = 0
        while (self._flat_out or steps < self._speed) and time.perf_counter() < deadline:
            if not self._train(1):
                self._emit(force=True)
                return
            steps += 1
        self._emit()

    def _train(self, steps: int) -> bool:
        """`steps` lockstep steps; False (and paused) once the stopping rule holds or every run diverged."""
        for _ in range(steps):
            if self._must_stop():
                return False
            self.walk.advance()
        return not self._must_stop()  # checked after the last step too: the budget pauses it at once

    def _must_stop(self) -> bool:
        walk = self.walk
        if self.stop_rule.reached(walk.step, walk.loss()) or walk.loss() is None:
            self._halt()
            return True
        return False

    def _emit(self, force: bool = False, final: bool = False, request: int = 0) -> None:
        walk = self.walk
        if walk is None:
            return
        now = time.perf_counter()
        if not self._frame_due(force or bool(request), FRAME_RATE):
            return
        frame = WalkFrame(
            step=walk.step,
            paths=tuple(np.array(d.path) for d in walk.descents),
            losses=tuple(np.array(d.losses) for d in walk.descents),
            diverged=tuple(d.diverged for d in walk.descents),
            lrs=tuple(d.lr for d in walk.descents),
            loss=walk.loss(),
            playing=self._playing,
            request=request,
        )
        self._send(frame, now)

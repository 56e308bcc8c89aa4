"""RaceWorker: trains a RaceTrack in a WorkerHost thread and hands frames to the GUI thread.

A FrameWorker (common/frame_worker.py): play / pause / step / train_for, frames at most FRAME_RATE a
second and only once the GUI has drawn the previous one. Each frame is a copy (frames.py): the networks never
leave this thread.

Between ticks the race trains in chunks sized to the time one step takes, never past the next curve point, the
stop rule's step budget or a train_for target. Curve points (RaceTrack.measure) come every `gap` steps: as often
as they cost under EVAL_SHARE of the training time, and at least MIN_POINTS times over the stop rule's budget
(so a headless screenshot draws curves, not ramps) unless measuring would then take longer than training. The stop
rule is checked after every chunk: the budget exactly, `loss_below` at every curve point.

The race's networks are lecture-sized: their matrices are multiplied fastest by one BLAS thread (with several,
OpenBLAS spends more time waking threads than computing, and on a loaded two-core machine that is many times
slower), so the worker holds BLAS to one thread while it trains and measures (threadpoolctl, where installed).
"""

from __future__ import annotations

import contextlib
import math
import time

from PyQt6.QtCore import pyqtSignal, pyqtSlot

from ...lecture.scene import StopRule
from ..common.error_text import describe_error
from ..common.frame_worker import FrameWorker
from .track import RaceTrack

TICK_S = 0.03  # longest stretch of training between two looks at the event queue
EVAL_SHARE = 0.25  # curve points while they cost under this share of the training time ...
MIN_POINTS = 150  # ... but at least this many over the stop rule's budget ...
EVAL_MAX_SHARE = 1.0  # ... unless they would then cost more than this share of the training time
FRAME_RATE = 20.0  # frames a second (every frame draws each run's picture: 2-4 forward passes over a grid) ...
TARGET_FRAME_RATE = 2.0  # ... and while a train_for target runs flat out (a headless run needs its last frame only;
# drawing holds the GIL the training needs)
RACE_SECONDS = 25.0  # at the default speed a race fills its budget in about this long (where the machine keeps up)
TICKS_PER_SECOND = 33.0  # FrameWorker's timer while playing at a set speed


class OneBlasThread:
    """`with x.limit():` holds BLAS to one thread (a no-op without threadpoolctl or with an odd BLAS build)."""

    def __init__(self):
        try:
            from threadpoolctl import ThreadpoolController

            self._controller = ThreadpoolController()
        except Exception:  # noqa: BLE001 - not installed, or a BLAS it cannot drive: run with the defaults
            self._controller = None

    def limit(self):
        if self._controller is None:
            return contextlib.nullcontext()
        return self._controller.limit(limits=1, user_api="blas")


def default_speed(budget: int) -> int:
    """Steps per tick that take the race through `budget` steps in about RACE_SECONDS of play."""
    return max(1, math.ceil(budget / (RACE_SECONDS * TICKS_PER_SECOND)))


class RaceWorker(FrameWorker):
    # frameReady (RaceFrame), failed (str) and playingChanged (bool) come from HostedWorker
    configured = pyqtSignal(object)  # the RaceLayout of the race now in force
    finished = pyqtSignal(str)  # play ended by itself: the stop rule's reason, "" for a train_for target, or
    # what made training stop

    def __init__(self):
        super().__init__(speed=1)
        self.track: RaceTrack | None = None
        self._next_eval = 0
        self._step_cost = 0.0  # seconds per lockstep step (all runs), smoothed
        self._eval_cost = 0.0
        self._chunk = 1
        self._blas = OneBlasThread()

    def _model(self):
        return self.track

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, int, object, object)
    def configure(self, preset: dict, seed: int, stop: StopRule | None, options: dict | None) -> None:
        """A new race (fresh weights, step 0, paused); on an error keep the current one and say why."""
        self._halt()
        try:
            self._serial += 1
            track = RaceTrack(preset, seed, stop, options, serial=self._serial)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self.track = track
        self._chunk = 1
        self._step_cost = self._eval_cost = 0.0
        self._plan_eval()
        self._speed = default_speed(track.stop.steps)
        self.configured.emit(track.layout)
        self._emit(force=True)

    @pyqtSlot()
    def play(self) -> None:
        if self.track is not None and self.track.stop_reason():
            self.finished.emit(self.track.stop_reason())  # nothing left to play: say so again
            self._emit(force=True)
            return
        super().play()

    @pyqtSlot()
    def pause(self) -> None:
        self._halt()
        self._measure()
        self._emit(force=True)

    @pyqtSlot()
    def step_once(self) -> None:
        if self.track is None or self.track.stop_reason():
            return
        self._set_playing(False)
        if self._train(1):
            self._measure()
        self._emit(force=True)

    @pyqtSlot(int)
    def train_for(self, steps: int) -> None:
        """Train `steps` more steps flat out (fewer if the stop rule comes first), then a final frame."""
        if self.track is None:
            return
        if self.track.stop_reason() or steps <= 0:
            self._finish("")
            return
        super().train_for(steps)

    # ------------------------------------------------------------------ the loop
    @pyqtSlot(object)
    def run_job(self, job: tuple) -> None:
        with self._blas.limit():
            super().run_job(job)

    @pyqtSlot()
    def _tick(self) -> None:
        with self._blas.limit():
            self._play()

    def _play(self) -> None:
        track = self.track
        if not self._playing or track is None:
            self._schedule()
            return
        deadline = time.perf_counter() + TICK_S
        done = 0
        while self._flat_out or done < self._speed:
            k = self._chunk_size(self._speed - done)
            if k > 0 and not self._train(k):
                return
            done += k
            if track.step >= self._next_eval:
                self._measure()
            reason = track.stop_reason()
            if reason or (self._target is not None and track.step >= self._target):
                self._finish(reason)
                return
            if time.perf_counter() >= deadline:
                break
        self._emit()

    def _chunk_size(self, left_this_tick: int) -> int:
        track = self.track
        limits = [self._chunk, self._next_eval - track.step, track.stop.steps - track.step]
        if not self._flat_out:
            limits.append(left_this_tick)
        if self._target is not None:
            limits.append(self._target - track.step)
        return max(0, min(limits))

    def _train(self, steps: int) -> bool:
        start = time.perf_counter()
        try:
            self.track.advance(steps)
        except Exception as err:  # noqa: BLE001 - a run diverged, or an optimizer failed
            self._halt()
            reason = f"Training stopped: {describe_error(err, with_trace=False)}"
            self.failed.emit(reason)
            self._measure()
            self._emit(force=True, final=True)
            self.finished.emit(reason)
            return False
        per_step = (time.perf_counter() - start) / steps
        self._step_cost = per_step if self._step_cost == 0 else 0.8 * self._step_cost + 0.2 * per_step
        # chunks of about a quarter tick: the fused paths like long runs, the event queue short ones
        self._chunk = max(1, min(4096, int(TICK_S / 4 / max(self._step_cost, 1e-7))))
        return True

    def _measure(self) -> None:
        track = self.track
        if track is None or track.measured_at == track.step:
            return
        start = time.perf_counter()
        try:
            track.measure()
        except Exception as err:  # noqa: BLE001 - a measurement must not kill the thread
            self.failed.emit(f"Could not measure the runs: {describe_error(err, with_trace=False)}")
            track.measured_at = track.step
        self._eval_cost = time.perf_counter() - start
        self._plan_eval()

    def _plan_eval(self) -> None:
        """The step of the next curve point."""
        track = self.track
        most = max(1, track.stop.steps // MIN_POINTS)
        if self._step_cost > 0:
            wanted = math.ceil(self._eval_cost / (EVAL_SHARE * self._step_cost))
            least = math.ceil(self._eval_cost / (EVAL_MAX_SHARE * self._step_cost))
        else:
            wanted = least = 1
        self._next_eval = track.step + max(1, least, min(most, wanted))

    def _finish(self, reason: str) -> None:
        """Play ended by itself (stop rule or train_for target): measure here, pause, send the final frame."""
        self._halt()
        self._measure()
        self._emit(force=True, final=True)
        self.finished.emit(reason)

    # ------------------------------------------------------------------ frames
    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.track is None:
            return
        now = time.perf_counter()
        if not self._frame_due(force, FRAME_RATE if self._target is None else TARGET_FRAME_RATE):
            return
        try:
            self._frame_serial += 1
            frame = self.track.frame(self._playing, final=final, serial=self._frame_serial)
        except Exception as err:  # noqa: BLE001
            self._halt()
            self.failed.emit(f"Could not draw the race: {describe_error(err, with_trace=False)}")
            return
        self._send(frame, now)

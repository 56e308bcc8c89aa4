"""TrainingWorker: trains a TrainingRun in its own QThread and hands frames to the GUI.

The thread is a WorkerHost's (common/worker_host.py); the timer and play/pause/speed loop are
FrameWorker's (common/frame_worker.py); each tick trains for at
most TICK_S seconds, in chunks sized from the measured step rate, and a Snapshot is emitted whenever one
is due. Frames are throttled to MAX_FRAME_RATE per second (about 60 at maximum speed; "N steps per frame"
ticks about 30 times a second, a frame each) and never queue up: a new one is emitted only after the GUI
reports the previous one shown (frame_shown), so a slow GUI gets fewer frames, not late ones.

While the GUI draws a frame, training naps (1 ms at a time): drawing gets the CPU and the GIL first, which
is what keeps the frame rate up on a small shared machine while training still runs far faster than the
views can show (XOR: well over 100,000 steps/s).

Expensive parts of a frame (evaluating the curves, the output map) are refreshed only while they cost
under a fifth of the elapsed time, so a big network keeps training at full speed and its views update
less often.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import pyqtSignal, pyqtSlot

from ...trainer import TrainingDiverged
from ..common.error_text import describe_error
from ..common.frame_worker import GUI_TIMEOUT_S, FrameWorker
from ..settings import StudioSettings
from .training_run import TrainingRun

MAX_FRAME_RATE = 66.0  # never more than this (a frame costs the GUI thread about 5 ms: 60 a second fit)
TICK_S = 0.02  # longest stretch of training between two looks at the event queue
CHUNK_S = 0.004  # a chunk of steps aims at this long (the fused path runs it without the GIL)
EVAL_SHARE = 0.1  # between frames, curve points are added while they cost under this share of the time
NAP_S = 0.001  # the worker naps in steps this short while the GUI draws a frame
# train_for (headless screenshots, scripts, scenes): the curves get a point at least every span/DENSE_POINTS
# steps (every step for short spans), so a picture of 300 steps shows the curve's shape, not a straight
# ramp between the two or three points a time-based rule would take; evaluating may cost up to
# DENSE_EVAL_S seconds or as long as the training itself, whichever is more
DENSE_POINTS = 500
DENSE_EVAL_S = 0.5


class TrainingWorker(FrameWorker):
    # frameReady (a Snapshot), failed (a problem while training, e.g. divergence: training paused) and
    # playingChanged come from HostedWorker
    configured = pyqtSignal(object)  # RunInfo of the run now in force
    rejected = pyqtSignal(str, object)  # message, the StudioSettings still in force (or None)

    def __init__(self):
        super().__init__(speed=10)
        self._run: TrainingRun | None = None
        self._last_full = 0.0
        self._full_cost = 0.0
        self._eval_cost = 0.0
        self._rate = 1000.0  # steps per second, measured (sizes the chunks)
        self._sample_every = 0  # train_for: steps between curve points (0: no train_for running)
        self._next_sample = 0

    def _model(self) -> TrainingRun | None:
        return self._run

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, object)
    def configure(self, settings: StudioSettings, state: dict | None = None) -> None:
        """Build a new run; on any error keep the current one and say why."""
        self._serial += 1
        try:
            run = TrainingRun(settings, serial=self._serial, state=state)
        except Exception as err:  # noqa: BLE001 - every failure must reach the window, not kill the thread
            self.rejected.emit(describe_error(err), self._run.settings.copy() if self._run else None)
            return
        self._run = run
        self._target = None
        self._rate_window.clear()
        self.configured.emit(run.info)
        self._emit(force=True)
        self._schedule()

    @pyqtSlot()
    def reset(self) -> None:
        """Same settings, fresh weights and counters."""
        if self._run is not None:
            self._set_playing(False)
            self.configure(self._run.settings)

    @pyqtSlot(object)
    def set_live(self, changes: dict) -> None:
        if self._run is None:
            return
        try:
            self._run.set_live(**changes)
        except Exception as err:  # noqa: BLE001
            self.rejected.emit(describe_error(err), self._run.settings.copy())
            return
        self.configured.emit(self._run.info)
        self._emit(force=not self._playing)

    @pyqtSlot(object)
    def edit_points(self, edit: list) -> None:
        if self._run is None:
            return
        try:
            self._run.edit_points(edit)
        except Exception as err:  # noqa: BLE001
            self.rejected.emit(describe_error(err), self._run.settings.copy())
            return
        self.configured.emit(self._run.info)
        self._emit(force=True)

    @pyqtSlot(int)
    def train_for(self, steps: int) -> None:
        """As FrameWorker.train_for, with a curve point every few steps (dense sampling: see DENSE_POINTS)."""
        run = self._run
        if run is not None and steps > 0:
            if self._eval_cost <= 0:
                # unmeasured, the cost reads as free and every step would get a curve point: on a CNN that is
                # an evaluation of the whole data per step (scene 8: 300 of them, 35 of its 40 s)
                self._timed_evaluate()
            every = -(-int(steps) // DENSE_POINTS)
            if self._eval_cost > 0:  # as many points as the evaluation budget buys
                budget = max(DENSE_EVAL_S, steps / max(self._rate, 1.0))
                every = max(every, int(-(-steps * self._eval_cost // budget)))
            self._sample_every = max(1, every)
            self._next_sample = run.step + self._sample_every
        super().train_for(steps)

    def _halt(self) -> None:
        super()._halt()
        self._sample_every = 0

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        run = self._run
        if not self._playing or run is None:
            self._schedule()
            return
        # "N steps per frame" trains N steps each frame tick, unless they take longer than a tick (a big
        # network): then it trains what fits, so pause and every other command still answer at once
        limit = None if self._flat_out else self._speed
        done = self._train_for_a_while(time.perf_counter() + TICK_S, limit)
        if not done:
            return
        if self._target is not None and run.step >= self._target:
            self._halt()
            self._emit(force=True, final=True)
            return
        self._emit()

    def _train_for_a_while(self, deadline: float, limit: int | None = None) -> bool:
        """Train in chunks until the deadline, `limit` steps, or the train_for target."""
        first = self._run.step
        while time.perf_counter() < deadline:
            if self._gui_busy and time.perf_counter() - self._last_emit < GUI_TIMEOUT_S:
                # the GUI is drawing a frame: it gets the CPU (and the GIL) first. On a two-core
                # machine shared with other work this is what keeps the frame rate; training loses the
                # drawing time (a third or so) and still runs far above what the views can show
                time.sleep(NAP_S)
                continue
            n = max(1, int(self._rate * CHUNK_S))
            # a chunk ends about when the next frame is due, not up to CHUNK_S after: frames keep their pace
            until_frame = self._last_emit + 1.0 / MAX_FRAME_RATE - time.perf_counter()
            if until_frame > 0:
                n = min(n, max(1, int(self._rate * until_frame)))
            if self._target is not None:
                n = min(n, self._target - self._run.step)
            if limit is not None:
                n = min(n, first + limit - self._run.step)
            if self._sample_every:
                n = min(n, max(1, self._next_sample - self._run.step))
            if n <= 0:
                break
            start = time.perf_counter()
            if not self._train(n):
                return False
            seconds = time.perf_counter() - start
            if seconds > 0:
                self._rate = 0.7 * self._rate + 0.3 * (n / seconds)
            if self._sample_every and self._run.step >= self._next_sample:
                self._timed_evaluate()
                self._next_sample = self._run.step + self._sample_every
            elif self._eval_cost <= EVAL_SHARE * seconds:
                # cheap enough: a curve point per chunk, so fast runs still draw smooth curves
                self._timed_evaluate()
            self._emit()  # a frame as soon as one is due, not only at the end of the tick
        return True

    def _timed_evaluate(self) -> None:
        start = time.perf_counter()
        self._run.evaluate()
        self._eval_cost = time.perf_counter() - start

    def _train(self, steps: int) -> bool:
        """Train; on divergence or any other error pause, show the message and keep the state."""
        info = self._run.info
        try:
            self._run.train(steps)
        except TrainingDiverged as err:
            self._stop_with(
                f"Training diverged at step {self._run.step + 1:,d}: {err}, then press Reset "
                "(the weights are no longer useful)."
            )
            return False
        except Exception as err:  # noqa: BLE001
            self._stop_with(f"Training stopped: {describe_error(err)}")
            return False
        finally:
            if self._run.info is not info:  # the trainer switched paths (after a change of optimizer)
                self.configured.emit(self._run.info)
        return True

    def _stop_with(self, message: str) -> None:
        self._halt()
        self.failed.emit(message)
        self._emit(force=True)

    # ------------------------------------------------------------------ frames
    def _emit(self, force: bool = False, final: bool = False) -> None:
        run = self._run
        if run is None:
            return
        now = time.perf_counter()
        # the GUI gets a fifth of its time free (input, timers) however long frames take to draw
        gui_rested = now - self._gui_free_at >= 0.25 * self._gui_cost or now - self._last_emit >= GUI_TIMEOUT_S
        # frames may come up to MAX_FRAME_RATE: the wait for the GUI's confirmation and the chunk boundaries
        # only ever delay them, so this keeps the rate at about 60 at maximum speed
        if not (force or (gui_rested and self._frame_due(False, MAX_FRAME_RATE))):
            return
        full = force or (now - self._last_full) >= 4.0 * self._full_cost
        sps = self._steps_per_second()
        try:
            start = time.perf_counter()
            self._frame_serial += 1
            snap = run.snapshot(
                playing=self._playing,
                steps_per_second=sps,
                evaluate=full,
                maps=full,
                final=final,
                serial=self._frame_serial,
            )
            if full:
                self._full_cost = time.perf_counter() - start
                self._last_full = now
        except Exception as err:  # noqa: BLE001 - e.g. a NaN weight breaking a view computation
            self._halt()
            self.failed.emit(f"Could not draw the network: {describe_error(err)}")
            return
        self._send(snap, now)

"""LockstepWorker: drives a Lockstep in its own QThread and hands frames to the page.

Like the studio's worker, a FrameWorker (timer, play/pause/speed: common/frame_worker.py) run by a
WorkerHost (its thread: common/worker_host.py);
frames go out at most FRAME_RATE times a second and only once the page has drawn the previous
one, so a slow GUI gets fewer frames, never late ones. Curve points are added after every step
for small networks (so "steps to reach the target" is exact), else while they cost under EVAL_SHARE of
the training time. The Fisher inspector is refreshed at most every FISHER_PERIOD_S (and then only while
it costs under FISHER_SHARE of the time), and at once on a pause, a single step or a change of setting.

Small matrices (the lecture's nets) are solved fastest by one BLAS thread; with several, OpenBLAS spends
more time waking threads than computing, and on a loaded two-core machine that is 20x slower.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PyQt6.QtCore import pyqtSignal, pyqtSlot

from ..common.error_text import describe_error
from ..common.frame_worker import FRAME_RATE, FrameWorker
from ..settings import StudioSettings
from .config import RaceConfig
from .frames import RaceFrame
from .lockstep import Lockstep
from .problem import Problem, build_problem

TICK_S = 0.025  # longest stretch of training between two looks at the event queue
EVAL_SHARE = 0.15  # curve points while they cost under this share of the training time ...
EVAL_EVERY_STEP = 2_000_000  # ... or after every step when parameters x evaluated examples is at most this
FISHER_PERIOD_S = 0.2  # the inspector is refreshed at most this often while playing ...
FISHER_SHARE = 0.2  # ... and only while it costs under this share of the time
SINGLE_BLAS_THREAD_UP_TO = 20_000  # parameters


@dataclass(frozen=True)
class ProblemSource:
    """What a Problem is built from (equal sources share one Problem)."""

    settings: StudioSettings
    transform: dict | None = None
    batch_size: int | None = None  # None: the studio's; 0: full batch


def _blas_limiter():
    """A callable limiting BLAS to one thread while it is held (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    try:
        return ThreadpoolController()
    except Exception:  # noqa: BLE001 - an odd BLAS build: run with its defaults
        return None


class LockstepWorker(FrameWorker):
    # frameReady (a RaceFrame), failed (a configuration or a step went wrong: the previous race stays) and
    # playingChanged come from HostedWorker
    fisherReady = pyqtSignal(object)  # FisherFrame
    configured = pyqtSignal(object)  # RaceInfo of the race now in force
    targetReached = pyqtSignal()  # a train_for request is done (its final frames are out)

    def __init__(self):
        super().__init__(speed=1)
        self.race: Lockstep | None = None
        self._source: ProblemSource | None = None
        self._problem: Problem | None = None
        self._inspect_index: int | None = None
        self._last: RaceFrame | None = None
        self._last_fisher = 0.0
        self._fisher_cost = 0.0
        self._eval_cost = 0.0
        self._trained_since_eval = 0.0
        self._blas = _blas_limiter()

    def _model(self) -> Lockstep | None:
        return self.race

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, object)
    def configure(self, source: ProblemSource, config: RaceConfig) -> None:
        """A new race (fresh weights, counters at zero); on any error keep the current one and say why."""
        try:
            if source != self._source or self._problem is None:
                problem = build_problem(source.settings, source.transform, source.batch_size)
            else:
                problem = self._problem
            self._serial += 1
            with self._one_thread(problem.parameters):
                race = Lockstep(problem, config, serial=self._serial)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self._source, self._problem, self.race = source, problem, race
        self._target = None
        self._last = None
        if self._inspect_index is None or self._inspect_index >= len(race.runs):
            self._inspect_index = race.natural_index()
        self.configured.emit(race.info)
        self._emit(force=True)
        self._emit_fisher()
        self._schedule()

    @pyqtSlot()
    def pause(self) -> None:
        super().pause()
        self._emit_fisher()

    @pyqtSlot()
    def step_once(self) -> None:
        super().step_once()
        self._emit_fisher()

    @pyqtSlot(float)
    def set_damping(self, damping: float) -> None:
        self._live(lambda race: race.set_damping(damping))

    @pyqtSlot(int, float)
    def set_lr(self, index: int, lr: float) -> None:
        self._live(lambda race: race.set_lr(index, lr))

    @pyqtSlot(object)
    def set_shared(self, changes: dict) -> None:
        self._live(lambda race: race.set_shared(**changes))

    @pyqtSlot(int)
    def inspect(self, index: int) -> None:
        self._inspect_index = int(index)
        self._emit_fisher()

    def _live(self, change) -> None:
        if self.race is None:
            return
        try:
            change(self.race)
        except Exception as err:  # noqa: BLE001
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self._emit(force=not self._playing)
        self._emit_fisher()

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        race = self.race
        if not self._playing or race is None:
            self._schedule()
            return
        fast = self._flat_out
        deadline = time.perf_counter() + TICK_S
        steps = 0
        with self._one_thread(race.problem.parameters):
            # one lockstep step at a time (each may add a curve point): "N steps per frame" trains N,
            # unless they take longer than a tick (a big network), so every command still answers at once
            while (fast or steps < self._speed) and (self._target is None or race.step < self._target):
                if not self._train(1):
                    return
                steps += 1
                if time.perf_counter() >= deadline:
                    break
            if self._target is not None and race.step >= self._target:
                self._finish_target()
                return
            if race.all_stopped:
                self._halt()
                self.failed.emit("Every run has stopped (see the panel titles); press Reset to start again.")
                self._emit(force=True)
                return
            self._emit()
            if time.perf_counter() - self._last_fisher >= max(FISHER_PERIOD_S, self._fisher_cost / FISHER_SHARE):
                self._emit_fisher()

    def _finish_target(self) -> None:
        self._halt()
        self._emit(force=True, final=True)
        self._emit_fisher()
        self.targetReached.emit()

    def _train(self, steps: int) -> bool:
        race = self.race
        start = time.perf_counter()
        try:
            race.train(steps)
        except Exception as err:  # noqa: BLE001 - e.g. an assertion in a run's optimizer
            self._halt()
            self.failed.emit(f"Training stopped: {describe_error(err, with_trace=False)}")
            return False
        self._trained_since_eval += time.perf_counter() - start
        p = race.problem
        if p.parameters * len(p.x_eval) <= EVAL_EVERY_STEP or self._trained_since_eval * EVAL_SHARE >= self._eval_cost:
            start = time.perf_counter()
            race.evaluate()
            self._eval_cost = time.perf_counter() - start
            self._trained_since_eval = 0.0
        return True

    # ------------------------------------------------------------------ frames
    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.race is None:
            return
        now = time.perf_counter()
        if not self._frame_due(force, FRAME_RATE):
            return
        try:
            with self._one_thread(self.race.problem.parameters):
                self._frame_serial += 1
                frame = self.race.frame(
                    playing=self._playing,
                    steps_per_second=self._steps_per_second(),
                    final=final,
                    serial=self._frame_serial,
                    previous=self._last,
                )
        except Exception as err:  # noqa: BLE001
            self._halt()
            self.failed.emit(f"Could not draw the race: {describe_error(err, with_trace=False)}")
            return
        self._last = frame
        self._send(frame, now)

    def _emit_fisher(self) -> None:
        if self.race is None or self._inspect_index is None:
            return
        start = time.perf_counter()
        try:
            with self._one_thread(self.race.problem.parameters):
                fisher = self.race.inspect(self._inspect_index)
        except Exception as err:  # noqa: BLE001 - the inspector failing must not stop the race
            self.failed.emit(
                f"The Fisher inspector could not measure this network: {describe_error(err, with_trace=False)}"
            )
            self._last_fisher = time.perf_counter()
            self._fisher_cost = 10.0
            return
        self._last_fisher = time.perf_counter()
        self._fisher_cost = self._last_fisher - start
        self.fisherReady.emit(fisher)

    def _one_thread(self, parameters: int):
        if self._blas is None or parameters > SINGLE_BLAS_THREAD_UP_TO:
            return _Nothing()
        return self._blas.limit(limits=1, user_api="blas")


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

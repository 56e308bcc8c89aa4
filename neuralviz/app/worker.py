"""TrainingWorker: trains a TrainingRun in its own QThread and hands frames to the GUI.

The worker lives in a QThread with its own event loop: commands from the GUI arrive as queued signals
between training chunks, so no lock guards the network. A timer drives training (every 1/30 s for "N steps
per frame", back to back at maximum speed); each tick trains for at most TICK_S seconds, in chunks sized
from the measured step rate, and a Snapshot is emitted whenever one is due. Frames are throttled to FRAME_RATE per second and never queue up: a new one is emitted only
after the GUI reports the previous one shown (frame_shown), so a slow GUI gets fewer frames, not late ones.

While the GUI draws a frame, training naps (1 ms at a time): drawing gets the CPU and the GIL first, which
is what keeps about 30 frames/s on a small shared machine while training still runs far faster than the
views can show (XOR: well over 100,000 steps/s).

Expensive parts of a frame (evaluating the curves, the output map) are refreshed only while they cost
under a fifth of the elapsed time, so a big network keeps training at full speed and its views update
less often.
"""
from __future__ import annotations

import time
import traceback
from typing import Optional

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal, pyqtSlot

from ..trainer import TrainingDiverged
from .settings import StudioSettings
from .training_run import TrainingRun

FRAME_RATE = 30.0      # frames per second the views aim at
MAX_FRAME_RATE = 36.0  # never more than this
TICK_S = 0.02          # longest stretch of training between two looks at the event queue
CHUNK_S = 0.004        # a chunk of steps aims at this long (the fused path runs it without the GIL)
EVAL_SHARE = 0.1       # between frames, curve points are added while they cost under this share of the time
MAX_SPEED = 0          # speed value meaning "as fast as possible"
GUI_TIMEOUT_S = 0.5    # emit anyway if the GUI has not confirmed a frame for this long
NAP_S = 0.001          # the worker naps in steps this short while the GUI draws a frame


class TrainingWorker(QObject):
    snapshotReady = pyqtSignal(object)      # Snapshot
    configured = pyqtSignal(object)         # RunInfo of the run now in force
    rejected = pyqtSignal(str, object)      # message, the StudioSettings still in force (or None)
    failed = pyqtSignal(str)                # a problem while training (divergence); training paused
    playingChanged = pyqtSignal(bool)

    def __init__(self):
        super().__init__()
        self._run: Optional[TrainingRun] = None
        self._timer: Optional[QTimer] = None
        self._playing = False
        self._speed = 10
        self._target: Optional[int] = None
        self._serial = 0
        self._frame_serial = 0
        self._gui_busy = False
        self._last_emit = 0.0
        self._last_full = 0.0
        self._full_cost = 0.0
        self._eval_cost = 0.0
        self._gui_cost = 0.0
        self._gui_free_at = 0.0
        self._rate = 1000.0                 # steps per second, measured (sizes the chunks)
        self._rate_window: list[tuple[float, int]] = []

    # ------------------------------------------------------------------ thread set-up
    @pyqtSlot()
    def start(self) -> None:
        """Runs in the worker thread (connected to QThread.started): the timer must live there."""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        # stop the timer inside its own thread when the thread ends (Qt forbids stopping it from another)
        self.thread().finished.connect(self._timer.stop, Qt.ConnectionType.DirectConnection)

    @pyqtSlot()
    def stop(self) -> None:
        self._playing = False
        if self._timer is not None:
            self._timer.stop()

    def frame_shown(self, gui_seconds: float = 0.0) -> None:
        """Called by the GUI thread once a frame is drawn, with what drawing it cost (plain attribute
        writes: safe under the GIL)."""
        self._gui_cost = gui_seconds
        self._gui_free_at = time.perf_counter()
        self._gui_busy = False

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, object)
    def configure(self, settings: StudioSettings, state: Optional[dict] = None) -> None:
        """Build a new run; on any error keep the current one and say why."""
        self._serial += 1
        try:
            run = TrainingRun(settings, serial=self._serial, state=state)
        except Exception as err:  # noqa: BLE001 - every failure must reach the window, not kill the thread
            self.rejected.emit(_describe(err), self._run.settings.copy() if self._run else None)
            return
        self._run = run
        self._target = None
        self._rate_window.clear()
        self.configured.emit(run.info)
        self._emit(force=True)
        self._schedule()

    @pyqtSlot()
    def play(self) -> None:
        self._set_playing(True)

    @pyqtSlot()
    def pause(self) -> None:
        self._target = None
        self._set_playing(False)
        self._emit(force=True)

    @pyqtSlot()
    def step_once(self) -> None:
        """One minibatch step (while paused), then a full frame."""
        if self._run is None:
            return
        self._set_playing(False)
        self._train(1)
        self._emit(force=True)

    @pyqtSlot()
    def reset(self) -> None:
        """Same settings, fresh weights and counters."""
        if self._run is not None:
            self._set_playing(False)
            self.configure(self._run.settings)

    @pyqtSlot(int)
    def set_speed(self, steps_per_frame: int) -> None:
        self._speed = max(0, int(steps_per_frame))
        self._schedule()

    @pyqtSlot(object)
    def set_live(self, changes: dict) -> None:
        if self._run is None:
            return
        try:
            self._run.set_live(**changes)
        except Exception as err:  # noqa: BLE001
            self.rejected.emit(_describe(err), self._run.settings.copy())
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
            self.rejected.emit(_describe(err), self._run.settings.copy())
            return
        self.configured.emit(self._run.info)
        self._emit(force=True)

    @pyqtSlot(int)
    def train_for(self, steps: int) -> None:
        """Train `steps` more steps at full speed, then pause and emit a frame marked final."""
        if self._run is None:
            return
        self._target = self._run.step + max(0, int(steps))
        self._set_playing(True)

    # ------------------------------------------------------------------ the loop
    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self._rate_window.clear()
            self.playingChanged.emit(playing)
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is None:
            return
        if not (self._playing and self._run is not None):
            self._timer.stop()
            return
        fast = self._speed == MAX_SPEED or self._target is not None
        # a little under 1/30 s: a tick whose frame is held back (GUI still drawing) costs no frame rate
        self._timer.setInterval(0 if fast else int(1000 / (1.1 * FRAME_RATE)))
        if not self._timer.isActive():
            self._timer.start()

    @pyqtSlot()
    def _tick(self) -> None:
        run = self._run
        if not self._playing or run is None:
            self._schedule()
            return
        # "N steps per frame" trains N steps each frame tick, unless they take longer than a tick (a big
        # network): then it trains what fits, so pause and every other command still answer at once
        limit = self._speed if (self._target is None and self._speed != MAX_SPEED) else None
        done = self._train_for_a_while(time.perf_counter() + TICK_S, limit)
        if not done:
            return
        if self._target is not None and run.step >= self._target:
            self._target = None
            self._set_playing(False)
            self._emit(force=True, final=True)
            return
        self._emit()

    def _train_for_a_while(self, deadline: float, limit: Optional[int] = None) -> bool:
        """Train in chunks until the deadline, `limit` steps, or the train_for target."""
        first = self._run.step
        while time.perf_counter() < deadline:
            if self._gui_busy and time.perf_counter() - self._last_emit < GUI_TIMEOUT_S:
                # the GUI is drawing a frame: it gets the CPU (and the GIL) first. On a two-core
                # machine shared with other work this is what keeps 30 frames/s; training loses the
                # drawing time (a third or so) and still runs far above what the views can show
                time.sleep(NAP_S)
                continue
            n = max(1, int(self._rate * CHUNK_S))
            if self._target is not None:
                n = min(n, self._target - self._run.step)
            if limit is not None:
                n = min(n, first + limit - self._run.step)
            if n <= 0:
                break
            start = time.perf_counter()
            if not self._train(n):
                return False
            seconds = time.perf_counter() - start
            if seconds > 0:
                self._rate = 0.7 * self._rate + 0.3 * (n / seconds)
            if self._eval_cost <= EVAL_SHARE * seconds:
                # cheap enough: a curve point per chunk, so fast runs still draw smooth curves
                self._timed_evaluate()
            self._emit()      # a frame as soon as one is due, not only at the end of the tick
        return True

    def _timed_evaluate(self) -> None:
        start = time.perf_counter()
        self._run.evaluate()
        self._eval_cost = time.perf_counter() - start

    def _train(self, steps: int) -> bool:
        """Train; on divergence or any other error pause, show the message and keep the state."""
        try:
            self._run.train(steps)
        except TrainingDiverged as err:
            self._stop_with(f"Training diverged at step {self._run.step + 1:,d}: {err}, then press Reset "
                            "(the weights are no longer useful).")
            return False
        except Exception as err:  # noqa: BLE001
            self._stop_with(f"Training stopped: {_describe(err)}")
            return False
        return True

    def _stop_with(self, message: str) -> None:
        self._target = None
        self._set_playing(False)
        self.failed.emit(message)
        self._emit(force=True)

    # ------------------------------------------------------------------ frames
    def _steps_per_second(self) -> float:
        now, step = time.perf_counter(), self._run.step
        window = self._rate_window
        window.append((now, step))
        while len(window) > 2 and now - window[0][0] > 1.0:
            window.pop(0)
        if len(window) < 2 or not self._playing:
            return 0.0
        (t0, s0), (t1, s1) = window[0], window[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def _emit(self, force: bool = False, final: bool = False) -> None:
        run = self._run
        if run is None:
            return
        now = time.perf_counter()
        since = now - self._last_emit
        # the GUI gets a fifth of its time free (input, timers) however long frames take to draw
        gui_rested = now - self._gui_free_at >= 0.25 * self._gui_cost
        # frames may come a little faster than FRAME_RATE (up to MAX_FRAME_RATE): the wait for the GUI's
        # confirmation and the chunk boundaries only ever delay them, so this keeps the rate at about 30
        if not force and (since < 1.0 / MAX_FRAME_RATE or (not gui_rested and since < GUI_TIMEOUT_S)
                          or (self._gui_busy and since < GUI_TIMEOUT_S)):
            return
        full = force or (now - self._last_full) >= 4.0 * self._full_cost
        sps = self._steps_per_second()
        try:
            start = time.perf_counter()
            self._frame_serial += 1
            snap = run.snapshot(playing=self._playing, steps_per_second=sps, evaluate=full, maps=full,
                                final=final, serial=self._frame_serial)
            if full:
                self._full_cost = time.perf_counter() - start
                self._last_full = now
        except Exception as err:  # noqa: BLE001 - e.g. a NaN weight breaking a view computation
            self._target = None
            self._set_playing(False)
            self.failed.emit(f"Could not draw the network: {_describe(err)}")
            return
        self._last_emit = now
        self._gui_busy = True
        self.snapshotReady.emit(snap)


def _describe(err: BaseException) -> str:
    """The message a user sees: the error's own text, with its type when that adds something."""
    text = str(err) or repr(err)
    if isinstance(err, (ValueError, TypeError, FileNotFoundError, FloatingPointError, KeyError)):
        return text
    return f"{type(err).__name__}: {text}\n{traceback.format_exc(limit=3)}"

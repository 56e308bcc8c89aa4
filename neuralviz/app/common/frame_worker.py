"""The worker side of every page's thread: HostedWorker (a QObject living in a WorkerHost's thread) and
FrameWorker (HostedWorker plus the play/pause/speed loop and frame throttling).

A worker lives in a QThread with its own event loop: commands from the GUI arrive as queued jobs
(WorkerHost.post) between chunks of work, so no lock guards the model. A timer lives in that thread and
drives the work. For a FrameWorker it ticks every ~1/30 s for "N steps per frame", back to back at maximum
speed or while a train_for target is pending; subclasses say what the model is (`_model()`, anything with a
`step` count) and implement `_tick` (train for a while, emit frames), `_train` and `_emit`.

Frames never queue up: `_frame_due` holds a frame back while the GUI is still drawing the previous one
(it reports back through `frame_shown`), so a slow GUI gets fewer frames, never late ones.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal, pyqtSlot

FRAME_RATE = 30.0  # frames per second the views aim at
MAX_SPEED = 0  # speed value meaning "as fast as possible"
GUI_TIMEOUT_S = 0.5  # emit anyway if the GUI has not confirmed a frame for this long
TICK_S = 0.03  # longest stretch of training between two looks at the event queue (tick_steps)


class HostedWorker(QObject):
    """A worker object run by a WorkerHost: its timer, the queued jobs, and the GUI's frame handshake."""

    frameReady = pyqtSignal(object)  # what the page draws (Snapshot, RaceFrame, ...)
    failed = pyqtSignal(str)  # a problem the page shows in its banner
    playingChanged = pyqtSignal(bool)

    def __init__(self):
        super().__init__()
        self._timer: QTimer | None = None
        self._gui_busy = False
        self._gui_cost = 0.0  # seconds the GUI took to draw the last frame
        self._gui_free_at = 0.0
        self._last_emit = 0.0

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
        if self._timer is not None:
            self._timer.stop()

    @pyqtSlot(object)
    def run_job(self, job: tuple) -> None:
        """A command posted by the host (WorkerHost.post): runs here, in the worker thread, in order."""
        fn, args = job
        fn(*args)

    def _tick(self) -> None:
        """Background work between jobs, when the worker has started its timer (none by default)."""

    # ------------------------------------------------------------------ the GUI's side of a frame
    def frame_shown(self, gui_seconds: float = 0.0) -> None:
        """Called by the GUI thread once a frame is drawn, with what drawing it cost (plain attribute
        writes: safe under the GIL)."""
        self._gui_cost = gui_seconds
        self._gui_free_at = time.perf_counter()
        self._gui_busy = False

    def _frame_due(self, force: bool, rate: float) -> bool:
        """Whether a frame may go out now: at most `rate` a second, and not while the GUI still draws the
        previous one (unless it has not answered for GUI_TIMEOUT_S)."""
        since = time.perf_counter() - self._last_emit
        return force or (since >= 1.0 / rate and not (self._gui_busy and since < GUI_TIMEOUT_S))

    def _send(self, frame, due_at: float | None = None) -> None:
        """Emit a frame; due_at: when it was found due (before computing it), which the rate counts from."""
        self._last_emit = time.perf_counter() if due_at is None else due_at
        self._gui_busy = True
        self.frameReady.emit(frame)


class FrameWorker(HostedWorker):
    """HostedWorker with the play/pause/speed loop shared by the studio's and the comparison's workers."""

    frame_rate = FRAME_RATE  # frames a second tick_steps aims at (its _emit should ask _frame_due for the same)

    def __init__(self, speed: int):
        super().__init__()
        self._playing = False
        self._speed = speed
        self._target: int | None = None  # train_for: the step to stop at
        self._serial = 0
        self._frame_serial = 0
        self._rate_window: list[tuple[float, int]] = []

    def _model(self):
        """What is being trained (has a `step` count), or None before the first configure."""
        raise NotImplementedError

    def _train(self, steps: int) -> bool:
        """Train `steps` steps; False (having said why and paused) when training had to stop."""
        raise NotImplementedError

    def _emit(self, force: bool = False, final: bool = False) -> None:
        raise NotImplementedError

    @pyqtSlot()
    def stop(self) -> None:
        self._playing = False
        super().stop()

    # ------------------------------------------------------------------ commands
    @pyqtSlot()
    def play(self) -> None:
        self._set_playing(True)

    @pyqtSlot()
    def pause(self) -> None:
        self._halt()
        self._emit(force=True)

    @pyqtSlot()
    def step_once(self) -> None:
        """One step (while paused), then a full frame."""
        if self._model() is None:
            return
        self._set_playing(False)
        self._train(1)
        self._emit(force=True)

    @pyqtSlot(int)
    def set_speed(self, steps_per_frame: int) -> None:
        self._speed = max(0, int(steps_per_frame))
        self._schedule()

    @pyqtSlot(int)
    def train_for(self, steps: int) -> None:
        """Train `steps` more steps at full speed, then pause and emit a frame marked final."""
        model = self._model()
        if model is None:
            return
        self._target = model.step + max(0, int(steps))
        self._set_playing(True)

    # ------------------------------------------------------------------ the loop
    def tick_steps(self, chunk: int, budget: int | None = None) -> None:
        """A `_tick` for models that train in steps: `speed` steps per frame (or back to back for at most TICK_S,
        then a look at the event queue), in calls of at most `chunk` steps, stopping at a train_for target or
        at `budget` with a final frame. The scene views and the sequence page share it."""
        model = self._model()
        if not self._playing or model is None:
            self._schedule()
            return
        deadline = time.perf_counter() + TICK_S
        done = 0
        while self._flat_out or done < self._speed:
            k = chunk if self._flat_out else min(chunk, self._speed - done)
            for limit in (self._target, budget):
                if limit is not None:
                    k = min(k, limit - model.step)
            if k > 0 and not self._train(k):
                return
            done += k
            if any(limit is not None and model.step >= limit for limit in (self._target, budget)):
                self._halt()
                self._emit(force=True, final=True)
                return
            if time.perf_counter() >= deadline or self._frame_due(False, self.frame_rate):
                break  # the event queue's turn, or a frame is due: it goes out now, not a chunk later
        self._emit()

    @property
    def _flat_out(self) -> bool:
        """Training back to back: maximum speed, or a train_for target pending."""
        return self._speed == MAX_SPEED or self._target is not None

    def _halt(self) -> None:
        """Stop playing and drop any train_for target (a pause, an error, a target reached)."""
        self._target = None
        self._set_playing(False)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self._rate_window.clear()
            self.playingChanged.emit(playing)
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is None:
            return
        if not (self._playing and self._model() is not None):
            self._timer.stop()
            return
        # a little under 1/30 s: a tick whose frame is held back (GUI still drawing) costs no frame rate
        self._timer.setInterval(0 if self._flat_out else int(1000 / (1.1 * FRAME_RATE)))
        if not self._timer.isActive():
            self._timer.start()

    def _steps_per_second(self) -> float:
        """Steps per second over about the last second of play (0 while paused)."""
        now, step = time.perf_counter(), self._model().step
        window = self._rate_window
        window.append((now, step))
        while len(window) > 2 and now - window[0][0] > 1.0:
            window.pop(0)
        if len(window) < 2 or not self._playing:
            return 0.0
        (t0, s0), (t1, s1) = window[0], window[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

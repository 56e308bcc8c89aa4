"""FrameWorker: the play/pause/speed loop the studio's and the comparison page's workers share.

A worker lives in a QThread with its own event loop: commands from the GUI arrive as queued signals
between training chunks, so no lock guards the model. A timer lives in that thread and drives training:
every ~1/30 s for "N steps per frame", back to back at maximum speed or while a train_for target is
pending. Subclasses say what the model is (`_model()`, anything with a `step` count) and implement
`_tick` (train for a while, emit frames) and `_emit`.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal, pyqtSlot

FRAME_RATE = 30.0  # frames per second the views aim at
MAX_SPEED = 0  # speed value meaning "as fast as possible"


class FrameWorker(QObject):
    playingChanged = pyqtSignal(bool)

    def __init__(self, speed: int):
        super().__init__()
        self._timer: QTimer | None = None
        self._playing = False
        self._speed = speed
        self._target: int | None = None  # train_for: the step to stop at
        self._serial = 0
        self._frame_serial = 0
        self._gui_busy = False
        self._last_emit = 0.0
        self._rate_window: list[tuple[float, int]] = []

    def _model(self):
        """What is being trained (has a `step` count), or None before the first configure."""
        raise NotImplementedError

    def _tick(self) -> None:
        raise NotImplementedError

    def _emit(self, force: bool = False, final: bool = False) -> None:
        raise NotImplementedError

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

    # ------------------------------------------------------------------ commands
    @pyqtSlot()
    def play(self) -> None:
        self._set_playing(True)

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
    @property
    def _flat_out(self) -> bool:
        """Training back to back: maximum speed, or a train_for target pending."""
        return self._speed == MAX_SPEED or self._target is not None

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

"""TrainingController: the GUI thread's handle on the training worker.

It owns the QThread and the TrainingWorker living in it, turns method calls into queued signals (the
worker runs them between training chunks) and relays what the worker reports. The views connect to its
signals only; nothing in the GUI thread ever touches the network.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, QThread, QTimer, pyqtSignal

from .settings import StudioSettings
from .snapshot import RunInfo, Snapshot
from .worker import TrainingWorker


class TrainingController(QObject):
    # relayed from the worker
    snapshotReady = pyqtSignal(object)
    configured = pyqtSignal(object)
    rejected = pyqtSignal(str, object)
    failed = pyqtSignal(str)
    playingChanged = pyqtSignal(bool)

    # to the worker (queued: it lives in another thread)
    _configure = pyqtSignal(object, object)
    _play = pyqtSignal()
    _pause = pyqtSignal()
    _step = pyqtSignal()
    _reset = pyqtSignal()
    _speed = pyqtSignal(int)
    _live = pyqtSignal(object)
    _points = pyqtSignal(object)
    _train_for = pyqtSignal(int)
    _stop = pyqtSignal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.latest: Snapshot | None = None
        self.info: RunInfo | None = None
        self.playing = False
        self.frames = 0
        self._thread = QThread()
        self._thread.setObjectName("neuralviz-training")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self._thread)
        self._thread.started.connect(self.worker.start)
        for mine, theirs in (
            (self._configure, self.worker.configure),
            (self._play, self.worker.play),
            (self._pause, self.worker.pause),
            (self._step, self.worker.step_once),
            (self._reset, self.worker.reset),
            (self._speed, self.worker.set_speed),
            (self._live, self.worker.set_live),
            (self._points, self.worker.edit_points),
            (self._train_for, self.worker.train_for),
            (self._stop, self.worker.stop),
        ):
            mine.connect(theirs)
        self.worker.snapshotReady.connect(self._on_snapshot)
        self.worker.configured.connect(self._on_configured)
        self.worker.rejected.connect(self.rejected)
        self.worker.failed.connect(self.failed)
        self.worker.playingChanged.connect(self._on_playing)
        self._thread.start()

    # ------------------------------------------------------------------ commands
    def configure(self, settings: StudioSettings, state: dict | None = None) -> None:
        self._configure.emit(settings.copy(), state)

    def play(self) -> None:
        self._play.emit()

    def pause(self) -> None:
        self._pause.emit()

    def step(self) -> None:
        self._step.emit()

    def reset(self) -> None:
        self._reset.emit()

    def set_speed(self, steps_per_frame: int) -> None:
        self._speed.emit(int(steps_per_frame))

    def set_live(self, **changes) -> None:
        self._live.emit(dict(changes))

    def edit_points(self, edit: list) -> None:
        self._points.emit(list(edit))

    def train_for(self, steps: int) -> None:
        self._train_for.emit(int(steps))

    def shutdown(self) -> None:
        """Stop training and the thread (waits for the current chunk to finish)."""
        if self._thread.isRunning():
            self._stop.emit()
            self._thread.quit()
            self._thread.wait(10_000)

    # ------------------------------------------------------------------ relays
    def _on_snapshot(self, snap: Snapshot) -> None:
        self.latest = snap
        self.frames += 1
        start = time.perf_counter()
        try:
            self.snapshotReady.emit(snap)  # the views take it now (direct connections) ...
        finally:
            # ... and Qt paints them before it runs this zero-delay call, so the worker learns what a
            # whole frame cost the GUI thread
            QTimer.singleShot(0, lambda: self.worker.frame_shown(time.perf_counter() - start))

    def _on_configured(self, info: RunInfo) -> None:
        self.info = info
        self.configured.emit(info)

    def _on_playing(self, playing: bool) -> None:
        self.playing = playing
        self.playingChanged.emit(playing)

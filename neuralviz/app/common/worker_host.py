"""WorkerHost: the one way a page runs work off the GUI thread (DESIGN.md §5: the GUI thread never runs a
training step or a network).

It owns a QThread and one HostedWorker living in it (frame_worker.py). The page calls the host; the host
turns each call into a queued job the worker runs between its chunks of work, in order:

    host = WorkerHost(TrainingWorker(), "neuralviz-training")
    host.post(host.worker.configure, settings, None)   # any worker method, with its arguments
    host.play(); host.set_speed(10); host.train_for(3000)   # the play loop of a FrameWorker
    host.frameReady.connect(page.draw)                  # frames, drawn in the GUI thread
    host.shutdown()                                     # at the window's close (or the app's quit)

Frames are relayed with the handshake that throttles them: the page's slots draw a frame, Qt paints it,
and only then does the worker learn (frame_shown, with what it cost) that it may send the next one. The
worker's other signals (results, configurations) are connected by the page directly: Qt queues them into
the GUI thread because the page lives there.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from PyQt6.QtCore import QObject, QThread, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication

from .frame_worker import HostedWorker

STOP_WAIT_MS = 10_000  # shutdown waits this long for the current chunk of work to finish


class WorkerHost(QObject):
    frameReady = pyqtSignal(object)
    failed = pyqtSignal(str)
    playingChanged = pyqtSignal(bool)
    _job = pyqtSignal(object)  # (callable, args), queued into the worker's thread
    _live: weakref.WeakSet = weakref.WeakSet()  # every host not yet garbage-collected (see live())

    @classmethod
    def live(cls) -> list[WorkerHost]:
        """The hosts that exist now: whoever builds pages or views that may fail half-way can stop the
        threads they started (Qt aborts the process when a running QThread is garbage-collected)."""
        return list(cls._live)

    def __init__(self, worker: HostedWorker, name: str, parent: QObject | None = None):
        super().__init__(parent)
        WorkerHost._live.add(self)
        self.worker = worker
        self.playing = False
        self.frames = 0  # frames relayed (the benchmarks count these)
        self.latest = None  # the last frame relayed
        self._thread = QThread()
        self._thread.setObjectName(name)
        worker.moveToThread(self._thread)
        self._thread.started.connect(worker.start)
        self._job.connect(worker.run_job)
        worker.frameReady.connect(self._on_frame)
        worker.failed.connect(self.failed)
        worker.playingChanged.connect(self._on_playing)
        self._app = QApplication.instance()
        if self._app is not None:  # the thread must end before the application does, window closed or not
            self._app.aboutToQuit.connect(self.shutdown)
        self._thread.start()

    # ------------------------------------------------------------------ commands
    def post(self, fn: Callable, *args) -> None:
        """Run fn(*args) in the worker's thread, after the jobs posted before it (fn: a worker method)."""
        self._job.emit((fn, args))

    def play(self) -> None:
        self.post(self.worker.play)

    def pause(self) -> None:
        self.post(self.worker.pause)

    def toggle_play(self) -> None:
        (self.pause if self.playing else self.play)()

    def step(self) -> None:
        """One step, while paused (a step while playing would be lost among the others)."""
        if not self.playing:
            self.post(self.worker.step_once)

    def set_speed(self, steps_per_frame: int) -> None:
        self.post(self.worker.set_speed, int(steps_per_frame))

    def train_for(self, steps: int) -> None:
        self.post(self.worker.train_for, int(steps))

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def shutdown(self) -> None:
        """Stop the worker and its thread (waits for the current chunk of work to finish); idempotent."""
        if self._app is not None:
            try:
                self._app.aboutToQuit.disconnect(self.shutdown)
            except (TypeError, RuntimeError):
                pass
            self._app = None
        if self._thread.isRunning():
            self.post(self.worker.stop)
            self._thread.quit()
            self._thread.wait(STOP_WAIT_MS)

    # ------------------------------------------------------------------ relays
    def _on_frame(self, frame) -> None:
        self.latest = frame
        self.frames += 1
        start = time.perf_counter()
        try:
            self.frameReady.emit(frame)  # the page draws it now (direct connections) ...
        finally:
            # ... and Qt paints the views before it runs this zero-delay call (a lambda: it runs in this
            # thread), so the worker learns what a whole frame cost the GUI thread
            QTimer.singleShot(0, lambda: self.worker.frame_shown(time.perf_counter() - start))

    def _on_playing(self, playing: bool) -> None:
        self.playing = playing
        self.playingChanged.emit(playing)

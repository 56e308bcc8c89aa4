"""ProbeController: the page's handle on its ProbeWorker thread (the GUI side of it).

Requests are handed over as "the newest request" (one attribute write, safe under the GIL) plus a queued
wake-up, so however fast the GUI asks, the worker only ever computes the latest one.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, QThread, pyqtSignal

from ..snapshot import RunInfo
from .probe_worker import ProbeRequest, ProbeWorker


class ProbeController(QObject):
    ready = pyqtSignal(object)
    probed = pyqtSignal(object)
    swept = pyqtSignal(object)
    failed = pyqtSignal(str)

    _configure = pyqtSignal(object)
    _wake = pyqtSignal()
    _stop = pyqtSignal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("neuralviz-feature-maps")
        self.worker = ProbeWorker()
        self.worker.moveToThread(self._thread)
        self._thread.started.connect(self.worker.start)
        self._configure.connect(self.worker.configure)
        self._wake.connect(self.worker.wake)
        self._stop.connect(self.worker.stop)
        for theirs, mine in (
            (self.worker.ready, self.ready),
            (self.worker.probed, self.probed),
            (self.worker.swept, self.swept),
            (self.worker.failed, self.failed),
        ):
            theirs.connect(mine)
        self._thread.start()

    def configure(self, info: RunInfo) -> None:
        self._configure.emit(info)

    def request(self, req: ProbeRequest) -> None:
        self.worker.pending = req
        self._wake.emit()

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def shutdown(self) -> None:
        if self._thread.isRunning():
            self._stop.emit()
            self._thread.quit()
            self._thread.wait(10_000)

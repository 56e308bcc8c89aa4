"""SceneRecorder: records the scene's view (its frame_widget(), not the screen) at a fixed rate and writes
the file in a background thread, so the GUI never stalls on the encoder.

    rec = SceneRecorder(lambda: presenter.view.frame_widget())
    rec.start("demo.gif")      # RecordingError at once if Pillow / ffmpeg is missing
    ...
    rec.stop()                 # saved(path) or failed(message) follows
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from ...lecture.recording import DEFAULT_FPS, Recorder
from .frame_grab import grab_frame

SAVE_POLL_MS = 100


class SceneRecorder(QObject):
    saved = pyqtSignal(str)
    failed = pyqtSignal(str)
    changed = pyqtSignal(bool)  # recording or not

    def __init__(self, widget: Callable[[], object], parent: QObject | None = None):
        super().__init__(parent)
        self._widget = widget
        self.recorder: Recorder | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.capture)
        self._saving: threading.Thread | None = None
        self._outcome: tuple[bool, str] | None = None

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    @property
    def saving(self) -> bool:
        return self._saving is not None

    def start(self, path, fps: float = DEFAULT_FPS) -> None:
        """Begin recording to `path` (.gif or .mp4); RecordingError when its tool is missing."""
        if self.recording or self.saving:
            raise RuntimeError("a recording is already under way")
        self.recorder = Recorder(path, fps)
        self.capture()
        self._timer.start(max(1, int(round(1000 / fps))))
        self.changed.emit(True)

    def capture(self) -> None:
        if self.recorder is None:
            return
        widget = self._widget()
        if widget is not None and widget.width() > 0 and widget.height() > 0:
            self.recorder.add(grab_frame(widget))

    def stop(self) -> None:
        """Stop and write the file in a thread; saved/failed is emitted (in this thread) when it is done."""
        if self.recorder is None:
            return
        self._timer.stop()
        recorder, self.recorder = self.recorder, None
        self.changed.emit(False)
        self._saving = threading.Thread(target=self._save, args=(recorder,), name="neuralviz-record", daemon=True)
        self._saving.start()
        QTimer.singleShot(SAVE_POLL_MS, self._poll)

    def _save(self, recorder: Recorder) -> None:
        try:
            self._outcome = (True, str(recorder.save()))
        except Exception as err:  # noqa: BLE001 - reported through `failed`
            self._outcome = (False, f"could not write the recording {recorder.path}: {err}")

    def _poll(self) -> None:
        if self._saving is not None and self._saving.is_alive():
            QTimer.singleShot(SAVE_POLL_MS, self._poll)
            return
        self._saving = None
        ok, said = self._outcome or (False, "the recording was not written")
        self._outcome = None
        (self.saved if ok else self.failed).emit(said)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the file is written (at exit)."""
        if self._saving is not None:
            self._saving.join(timeout)

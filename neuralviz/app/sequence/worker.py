"""SequenceWorker: trains a SequenceRun in a WorkerHost thread, and reads stories with the shipped QA model.

A FrameWorker: play / pause / step / train_for, frames at most FRAME_RATE a second and only once the GUI has
drawn the previous one. The story reading runs here too (the GUI thread never runs a network): `ask` answers
through the `answered` signal with a Reading, or with the error text of a story it cannot read.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal, pyqtSlot

from ... import data
from ...io import load as load_model
from ..common.error_text import describe_error
from ..common.run_worker import RunWorker
from .run import SequenceRun

FRAME_RATE = 10.0  # every frame unrolls the shown example in numpy: a few frames a second are plenty
QA_MODEL = "models/story-qa.nvz"


class SequenceWorker(RunWorker):
    FRAME_RATE = FRAME_RATE
    DRAWING = "unroll the example"

    answered = pyqtSignal(str, object)  # the question, and a story_qa.Reading or a str saying why it has none

    def __init__(self):
        super().__init__(speed=5)
        self.run: SequenceRun | None = None
        self._qa_net = None

    # ------------------------------------------------------------------ commands
    @pyqtSlot(str, int, object, object)
    def configure(self, name: str, seed: int, cell: str | None = None, lag: int | None = None) -> None:
        """A fresh run of preset `name` with its cell and its task's lag (None: the preset's), from step 0,
        paused; on an error keep the current one and say why."""
        run = self._fresh_run(lambda: SequenceRun(name, seed, cell, lag))
        if run is None:
            return
        if self.run is not None:
            run.example = self.run.example
            run.temperature = self.run.temperature
        self.run = run
        self._emit(force=True)

    @pyqtSlot(int)
    def show_example(self, index: int) -> None:
        if self.run is not None:
            self.run.example = int(index)
            self._emit(force=True)

    @pyqtSlot(float)
    def set_temperature(self, temperature: float) -> None:
        """The temperature of a character model's samples: the next frame brings a sample written with it."""
        if self.run is not None:
            self.run.temperature = float(temperature)
            self._emit(force=True)

    @pyqtSlot(str, str)
    def ask(self, story: str, question: str) -> None:
        try:
            if self._qa_net is None:
                self._qa_net = load_model(data.asset_path(QA_MODEL))
            self.answered.emit(question, data.story_qa.read(self._qa_net, story, question))
        except Exception as err:  # noqa: BLE001 - an unknown word is the reader's mistake, never a crash
            self.answered.emit(question, describe_error(err, with_trace=False))

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        self.tick_steps(self._chunk)

"""AutoencoderWorker: trains an AutoencoderRun in a WorkerHost thread and answers the plane's questions there.

A FrameWorker: play / pause / step / train_for, frames at most FRAME_RATE a second and only once the GUI has
drawn the previous one. Clicking, dragging and picking terms set the run's Queries here (the GUI thread
never runs the network); a paused run answers with a frame at once, a playing one in its next frame.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSlot

from ..common.run_worker import RunWorker
from .run import AutoencoderRun

FRAME_RATE = 20.0  # a frame encodes and decodes the whole test set: about 2 ms, so 20 a second is cheap
SPEED = 10  # steps per frame while playing: the digits preset's 6,900 steps take about half a minute


class AutoencoderWorker(RunWorker):
    FRAME_RATE = FRAME_RATE
    DRAWING = "draw the code space"

    def __init__(self):
        super().__init__(speed=SPEED)
        self.run: AutoencoderRun | None = None
        self.budget: int | None = None  # a scene's step budget (None: train on)

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, int, object)
    def configure(self, name: str | dict, seed: int, budget: int | None = None) -> None:
        """A fresh run of preset `name` (or a preset dict; step 0, paused), keeping the questions asked of the
        last one where they still make sense; on an error keep the current run and say why."""
        run = self._fresh_run(lambda: AutoencoderRun(name, seed))
        if run is None:
            return
        old = self.run.queries if self.run is not None else None
        self.run, self.budget = run, budget
        for what in ("point", "line", "terms") if old is not None else ():
            value = getattr(old, what)
            try:
                setattr(run.queries, what, None if value is None else self._checked(what, value))
            except (ValueError, TypeError):  # a term the new data cannot answer (an image it lacks)
                pass
        self._emit(force=True)

    @pyqtSlot(object)
    def set_point(self, point: tuple | None) -> None:
        """Decode this point of the plane (("code", (x, y))) in every frame from now on."""
        self._ask("point", point)

    @pyqtSlot(object)
    def set_line(self, ends: tuple | None) -> None:
        """Walk the straight line between two ends (see run.py) in every frame from now on."""
        self._ask("line", ends)

    @pyqtSlot(object)
    def set_terms(self, terms: tuple | None) -> None:
        """a - b + c on these three terms (see run.py) in every frame from now on."""
        self._ask("terms", terms)

    def _ask(self, what: str, value) -> None:
        if self.run is None:
            return
        try:
            if value is not None:
                value = self._checked(what, value)
        except (ValueError, TypeError) as err:
            self.failed.emit(str(err))
            return
        setattr(self.run.queries, what, value)
        self._emit(force=True)

    def _checked(self, what: str, value):
        check = self.run.check_term
        if what == "point":
            return check(value)
        count = 2 if what == "line" else 3
        if not isinstance(value, tuple) or len(value) != count:
            raise ValueError(f"{what} needs {count} terms, got {value!r:.60}")
        return tuple(check(t) for t in value)

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        self.tick_steps(self._chunk, self.budget)

"""The online-training scene's engine side: full BPTT, truncated BPTT and UORO trained one sequence at a time.

OnlineRace holds the three learners of neuralviz.online on one stream (the same initial model, the same
sequences, race_online's learning rates); OnlineWorker runs it in a WorkerHost thread (a FrameWorker: play,
pause, train_for, frames only once the GUI has drawn the last one) and hands the GUI OnlineFrames: copies.
A step of this scene is one sequence for every learner (`length` time steps each).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import pyqtSlot

from ...online import METHODS, UORO, FullBPTT, TanhRNN, TruncatedBPTT, lag_sequences
from ...online.race import DEFAULT_LR
from ..common.frame_worker import TICK_S, FrameWorker

FRAME_RATE = 15.0
SMOOTH = 50  # the curves are the running mean over this many sequences (one sequence's loss is noise)
OPTIONS = {"window": 1, "lag": None, "length": 40, "hidden": 16, "seed": 0}


def read_options(options: dict) -> dict:
    """The scene's options with their defaults; ValueError naming a bad one."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"online view: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
    out = dict(OPTIONS, **options)
    for key in ("window", "length", "hidden"):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"online view: option {key!r} must be an integer >= 1, got {value!r:.40}")
    if out["lag"] is None:
        out["lag"] = out["window"] + 5  # five steps past what truncated BPTT can see
    if out["lag"] >= out["length"]:
        raise ValueError(f"online view: 'lag' {out['lag']} must be shorter than a sequence ({out['length']})")
    return out


@dataclass(frozen=True)
class OnlineFrame:
    step: int  # sequences seen by every learner
    budget: int
    length: int  # time steps per sequence
    labels: tuple[str, ...]
    curves: tuple[np.ndarray, ...]  # per learner: running-mean loss per sequence
    memory: tuple[int, ...]  # per learner: floats kept about the past
    window: int
    playing: bool = False
    final: bool = False

    def loss(self, i: int) -> float | None:
        return float(self.curves[i][-1]) if len(self.curves[i]) else None


def running_mean(losses: np.ndarray, width: int = SMOOTH) -> np.ndarray:
    """Trailing mean over up to `width` values (the first ones average what there is so far)."""
    c = np.concatenate([[0.0], np.cumsum(losses)])
    n = np.arange(1, len(losses) + 1)
    lo = np.maximum(0, n - width)
    return (c[n] - c[lo]) / (n - lo)


class OnlineRace:
    """The three learners on one stream of `budget` sequences of the lag task."""

    def __init__(self, options: dict, budget: int):
        o = read_options(options)
        self.length, self.window = o["length"], o["window"]
        data_seed, model_seed, sign_seed = (
            int(s.generate_state(1)[0]) for s in np.random.SeedSequence(o["seed"]).spawn(3)
        )
        self.xs, self.targets, self.masks = lag_sequences(max(1, budget), o["length"], o["lag"], seed=data_seed)
        self.budget = budget
        self.learners = []
        for label in METHODS:
            model = TanhRNN(1, o["hidden"], 1, seed=model_seed)
            lr = DEFAULT_LR[label]
            if label == "full BPTT":
                self.learners.append(FullBPTT(model, lr=lr))
            elif label == "truncated BPTT":
                self.learners.append(TruncatedBPTT(model, o["window"], lr=lr))
            else:
                self.learners.append(UORO(model, lr=lr, seed=sign_seed))
        self.losses = [np.zeros(budget) for _ in METHODS]
        self.step = 0

    def advance(self, k: int) -> None:
        for _ in range(min(k, self.budget - self.step)):
            i = self.step
            x, target, mask = self.xs[i], self.targets[i], self.masks[i]
            for learner, losses in zip(self.learners, self.losses):
                losses[i] = learner.train_sequence(x, target, mask).sum() / mask.sum()
            self.step += 1

    def frame(self, playing: bool, final: bool) -> OnlineFrame:
        curves = tuple(running_mean(losses[: self.step]) for losses in self.losses)
        memory = tuple(int(learner.memory_floats) for learner in self.learners)
        return OnlineFrame(self.step, self.budget, self.length, METHODS, curves, memory, self.window, playing, final)


class OnlineWorker(FrameWorker):
    def __init__(self):
        super().__init__(speed=2)
        self.race: OnlineRace | None = None
        self._chunk = 1

    def _model(self):
        return self.race

    @pyqtSlot(object, int)
    def configure(self, options: dict, budget: int) -> None:
        """A fresh race (step 0, paused)."""
        self._halt()
        try:
            self.race = OnlineRace(options, budget)
        except Exception as err:  # noqa: BLE001 - every failure must reach the view, not kill the thread
            self.failed.emit(f"{type(err).__name__}: {err}")
            return
        self._emit(force=True)

    @pyqtSlot()
    def _tick(self) -> None:
        self.tick_steps(self._chunk, self.race.budget if self.race is not None else None)

    def _train(self, steps: int) -> bool:
        start = time.perf_counter()
        self.race.advance(max(0, steps))
        per_step = (time.perf_counter() - start) / max(1, steps)
        self._chunk = max(1, min(64, int(TICK_S / 2 / max(per_step, 1e-6))))
        return True

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.race is None or not self._frame_due(force, FRAME_RATE):
            return
        now = time.perf_counter()
        self._send(self.race.frame(self._playing, final), now)

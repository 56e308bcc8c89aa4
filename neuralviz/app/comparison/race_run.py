"""RaceRun: one contestant of the comparison: a network, its optimizer, and (when a reparametrisation is
on) a twin computing the same function in other coordinates, trained with the same optimizer on the same
minibatches mapped into those coordinates.

A run that diverges stops and says so; the others go on. Its own optimizer time is counted separately
from evaluation and from its twin, so the wall-clock axis compares what each method costs.
"""

from __future__ import annotations

import time

import numpy as np

from ... import optim
from ...compare import Reparametrization, function_gap, reparametrize
from ...network import Network
from ...prediction import probabilities
from ...trainer import Trainer
from ..common.snapshot import frozen
from .config import Reparam, RunChoice, is_natural
from .frames import RunTrace
from .problem import Problem

HISTORY_LIMIT = 4000  # curve points kept per run (older ones thinned 2:1)


def twin_kind(choice: Reparam, net: Network) -> str:
    """The compare.reparametrize kind for a choice ("swap" becomes tanh-sigmoid or sigmoid-tanh)."""
    if choice.kind != "swap":
        return choice.kind
    types = {layer.type for layer in net.layers.values()}
    if "tanh" in types:
        return "tanh-sigmoid"
    if "sigmoid" in types:
        return "sigmoid-tanh"
    raise ValueError("swapping tanh and sigmoid units needs a network with tanh or sigmoid hidden units")


class RaceRun:
    def __init__(
        self,
        label: str,
        choice: RunChoice,
        hparams: dict,
        problem: Problem,
        initial: dict[str, np.ndarray],
        twin: Reparam | None,
        seed: int,
    ):
        self.label, self.choice, self.problem = label, choice, problem
        self.hparams = dict(hparams)
        self.net = Network.from_spec(problem.spec, seed=seed, dtype=problem.dtype)
        self.net.load_state_dict(initial)
        self.trainer = Trainer(self.net, problem.loss, optim.make(choice.name, self.net, **hparams), seed=seed)
        self.twin: Reparametrization | None = None
        self.twin_trainer: Trainer | None = None
        if twin is not None and twin.kind is not None:
            self.twin = reparametrize(self.net, twin_kind(twin, self.net), seed=seed, **twin.options)
            self.twin_trainer = Trainer(
                self.twin.net, problem.loss, optim.make(choice.name, self.twin.net, **hparams), seed=seed
            )
        self.seconds = 0.0
        self.diverged = ""
        self.twin_diverged = ""
        self.accuracy: float | None = None
        self._history: dict[str, list[float]] = {"steps": [], "loss": [], "seconds": [], "gap": []}
        self._stride, self._evaluations = 1, 0

    @property
    def opt(self):
        return self.trainer.opt

    @property
    def natural(self) -> bool:
        return is_natural(self.choice.name)

    # ------------------------------------------------------------------ training
    def step(self, xb: np.ndarray, yb: np.ndarray, number: int) -> None:
        """One optimizer step on the shared minibatch (and the twin's on the same batch, mapped)."""
        if self.diverged:
            return
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                self.trainer.step(xb, yb)
        except Exception as err:  # noqa: BLE001 - a failing run stops alone, the race goes on
            self.diverged = f"stopped at step {number}: {err}"
            return
        self.seconds += time.perf_counter() - start
        if self.twin_trainer is not None and not self.twin_diverged:
            try:
                with np.errstate(all="ignore"):
                    self.twin_trainer.step(self.twin.transform(xb), yb)
            except Exception as err:  # noqa: BLE001
                self.twin_diverged = f"the twin stopped at step {number}: {err}"

    # ------------------------------------------------------------------ live changes
    def set_damping(self, damping: float) -> None:
        if self.natural:
            self.hparams["damping"] = float(damping)
            for trainer in self._trainers():
                trainer.opt.set_damping(float(damping))

    def set_lr(self, lr: float) -> None:
        self.hparams["lr"] = float(lr)
        for trainer in self._trainers():
            trainer.opt.set_lr(float(lr))

    def remake_optimizer(self, hparams: dict) -> None:
        """New hyperparameters that need a fresh optimizer (Fisher type, normalisation); weights kept."""
        opts = [optim.make(self.choice.name, t.net, **hparams) for t in self._trainers()]  # all or none
        for trainer, opt in zip(self._trainers(), opts):
            trainer.opt = opt
        self.hparams = dict(hparams)

    def _trainers(self) -> list[Trainer]:
        return [self.trainer] + ([self.twin_trainer] if self.twin_trainer is not None else [])

    # ------------------------------------------------------------------ measuring
    def evaluate(self, step: int, probe: np.ndarray) -> None:
        """Training loss (and the twin gap) now; one curve point."""
        h = self._history
        if h["steps"] and h["steps"][-1] == step:
            return
        with np.errstate(all="ignore"):
            logs = self.trainer.evaluate(self.problem.x_eval, self.problem.y_eval)
            gap = np.nan
            if self.twin is not None:
                gap = (
                    np.inf
                    if self.twin_diverged
                    else function_gap(self.net.forward(probe), self.twin.net.forward(self.twin.transform(probe)))
                )
        self.accuracy = logs.get("accuracy")
        self._evaluations += 1
        if (self._evaluations - 1) % self._stride:
            return
        for key, value in (("steps", step), ("loss", logs["loss"]), ("seconds", self.seconds), ("gap", gap)):
            h[key].append(float(value))
        if len(h["steps"]) > HISTORY_LIMIT:
            for key in h:
                h[key] = h[key][::2]
            self._stride *= 2

    def output(self) -> np.ndarray | None:
        """What the map panel draws: p over the plane (planar) or the fitted curve (1-D regression)."""
        p = self.problem
        with np.errstate(all="ignore"):
            if p.grid is not None:
                # a diverged run's NaN outputs are drawn as "undecided" (white), not as garbage colours
                prob = np.nan_to_num(probabilities(self.net.forward(p.grid), p.loss), nan=0.5)
                side = int(round(np.sqrt(len(p.grid))))
                return frozen(prob.reshape(side, side) if prob.ndim == 1 else prob.T.reshape(-1, side, side))
            if p.line_inputs is not None:
                return frozen(self.net.forward(p.line_inputs)[:, 0].astype(np.float64))
        return None

    def title(self) -> str:
        parts = [self.choice.title, f"lr {self.hparams['lr']:g}"]
        if self.natural:
            parts.append(f"λ {self.hparams.get('damping', 0.0):.2g}")
        return "  ·  ".join(parts)

    def trace(self, output: np.ndarray | None, digest: str) -> RunTrace:
        h = self._history
        info = {
            k: float(v)
            for k, v in (getattr(self.opt, "info", {}) or {}).items()
            if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)
        }
        return RunTrace(
            label=self.label,
            title=self.title(),
            steps=frozen(np.asarray(h["steps"])),
            loss=frozen(np.asarray(h["loss"])),
            seconds=frozen(np.asarray(h["seconds"])),
            gap=frozen(np.asarray(h["gap"])),
            accuracy=self.accuracy,
            output=output,
            diverged=self.diverged,
            twin_diverged=self.twin_diverged,
            start_digest=digest,
            damping=self.hparams.get("damping") if self.natural else None,
            info=info,
        )

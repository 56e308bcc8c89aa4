"""Lockstep: every run of a comparison advanced together, honestly.

* identical initial weights: one network is initialised, every run loads its state, and this is checked
  (a race from different starting points would compare luck, not methods);
* the same minibatch stream: one nv.data.BatchStream(n, batch, seed=config.seed), each batch given to every
  run (and, mapped into the other coordinates, to every run's twin), exactly as nv.compare draws them: with
  the same seed the page and nv.compare train on the same minibatches;
* one step each, in turn, so every run has always done exactly as many steps as the others.

Pure Python and numpy, no Qt: the worker thread drives it, tests can drive it directly.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from ...compare import reparametrize
from ...data import BatchStream
from ...network import Network
from .config import EXACT_LIMIT, RUN_NAMES, RaceConfig, RunChoice, choice_for, is_natural, reparam
from .fisher_probe import FisherProbe
from .frames import FisherFrame, RaceFrame, RaceInfo
from .problem import Problem
from .race_run import RaceRun, twin_kind

PROBE_POINTS = 512  # the twin gap is measured on this many training inputs


def digest(state: dict[str, np.ndarray]) -> str:
    h = hashlib.sha1()
    for key in sorted(state):
        h.update(key.encode())
        h.update(np.ascontiguousarray(state[key]).tobytes())
    return h.hexdigest()[:16]


def _fit_config(config: RaceConfig, problem: Problem) -> tuple[RaceConfig, list[str]]:
    """Replace what this network cannot run: exact NG above EXACT_LIMIT, K-FAC/QD on layers they do not
    cover. Returns the config in force and what was changed."""
    notes, runs = [], []
    for run in config.runs:
        name = run.name
        if name == "ng-exact" and problem.parameters > EXACT_LIMIT:
            notes.append(
                f"exact natural gradient needs a dense {problem.parameters:,d} × {problem.parameters:,d} "
                f"Fisher; K-FAC runs instead"
            )
            name = "kfac"
        runs.append(run if name == run.name else choice_for(name))
    return config.replace(runs=tuple(runs)), notes


class Lockstep:
    def __init__(self, problem: Problem, config: RaceConfig, serial: int = 0):
        if not config.runs:
            raise ValueError("a comparison needs at least one run")
        config, notes = _fit_config(config, problem)
        self.problem, self.serial = problem, serial
        base = Network.from_spec(problem.spec, seed=config.seed, dtype=problem.dtype)
        self.initial = {k: np.array(v, copy=True) for k, v in base.state_dict().items()}
        self.start_digest = digest(self.initial)
        twin = reparam(config.reparam) if config.reparam != "none" else None
        if twin is not None:
            # a map this network cannot absorb (a ReLU net has no tanh to swap, a conv input no affine
            # map) is refused here with its reason, before any run is built
            reparametrize(base, twin_kind(twin, base), seed=config.seed, **twin.options)
        self.runs, config = self._build_runs(config, twin, notes)
        self.config = config
        self.check_identical_start()
        twin_text = ""
        if twin is not None:
            twin_text = twin.short if twin.kind != "swap" else f"{self.runs[0].twin.kind.replace('-', ' → ')} units"
        self.info = RaceInfo(
            serial=serial,
            problem=problem,
            config=config,
            labels=tuple(r.label for r in self.runs),
            titles=tuple(r.choice.title for r in self.runs),
            twin_text=twin_text,
            notice="; ".join(n for n in [problem.notice, *notes] if n),
            exact_allowed=problem.parameters <= EXACT_LIMIT,
        )
        self.stream = BatchStream(len(problem.x_train), problem.batch_size, seed=config.seed)
        self.step = 0
        self.probe = problem.x_eval[:PROBE_POINTS]
        self.fisher_probe = FisherProbe(problem.x_eval, problem.y_eval, problem.loss)
        self.evaluate()

    def _build_runs(self, config: RaceConfig, twin, notes: list[str]) -> tuple[list[RaceRun], RaceConfig]:
        """One RaceRun per choice, all loading the shared initial weights."""
        runs = []
        for i, choice in enumerate(config.runs):
            try:
                run = RaceRun(RUN_NAMES[i], choice, config.hparams(i), self.problem, self.initial, twin, config.seed)
            except ValueError as err:
                if not is_natural(choice.name) or choice.name == "diag":
                    raise
                # K-FAC / QD / unitwise precondition dense and conv2d layers only: the diagonal Fisher
                # covers every layer, so the race still has a natural-gradient contestant
                notes.append(f"{choice.title} cannot run this network ({err}); the diagonal Fisher runs instead")
                config = config.with_run(i, choice_for("diag"))
                run = RaceRun(
                    RUN_NAMES[i], config.runs[i], config.hparams(i), self.problem, self.initial, twin, config.seed
                )
            runs.append(run)
        return runs, config

    # ------------------------------------------------------------------ the race
    def check_identical_start(self) -> None:
        """Raises AssertionError unless every run holds exactly the initial weights and has not stepped yet
        (a race from different starting points would compare luck, not methods)."""
        for run in self.runs:
            state = run.net.state_dict()
            same = state.keys() == self.initial.keys() and all(np.array_equal(state[k], self.initial[k]) for k in state)
            if not same or run.opt.steps:
                raise AssertionError(f"run {run.label} does not start from the shared initial weights")

    def train(self, steps: int) -> None:
        """`steps` lockstep steps: the same minibatch for every run."""
        x, y = self.problem.x_train, self.problem.y_train
        for _ in range(max(0, int(steps))):
            idx = self.stream.next_batch()
            xb, yb = x[idx], y[idx]
            self.step += 1
            for run in self.runs:
                run.step(xb, yb, self.step)

    @property
    def all_stopped(self) -> bool:
        return all(run.diverged for run in self.runs)

    def evaluate(self) -> None:
        for run in self.runs:
            run.evaluate(self.step, self.probe)

    # ------------------------------------------------------------------ live changes
    def set_damping(self, damping: float) -> None:
        if not damping >= 0:
            raise ValueError(f"damping must be >= 0, got {damping!r}")
        self.config = self.config.replace(damping=float(damping))
        for run in self.runs:
            run.set_damping(damping)

    def set_lr(self, index: int, lr: float) -> None:
        if not (lr > 0 and np.isfinite(lr)):
            raise ValueError(f"learning rate must be > 0, got {lr!r}")
        run = self.runs[index]
        run.set_lr(lr)
        self.config = self.config.with_run(index, RunChoice(run.choice.name, float(lr), run.choice.extra))

    def set_shared(self, **changes) -> None:
        """Fisher type or normalisation: every natural-gradient run gets a fresh optimizer (weights kept)."""
        new = self.config.replace(**changes)
        for i, run in enumerate(self.runs):
            if run.natural:
                run.remake_optimizer(new.hparams(i))
        self.config = new

    # ------------------------------------------------------------------ what the views get
    def frame(
        self,
        *,
        maps: bool = True,
        playing: bool = False,
        steps_per_second: float = 0.0,
        final: bool = False,
        serial: int = 0,
        previous: RaceFrame | None = None,
    ) -> RaceFrame:
        """One frame; maps=False reuses the previous frame's pictures (they cost the most)."""
        self.evaluate()
        traces = []
        for i, run in enumerate(self.runs):
            output = run.output() if maps or previous is None else previous.runs[i].output
            traces.append(run.trace(output, self.start_digest))
        info = dataclasses.replace(self.info, config=self.config)
        self.info = info
        return RaceFrame(
            info=info,
            step=self.step,
            playing=playing,
            runs=tuple(traces),
            steps_per_second=steps_per_second,
            final=final,
            serial=serial,
        )

    def inspect(self, index: int) -> FisherFrame:
        """The Fisher inspector's content at run `index`'s current weights."""
        run = self.runs[max(0, min(index, len(self.runs) - 1))]
        return self.fisher_probe.measure(run, self.step, self.config.fisher, self.config.damping)

    def natural_index(self) -> int:
        """The first natural-gradient run (the inspector's default), else the first run."""
        return next((i for i, r in enumerate(self.runs) if r.natural), 0)

"""Race full BPTT, truncated BPTT and UORO on one stream: same model init, same sequences, losses and memory.

    runs = race_online("lag", steps=60_000, seed=0)         # {label: OnlineRun}
    runs["UORO"].final_loss, runs["UORO"].memory_floats

The default task needs memory `window + 5` steps long (the lag), five steps past the truncation,
so truncated BPTT stays near the "predict 0" loss 1/2, full BPTT (memory T*hidden) is the
reference, and UORO (memory hidden + params, no history) learns it more slowly — the lecture's
NoBackTrack point. Learning rates differ per method on purpose: UORO's estimate is noisy and
diverges at steps exact gradients take (the sequences brief, section 3), and full BPTT makes one
update per sequence where UORO makes one per step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .bptt import FullBPTT, TruncatedBPTT
from .rnn import TanhRNN, _positive_int
from .tasks import lag_sequences
from .uoro import UORO

METHODS = ("full BPTT", "truncated BPTT", "UORO")
TASKS = ("lag",)
DEFAULT_LR = {"full BPTT": 3e-3, "truncated BPTT": 3e-3, "UORO": 1e-3}


@dataclass
class OnlineRun:
    """One learner's result: `losses` is the mean loss per sequence over the steps that have a target."""

    label: str
    losses: np.ndarray
    memory_floats: int
    seconds: float
    steps: int

    @property
    def final_loss(self) -> float:
        """Mean of the last tenth of the sequence losses (one sequence's loss is too noisy to rank by)."""
        tail = max(1, len(self.losses) // 10)
        return float(np.mean(self.losses[-tail:]))


def _learner(label: str, model: TanhRNN, window: int, lr: float, seed: int):
    if label == "full BPTT":
        return FullBPTT(model, lr=lr)
    if label == "truncated BPTT":
        return TruncatedBPTT(model, window, lr=lr)
    return UORO(model, lr=lr, seed=seed)


def _check(task, methods, lr) -> dict[str, float]:
    if task not in TASKS:
        raise ValueError(f"race_online: unknown task {task!r:.60}; known tasks: {', '.join(TASKS)}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"race_online: methods must be a non-empty subset of {METHODS}, got {tuple(methods)!r:.120}")
    rates = dict(DEFAULT_LR, **(lr or {}))
    for label in rates:
        if label not in METHODS:
            raise ValueError(f"race_online: lr names unknown method {label!r:.60}; methods: {', '.join(METHODS)}")
    return rates


def race_online(
    task: str = "lag",
    steps: int = 60_000,
    seed: int = 0,
    *,
    window: int = 1,
    lag: int | None = None,
    length: int = 40,
    hidden: int = 16,
    lr: dict[str, float] | None = None,
    methods=METHODS,
) -> dict[str, OnlineRun]:
    """Train each method for `steps` time steps (steps // length sequences) and return {label: OnlineRun}."""
    rates = _check(task, methods, lr)
    steps = _positive_int(steps, "steps", "race_online")
    window = _positive_int(window, "window", "race_online")
    length = _positive_int(length, "length", "race_online")
    lag = window + 5 if lag is None else _positive_int(lag, "lag", "race_online")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"race_online: seed must be an integer >= 0, got {seed!r:.60}")
    if steps < length:
        raise ValueError(f"race_online: steps {steps} is less than one sequence of length {length}")
    data_seed, model_seed, sign_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(3))
    xs, targets, masks = lag_sequences(steps // length, length, lag, seed=data_seed)
    runs = {}
    for label in methods:
        model = TanhRNN(1, hidden, 1, seed=model_seed)
        learner = _learner(label, model, window, rates[label], sign_seed)
        start, losses = time.perf_counter(), np.zeros(len(xs))
        for i in range(len(xs)):
            losses[i] = learner.train_sequence(xs[i], targets[i], masks[i]).sum() / masks[i].sum()
        seconds = time.perf_counter() - start
        runs[label] = OnlineRun(label, losses, learner.memory_floats, seconds, len(xs) * length)
    return runs

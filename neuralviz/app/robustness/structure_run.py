"""The structure panel's engine side: a digits MLP whose hidden neurons die one by one under group sparsity.

nv.structure.GroupLasso's proximal step after every momentum step zeroes whole neurons (incoming weights and
bias); the run records how many are alive per layer every RECORD_EVERY steps and hands the panel the group norms
and weights for its diagram. Momentum SGD, not Adam: Adam's per-weight step of about lr fights a proximal
shrink of lr·λ until λ is large enough to kill every neuron at once (measured: 32-32 hidden units on digits
keep 32/32 at λ = 1 and lose all at λ = 5 under Adam; momentum at λ = 0.1 keeps about 15/12 at 96% accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data.batch_stream import BatchStream
from ...structure import GroupLasso, alive_neurons, group_norms, hidden_layers
from .run_base import build, check_choice, flatten_digits_mlp, test_accuracy

HIDDEN = [32, 32]
TRAINING = {"loss": "cross_entropy", "optimizer": "momentum", "lr": 0.05, "batch_size": 32, "epochs": 30}
STRENGTHS = (0.0, 0.05, 0.1, 0.2)
L1_STRENGTHS = (0.0, 0.001, 0.003, 0.01)  # λ = 0, l1 = 0.003: about 60% of the weights exactly 0, 96% accuracy
DEFAULT_STRENGTH = 0.1
RECORD_EVERY = 10
SPEED = 6  # steps per tick while playing (about 30 ticks a second: 1350 steps in 8 s)
SETTINGS = ("strength", "l1")


@dataclass(frozen=True)
class StructureFrame:
    step: int
    limit: int
    strength: float
    l1: float
    zero_weights: float  # share of the dense weights that are exactly 0 (what L1 removes one by one)
    layers: tuple[str, ...]  # hidden dense layer ids, in order
    sizes: tuple[int, ...]  # units per hidden layer
    norms: tuple[np.ndarray, ...]  # group norm per neuron, per hidden layer
    weights: tuple[np.ndarray, ...]  # (out, in) weights between consecutive hidden layers and to the output
    history_steps: np.ndarray
    history: np.ndarray  # (records, layers) alive neurons
    accuracy: float
    playing: bool = False
    final: bool = False

    @property
    def alive(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self.history[-1])


class StructureRun:
    speed = SPEED  # steps per worker tick while playing

    def __init__(self, seed: int = 0, steps: int | None = None, strength: float = DEFAULT_STRENGTH, l1: float = 0.0):
        self.seed = int(seed)
        self.steps = steps
        self.strength, self.l1 = float(strength), float(l1)
        self._data = None
        self._restart()

    def _restart(self) -> None:
        setup = build(
            flatten_digits_mlp(HIDDEN, "digits-structure"),
            {"name": "digits", "options": {}},
            TRAINING,
            self.seed,
            data=self._data,
        )
        self.setup, self.net, self.trainer, self.ds = setup, setup.network, setup.trainer, setup.dataset
        self._data = self.ds
        self.lasso = GroupLasso(self.strength, l1=self.l1)
        self.stream = BatchStream(len(self.ds.x_train), setup.batch_size, seed=self.seed)
        self.layers = tuple(hidden_layers(self.net))
        self.step = 0
        self.limit = setup.budget if self.steps is None else int(self.steps)
        self.history_steps = [0]
        self.history = [self._alive()]

    def _alive(self) -> tuple[int, ...]:
        counts = alive_neurons(self.net)
        return tuple(counts[lid] for lid in self.layers)

    def advance(self, k: int) -> None:
        x, y = self.ds.x_train, self.ds.y_train
        for _ in range(max(0, min(int(k), self.limit - self.step))):
            idx = self.stream.next_batch()
            self.trainer.step(x[idx], y[idx])
            self.lasso.apply(self.net, float(self.trainer.opt.lr))
            self.step += 1
            if self.step % RECORD_EVERY == 0 or self.step == self.limit:
                self.history_steps.append(self.step)
                self.history.append(self._alive())

    def set(self, name: str, value) -> bool:
        check_choice("structure", name, SETTINGS)
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if number is None or not 0 <= number < 100:
            raise ValueError(f"structure: {name} must be a number in [0, 100), got {value!r:.40}")
        setattr(self, name, float(number))
        self._restart()
        return False

    def frame(self, playing: bool = False, final: bool = False) -> StructureFrame:
        norms = group_norms(self.net)
        ids = [*self.layers, self.net.output_id]
        weights = tuple(self.net.layers[lid].params["weight"].value.copy() for lid in ids[1:])
        return StructureFrame(
            step=self.step,
            limit=self.limit,
            strength=self.strength,
            l1=self.l1,
            zero_weights=_zero_share(self.net),
            layers=self.layers,
            sizes=tuple(len(norms[lid]) for lid in self.layers),
            norms=tuple(norms[lid] for lid in self.layers),
            weights=weights,
            history_steps=np.array(self.history_steps),
            history=np.array(self.history),
            accuracy=test_accuracy(self.net, self.ds.x_test, self.ds.y_test),
            playing=playing,
            final=final,
        )


def _zero_share(net) -> float:
    weights = [net.layers[e["id"]].params["weight"].value for e in net.order if e["type"] == "dense"]
    return sum(int(np.count_nonzero(w == 0)) for w in weights) / sum(w.size for w in weights)

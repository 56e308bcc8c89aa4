"""The noise-and-dropout panel's engine side: a spirals net trained with input noise, dropout or stochastic weights.

Bishop (1995): training with input noise of variance σ² adds σ² times a Jacobian penalty to the loss, so the
function the net learns is smoother: its input-Jacobian norm ‖∂f/∂x‖ (nv.inspect.jacobian_norm, on the test
points) falls while accuracy stays. Dropout does the same through the hidden units. The run records that norm
every JACOBIAN_EVERY steps (a curve the panel draws beside the decision map) and keeps the curves of the
settings tried before (PREVIOUS of them), so the room can compare σ = 0 with σ = 0.3 on one plot.
With stochastic weights (layer stochastic_dense, Blundell et al. 2015) the frame also holds the maps of
SAMPLES networks drawn from the learned weight distribution, and their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...inspect import jacobian_norm, sample_networks
from ...prediction import probabilities
from ...viz.grid import grid_points, square_extent
from .run_base import build, check_choice, test_accuracy

NOISE_LEVELS = (0.0, 0.1, 0.3, 0.5)
DROPOUT_LEVELS = (0.0, 0.05, 0.1, 0.2)
HIDDEN = (32, 32, 32)  # the noise preset's 16-wide net loses 10-30 points of accuracy to dropout 0.1-0.2; 32 does not
TRAINING = {"loss": "bce", "optimizer": "adam", "lr": 0.01, "batch_size": 25, "epochs": 300}
DATASET = {"name": "spirals", "options": {"noise": 0.1}}
JACOBIAN_EVERY = 25
MAP_SIZE = 64
SAMPLES = 4
PREVIOUS = 3
SPEED = 15  # steps per tick while playing (about 30 ticks a second: 3000 steps in 7 s)
SETTINGS = ("noise", "dropout", "stochastic")
# stochastic weights: a N(0, 1) prior keeps σ from collapsing (research brief §4.2). Measured on these spirals
# (seeds 0 and 1, 3000 steps): kl_weight 1e-4 gives 98-100% test accuracy with sampled nets that disagree with the
# mean net on 3-7% of the plane (visible); with the 16-wide net, 1e-3 over-regularised (58%) and 1e-5 or no prior
# left the samples within 1-2% of the mean.
STOCHASTIC = {"type": "stochastic_dense", "sigma_init": 0.05, "prior_sigma": 1.0, "kl_weight": 1e-4}


def noise_network(noise: float, dropout: float, stochastic: bool) -> dict:
    """The spirals tanh net (the noise preset's, twice as wide) with input noise, dropout after each hidden layer,
    and dense or stochastic_dense hidden layers."""
    layers: list[dict] = []
    if noise > 0:
        layers.append({"id": "noise", "type": "gaussian_noise", "std": float(noise)})
    for i, units in enumerate(HIDDEN, 1):
        layer = {"id": f"h{i}", "type": "dense", "units": units}
        layers.append(layer | STOCHASTIC if stochastic else layer)
        layers.append({"id": f"a{i}", "type": "tanh"})
        if dropout > 0:
            layers.append({"id": f"d{i}", "type": "dropout", "p": float(dropout)})
    layers.append({"id": "out", "type": "dense", "units": 1})
    return {"format": "neuralviz.network/1", "name": "spirals-robust", "input_shape": [2], "layers": layers}


def describe(noise: float, dropout: float, stochastic: bool) -> str:
    parts = [f"noise σ {noise:g}", f"dropout {dropout:g}"] + (["stochastic weights"] if stochastic else [])
    return ", ".join(parts)


@dataclass(frozen=True)
class NoiseFrame:
    step: int
    limit: int
    label: str  # the settings, in words
    extent: tuple[float, float, float, float]
    map: np.ndarray  # (MAP_SIZE, MAP_SIZE) p(class 1), x2 down the rows
    x: np.ndarray  # training points (N, 2)
    y: np.ndarray
    jacobian_steps: np.ndarray
    jacobian: np.ndarray
    previous: tuple[tuple[str, np.ndarray, np.ndarray], ...]  # (label, steps, norms) of earlier settings
    accuracy: float
    samples: tuple[np.ndarray, ...]  # sampled networks' maps (stochastic weights only)
    playing: bool = False
    final: bool = False

    @property
    def current_jacobian(self) -> float | None:
        return float(self.jacobian[-1]) if len(self.jacobian) else None


class NoiseRun:
    speed = SPEED  # steps per worker tick while playing

    def __init__(self, seed: int = 0, steps: int | None = None, noise: float = 0.0, dropout: float = 0.0):
        self.seed = int(seed)
        self.steps = steps
        self.noise, self.dropout, self.stochastic = float(noise), float(dropout), False
        self.previous: list[tuple[str, np.ndarray, np.ndarray]] = []
        self._data = None
        self._restart()

    def _restart(self) -> None:
        """Fresh weights for the current settings (the same seed: only the setting differs between curves)."""
        network = noise_network(self.noise, self.dropout, self.stochastic)
        setup = build(network, DATASET, TRAINING, self.seed, data=self._data)
        self.setup, self.net, self.trainer, self.ds = setup, setup.network, setup.trainer, setup.dataset
        self._data = self.ds
        self.extent = square_extent(self.ds.x_train)
        self._grid = grid_points(self.extent, MAP_SIZE)
        self.step = 0
        self.limit = setup.budget if self.steps is None else int(self.steps)
        self.jac_steps: list[int] = [0]
        self.jac: list[float] = [self._jacobian()]

    def _jacobian(self) -> float:
        return float(jacobian_norm(self.net, self.ds.x_test))

    def advance(self, k: int) -> None:
        """k steps, stopping at every multiple of JACOBIAN_EVERY to record the norm (the same steps at any speed)."""
        end = min(self.step + max(0, int(k)), self.limit)
        while self.step < end:
            n = min(end - self.step, JACOBIAN_EVERY - self.step % JACOBIAN_EVERY)
            self.trainer.train_steps(self.ds.x_train, self.ds.y_train, n, self.setup.batch_size)
            self.step += n
            if self.step % JACOBIAN_EVERY == 0 or self.step == self.limit:
                self.jac_steps.append(self.step)
                self.jac.append(self._jacobian())

    def set(self, name: str, value) -> bool:
        """A new setting: the current curve joins the earlier ones and training starts again from step 0."""
        check_choice("noise", name, SETTINGS)
        if name == "stochastic":
            new = bool(value)
        else:
            new = float(value)
            if not 0.0 <= new < (1.0 if name == "dropout" else 10.0):
                raise ValueError(f"noise: {name} must be in [0, {1 if name == 'dropout' else 10}), got {value!r:.40}")
        if self.step > 0:
            self.previous = [*self.previous, (self.label, np.array(self.jac_steps), np.array(self.jac))][-PREVIOUS:]
        old = (self.noise, self.dropout, self.stochastic)
        setattr(self, name, new)
        try:
            self._restart()
        except Exception:
            self.noise, self.dropout, self.stochastic = old  # keep a working run behind the error message
            self._restart()
            raise
        return False

    @property
    def label(self) -> str:
        return describe(self.noise, self.dropout, self.stochastic)

    def _map(self, net) -> np.ndarray:
        return probabilities(net.forward(self._grid, train=False), "bce").reshape(MAP_SIZE, MAP_SIZE)

    def _samples(self) -> tuple[np.ndarray, ...]:
        if not self.stochastic:
            return ()
        outs = (forward(self._grid) for forward in sample_networks(self.net, SAMPLES, seed=self.seed))
        return tuple(probabilities(out, "bce").reshape(MAP_SIZE, MAP_SIZE) for out in outs)

    def frame(self, playing: bool = False, final: bool = False) -> NoiseFrame:
        return NoiseFrame(
            step=self.step,
            limit=self.limit,
            label=self.label,
            extent=self.extent,
            map=self._map(self.net),
            x=self.ds.x_train,
            y=self.ds.y_train,
            jacobian_steps=np.array(self.jac_steps),
            jacobian=np.array(self.jac),
            previous=tuple(self.previous),
            accuracy=test_accuracy(self.net, self.ds.x_test, self.ds.y_test, "bce"),
            samples=self._samples(),
            playing=playing,
            final=final,
        )

"""The adversarial panel's engine side: a digits MLP, FGSM at an ε the slider picks, and random noise beside it.

Goodfellow et al. (2014): a step of size ε along the sign of the input gradient flips a net's answer where
random ±ε noise of the same size does not. Once the net is trained, the run measures test accuracy against ε
for both (EPS_CURVE) and, for the example shown, the clean image, the perturbation, the adversarial image and
both class-probability vectors. With `adversarial_training` on, every step trains on the batch with half
of it replaced by its FGSM version at TRAIN_EPS (nv.adversarial.adversarial_step; the curve then falls more
slowly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...adversarial import accuracy_vs_eps, adversarial_step, fgsm
from ...data.batch_stream import BatchStream
from ...prediction import probabilities
from .run_base import build, check_choice, flatten_digits_mlp

EPS_CURVE = tuple(float(e) for e in np.round(np.arange(0.0, 0.301, 0.025), 3))
TRAIN_EPS = 0.1
NETWORK = flatten_digits_mlp([128], "digits-mlp")
TRAINING = {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.005, "batch_size": 32, "epochs": 10}
SPEED = 3  # steps per tick while playing (about 30 ticks a second: 450 steps in 5 s)
SETTINGS = ("eps", "example", "adversarial_training")


@dataclass(frozen=True)
class AdversarialFrame:
    step: int
    limit: int
    eps: float
    example: int  # the test example shown
    label: int
    clean: np.ndarray  # (8, 8) in [0, 1]
    perturbation: np.ndarray  # (8, 8) adversarial - clean, in [-eps, eps]
    adversarial: np.ndarray  # (8, 8)
    clean_probs: np.ndarray  # (10,)
    adversarial_probs: np.ndarray  # (10,)
    eps_curve: tuple[float, ...]
    fgsm_curve: tuple[float, ...]  # test accuracy per ε (empty until trained)
    noise_curve: tuple[float, ...]
    accuracy: float
    adversarial_training: bool
    playing: bool = False
    final: bool = False


class AdversarialRun:
    speed = SPEED  # steps per worker tick while playing

    def __init__(self, seed: int = 0, steps: int | None = None, adversarial_training: bool = False):
        self.seed, self.steps = int(seed), steps
        self.adversarial_training = bool(adversarial_training)
        self.eps, self.example = 0.1, -1
        self._data = None
        self._restart()

    def _restart(self) -> None:
        setup = build(NETWORK, {"name": "digits", "options": {}}, TRAINING, self.seed, data=self._data)
        self.setup, self.net, self.trainer, self.ds = setup, setup.network, setup.trainer, setup.dataset
        self._data = self.ds
        self.step = 0
        self.limit = setup.budget if self.steps is None else int(self.steps)
        self.fgsm_curve: tuple[float, ...] = ()
        self.noise_curve: tuple[float, ...] = ()
        self._stream = BatchStream(len(self.ds.x_train), setup.batch_size, seed=self.seed)

    def advance(self, k: int) -> None:
        k = max(0, min(int(k), self.limit - self.step))
        if k == 0:
            return
        x, y = self.ds.x_train, self.ds.y_train
        if not self.adversarial_training:
            self.trainer.train_steps(x, y, k, self.setup.batch_size)
        else:
            for _ in range(k):
                idx = self._stream.next_batch()
                adversarial_step(self.trainer, x[idx], y[idx], TRAIN_EPS)
        self.step += k
        if self.step >= self.limit:
            self.fgsm_curve, self.noise_curve = self._curves()

    def _curves(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        x, y = self.ds.x_test, self.ds.y_test
        curves = accuracy_vs_eps(self.net, x, y, EPS_CURVE, loss="cross_entropy", seed=self.seed)
        return tuple(curves["attack"]), tuple(curves["noise"])

    def _accuracy(self, x: np.ndarray) -> float:
        out = self.net.forward(x, train=False)
        return float(np.mean(out.argmax(axis=1) == self.ds.y_test))

    def set(self, name: str, value) -> bool:
        check_choice("adversarial", name, SETTINGS)
        if name == "adversarial_training":
            self.adversarial_training = bool(value)
            self._restart()  # from fresh weights: the two kinds of training compare from the same start
        elif name == "eps":
            eps = float(value)
            if not 0.0 <= eps <= 1.0:
                raise ValueError(f"adversarial: ε must be in [0, 1], got {value!r:.40}")
            self.eps = eps
        else:
            index = int(value)
            if not -1 <= index < len(self.ds.x_test):
                raise ValueError(f"adversarial: example {value!r:.40} is not in -1..{len(self.ds.x_test) - 1}")
            self.example = index
        return False

    def _shown_example(self) -> int:
        """The example asked for, or (example -1) the first test digit the net gets right and the attack at the
        current ε fools (the first digit, if none is)."""
        if self.example >= 0:
            return self.example
        x, y = self.ds.x_test, self.ds.y_test
        clean = self.net.forward(x, train=False).argmax(axis=1)
        if self.eps == 0:
            return 0
        attacked = self.net.forward(fgsm(self.net, x, y, self.eps, loss="cross_entropy"), train=False).argmax(axis=1)
        fooled = np.flatnonzero((clean == y) & (attacked != y))
        return int(fooled[0]) if fooled.size else 0

    def frame(self, playing: bool = False, final: bool = False) -> AdversarialFrame:
        i = self._shown_example()
        x, y = self.ds.x_test[i : i + 1], self.ds.y_test[i : i + 1]
        adv = fgsm(self.net, x, y, self.eps, loss="cross_entropy") if self.eps > 0 else x.copy()
        outs = self.net.forward(np.concatenate([x, adv]), train=False)
        probs = probabilities(outs, "cross_entropy")
        return AdversarialFrame(
            step=self.step,
            limit=self.limit,
            eps=self.eps,
            example=i,
            label=int(y[0]),
            clean=x[0, 0].astype(np.float64),
            perturbation=(adv - x)[0, 0].astype(np.float64),
            adversarial=adv[0, 0].astype(np.float64),
            clean_probs=probs[0].astype(np.float64),
            adversarial_probs=probs[1].astype(np.float64),
            eps_curve=tuple(float(e) for e in EPS_CURVE),
            fgsm_curve=self.fgsm_curve,
            noise_curve=self.noise_curve,
            accuracy=self._accuracy(self.ds.x_test),
            adversarial_training=self.adversarial_training,
            playing=playing,
            final=final,
        )

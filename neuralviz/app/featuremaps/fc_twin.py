"""The fully connected twin: the translation-invariance comparison for the convolutional network.

A one-hidden-layer MLP (flatten -> dense -> relu -> dense) with about as many weights as the CNN, trained by
the feature-map page's worker thread on the same training images and labels, for as many epochs as the
studio has trained the CNN (it catches up whenever the studio is ahead). It always uses Adam, so a learning
rate tuned for the CNN cannot make the comparison unfair. No Qt here.

Why it matters: a dense layer gives every pixel position its own weight, so a pattern moved by a few pixels
reaches different weights and the prediction can change; a convolution slides the same filter everywhere,
so its feature maps move with the input, and pooling makes what follows care less about where.
"""
from __future__ import annotations

import time

import numpy as np

from ... import optim
from ...network import Network
from ...trainer import Trainer

LEARNING_RATE = 0.003
MIN_HIDDEN, MAX_HIDDEN = 16, 512


def hidden_units_for(input_size: int, num_classes: int, target_params: int) -> int:
    """Width h of input -> h -> classes with about target_params weights and biases."""
    h = (target_params - num_classes) / (input_size + 1 + num_classes)
    return int(np.clip(round(h), MIN_HIDDEN, MAX_HIDDEN))


class FullyConnectedTwin:
    def __init__(self, input_shape: tuple[int, ...], num_classes: int, target_params: int,
                 x_train: np.ndarray, labels_train: np.ndarray, batch_size: int = 32, seed: int = 0):
        n_in = int(np.prod(input_shape))
        self.hidden = hidden_units_for(n_in, num_classes, target_params)
        spec = {"format": "neuralviz.network/1", "name": "fully connected twin", "input_shape": list(input_shape),
                "layers": [{"id": "flat", "type": "flatten"},
                           {"id": "h", "type": "dense", "units": self.hidden},
                           {"id": "a", "type": "relu"},
                           {"id": "out", "type": "dense", "units": int(num_classes)}]}
        self.net = Network.from_spec(spec, seed=seed)
        self.trainer = Trainer(self.net, "cross_entropy", optim.make("adam", self.net, lr=LEARNING_RATE),
                               seed=seed)
        self.x_train = np.ascontiguousarray(x_train, dtype=self.net.dtype)
        self.labels = np.asarray(labels_train, dtype=np.int64)
        self.batch_size = max(1, min(int(batch_size), len(self.x_train)))
        self.rng = np.random.default_rng([seed, 11])
        self.samples_seen = 0
        self.description = (f"fully connected: {n_in} inputs → {self.hidden} → {num_classes} "
                            f"({self.net.num_parameters():,d} weights)")

    @property
    def epoch(self) -> float:
        return self.samples_seen / max(1, len(self.x_train))

    def train_until(self, epoch: float, deadline: float) -> bool:
        """Train minibatches until `epoch` epochs are done or the clock passes `deadline`.

        Returns True while the twin is still behind `epoch`."""
        while self.epoch < epoch and time.perf_counter() < deadline:
            idx = self.rng.integers(0, len(self.x_train), self.batch_size)
            self.trainer.step(self.x_train[idx], self.labels[idx])
            self.samples_seen += self.batch_size
        return self.epoch < epoch

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(N, K) softmax outputs for images (N, C, H, W)."""
        out = self.net.forward(np.ascontiguousarray(x, dtype=self.net.dtype), train=False).astype(np.float64)
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def hidden_units(self) -> np.ndarray:
        """(N, hidden) activations of the hidden layer from the last probabilities() call."""
        return self.net.outputs["a"]

"""The fully connected twin: the translation-invariance comparison for the convolutional network.

A one-hidden-layer MLP (dense -> relu -> dense on the flattened image) with about as many weights as the
CNN, trained by the feature-map page's worker thread on the same training images and labels, for as many
epochs as the studio has trained the CNN (it catches up whenever the studio is ahead). It trains with plain
minibatch SGD through the engine's Trainer, which takes the fused C++ path for such a network (many steps
per call, GIL released), so keeping up costs the studio and the GUI almost nothing. No Qt here.

Why it matters: a dense layer gives every pixel position its own weight, so a pattern moved by a few pixels
reaches different weights and the prediction can change; a convolution slides the same filter everywhere,
so its feature maps move with the input, and pooling makes what follows care less about where.
"""

from __future__ import annotations

import time

import numpy as np

from ... import optim
from ...network import Network
from ...prediction import predict, probabilities
from ...trainer import Trainer

LEARNING_RATE = 0.1  # plain SGD; reaches the accuracy of Adam on digits and shapes in as many epochs
MIN_HIDDEN, MAX_HIDDEN = 16, 512


def hidden_units_for(input_size: int, num_classes: int, target_params: int) -> int:
    """Width h of input -> h -> classes with about target_params weights and biases."""
    h = (target_params - num_classes) / (input_size + 1 + num_classes)
    return int(np.clip(round(h), MIN_HIDDEN, MAX_HIDDEN))


class FullyConnectedTwin:
    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int,
        target_params: int,
        x_train: np.ndarray,
        labels_train: np.ndarray,
        batch_size: int = 32,
        seed: int = 0,
    ):
        n_in = int(np.prod(input_shape))
        self.input_shape = tuple(input_shape)
        self.hidden = hidden_units_for(n_in, num_classes, target_params)
        spec = {
            "format": "neuralviz.network/1",
            "name": "fully connected twin",
            "input_shape": [n_in],
            "layers": [
                {"id": "h", "type": "dense", "units": self.hidden},
                {"id": "a", "type": "relu"},
                {"id": "out", "type": "dense", "units": int(num_classes)},
            ],
        }
        self.net = Network.from_spec(spec, seed=seed)
        self.x_train = self._flat(x_train)
        self.labels = np.asarray(labels_train, dtype=np.int64)
        self.batch_size = max(1, min(int(batch_size), len(self.x_train)))
        self.trainer = Trainer(self.net, "cross_entropy", optim.make("sgd", self.net, lr=LEARNING_RATE), seed=seed)
        self.samples_seen = 0
        self._steps_per_s = 2000.0  # measured as it goes: sizes the chunks to the time left
        self.description = (
            f"fully connected: {n_in} inputs → {self.hidden} → {num_classes} ({self.net.num_parameters():,d} weights)"
        )

    def _flat(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(x).reshape(len(x), -1), dtype=self.net.dtype)

    @property
    def epoch(self) -> float:
        return self.samples_seen / max(1, len(self.x_train))

    def train_until(self, epoch: float, deadline: float) -> bool:
        """Train minibatches until `epoch` epochs are done or the clock passes `deadline`.

        Returns True while the twin is still behind `epoch`. Raises TrainingDiverged like the Trainer."""
        while self.epoch < epoch:
            left = time.perf_counter()
            if left >= deadline:
                break
            needed = int(np.ceil((epoch - self.epoch) * len(self.x_train) / self.batch_size))
            steps = max(1, min(needed, int(self._steps_per_s * (deadline - left))))
            before = self.trainer.steps
            try:
                self.trainer.train_steps(self.x_train, self.labels, steps, self.batch_size)
            finally:
                self.samples_seen += (self.trainer.steps - before) * self.batch_size
            took = time.perf_counter() - left
            if took > 0:
                self._steps_per_s = 0.5 * self._steps_per_s + 0.5 * steps / took
        return self.epoch < epoch

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(N, K) softmax outputs for images (N, C, H, W)."""
        flat = self._flat(x)
        return probabilities(predict(self.net, flat, batch_size=len(flat)), "cross_entropy")

    def hidden_units(self) -> np.ndarray:
        """(N, hidden) activations of the hidden layer from the last probabilities() call."""
        return self.net.outputs["a"]

"""Rosenblatt's perceptron learning rule, for a network that is one dense layer followed
by a step unit: w += lr * (target - output) * x, b += lr * (target - output).

It converges on linearly separable data and never on XOR — the history slide.
"""

from __future__ import annotations

import numpy as np

from .base import Optimizer


class Perceptron(Optimizer):
    name = "perceptron"

    def __init__(self, net, **kw):
        kw.setdefault("lr", 1.0)
        super().__init__(net, **kw)
        types = [layer.type for layer in net.layers.values()]
        if types != ["dense", "step"]:
            raise ValueError(
                "optimizer 'perceptron' needs a network of exactly one dense layer "
                f"followed by a step layer, got layers {types}"
            )
        self.dense = next(iter(net.layers.values()))

    def _update(self, lr, batch):
        if batch is None:
            raise ValueError("optimizer 'perceptron' needs the batch (x, y) in step()")
        x, y = batch[0], batch[1]
        out = self.net.outputs[self.net.output_id]  # step outputs of the last forward pass
        target = np.asarray(y, dtype=out.dtype).reshape(out.shape)
        err = target - out  # 0 where right, +-1 where wrong
        with np.errstate(over="ignore", invalid="ignore"):
            w = self.dense.weight.value + lr * (err.T @ np.asarray(x, dtype=out.dtype))
            b = self.dense.bias.value + lr * err.sum(axis=0) if self.dense.bias is not None else None
        # the step unit's output (0/1) keeps the loss finite even when the weights are not, so the
        # divergence check has to be here: refuse the update, keep the weights
        if not (np.isfinite(w).all() and (b is None or np.isfinite(b).all())):
            from ..trainer import TrainingDiverged

            raise TrainingDiverged(
                f"the perceptron update at step {self.steps + 1} made the weights infinite (learning rate "
                f"{lr:g}); lower the learning rate or rescale the inputs",
                step=self.steps + 1,
                lr=lr,
            )
        self.dense.weight.value[...] = w
        if b is not None:
            self.dense.bias.value[...] = b

"""Embedding: integer token ids (N, T) -> vectors (N, T, dim), a lookup table trained by
scatter-adding the gradient rows; initialised N(0, 1) as PyTorch."""

from __future__ import annotations

import numpy as np

from .base import Layer


class Embedding(Layer):
    type = "embedding"
    defaults = {"vocab": None, "dim": None}
    takes_integer_input = True

    def build(self, rng):
        vocab = self.int_param("vocab")
        dim = self.int_param("dim")
        self.add_param("weight", (vocab, dim), lambda r, shape: r.standard_normal(shape))
        return (*self.input_shapes[0], dim)

    def forward(self, inputs, train):
        ids = inputs[0]
        if ids.dtype.kind not in "iu":
            if not np.all(np.equal(np.mod(ids, 1), 0)):
                raise ValueError(
                    f"layer '{self.id}' (embedding): input must hold integer token "
                    f"ids, got non-integer values of dtype {ids.dtype}"
                )
            ids = ids.astype(np.int64)
        vocab = self.weight.value.shape[0]
        if ids.size and (ids.min() < 0 or ids.max() >= vocab):
            bad = ids[(ids < 0) | (ids >= vocab)].flat[0]
            raise ValueError(f"layer '{self.id}' (embedding): token id {bad} is outside the vocabulary [0, {vocab})")
        self.ids = ids
        return self.weight.value[ids]

    def backward(self, grad_y):
        dim = self.weight.value.shape[1]
        np.add.at(self.weight.grad, self.ids.reshape(-1), grad_y.reshape(-1, dim))
        return [None]  # ids are not differentiable

    def flops(self):
        return 0

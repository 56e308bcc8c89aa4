"""Polynomial features: every monomial of the inputs of degree 1 to `degree`.

The lecture's restricted function spaces: a dense layer on these features is a polynomial
of degree <= `degree` (the dense bias is the constant term), a richer space than a linear
model yet a fixed one, unlike a network's learned features. For d = 2 inputs (x, y) and
degree 3 the features are, in this order,

    x, y, x², xy, y², x³, x²y, xy², y³

(degree by degree; within a degree, the monomials of the previous degree in order, each
times x_j for j >= its last variable). There are C(d + degree, degree) - 1 of them.

Each monomial of degree k is one earlier monomial of degree k - 1 (its *parent*) times one
input (its *variable*), so the forward pass is `degree` vectorised products and the
backward pass walks the same tree in reverse. Parents come in order, so summing the
gradient over the children of each parent is one `np.add.reduceat`, and so is summing it
over the monomials of each variable, once they are grouped by variable.
"""

from __future__ import annotations

import math

import numpy as np

from .base import Layer

MAX_DEGREE = 16
MAX_FEATURES = 65_536  # beyond this the features are not something one draws or fits in a lecture


class Polynomial(Layer):
    type = "polynomial"
    defaults = {"degree": 3}

    def build(self, rng):
        self.degree = self.int_param("degree", 1, MAX_DEGREE)
        shape = self.input_shapes[0]
        if len(shape) != 1:
            raise self.error(f"polynomial needs a flat (features,) input, got {shape}; add a 'flatten' layer before it")
        d = shape[0]
        count = math.comb(d + self.degree, self.degree) - 1 if d <= MAX_FEATURES else MAX_FEATURES + 1
        if count > MAX_FEATURES:
            raise self.error(
                f"degree {self.degree} on {d} inputs gives more than {MAX_FEATURES:,d} monomials; "
                "lower the degree or the number of inputs"
            )
        self.parents, self.variables = _monomial_tree(d, self.degree)
        self.starts = [np.flatnonzero(np.r_[True, p[1:] != p[:-1]]) for p in self.parents]
        # the monomials of each degree grouped by variable (every variable occurs in every degree: x_j^k)
        self.by_variable = [np.argsort(v, kind="stable") for v in self.variables]
        self.variable_starts = [np.searchsorted(v[o], np.arange(d)) for v, o in zip(self.variables, self.by_variable)]
        return (count,)

    def forward(self, inputs, train):
        x = inputs[0]
        self.x = x
        self.terms = [x]  # terms[k - 1]: the monomials of degree k, (N, F_k)
        for parent, var in zip(self.parents, self.variables):
            self.terms.append(self.terms[-1][..., parent] * x[..., var])
        return np.concatenate(self.terms, axis=-1)

    def backward(self, grad_y):
        return [self._grad_x(np.asarray(grad_y))]

    def backward_seeds(self, seeds):
        """All K seeds at once: every step below broadcasts over the leading seed axis."""
        return [self._grad_x(np.asarray(seeds))]

    def _grad_x(self, grad_y: np.ndarray) -> np.ndarray:
        """d/dx of sum(grad_y * features), for grad_y of shape (..., N, F)."""
        sizes = [t.shape[-1] for t in self.terms]
        grads = np.split(grad_y, np.cumsum(sizes)[:-1], axis=-1)  # per degree, (..., N, F_k)
        gx = np.zeros(grad_y.shape[:-1] + self.x.shape[-1:], dtype=grad_y.dtype)
        g = grads[-1]
        for k in range(len(self.parents) - 1, -1, -1):  # degree k + 2 -> degree k + 1
            parent, var, below = self.parents[k], self.variables[k], self.terms[k]
            gx += np.add.reduceat((g * below[..., parent])[..., self.by_variable[k]], self.variable_starts[k], axis=-1)
            # every monomial has at least one child, so the runs of equal parents cover them all
            g = grads[k] + np.add.reduceat(g * self.x[..., var], self.starts[k], axis=-1)
        return gx + g

    def workspace(self):
        return self.output_shape[0]  # the monomials of each degree, kept for backward besides the output

    def flops(self):
        return self.output_shape[0] - self.input_shapes[0][0]  # one product per monomial above degree 1


def _monomial_tree(d: int, degree: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For degrees 2..degree: each monomial's parent (index among the previous degree's) and
    variable, in the order the module docstring gives."""
    parents, variables = [], []
    last = np.arange(d)  # the last (largest) variable of each monomial of the current degree
    for _ in range(1, degree):
        counts = d - last  # a monomial ending in x_j takes x_j, ..., x_{d-1}
        parent = np.repeat(np.arange(len(last)), counts)
        var = np.concatenate([np.arange(j, d) for j in last]) if len(last) else np.zeros(0, np.int64)
        parents.append(parent)
        variables.append(var)
        last = var
    return parents, variables

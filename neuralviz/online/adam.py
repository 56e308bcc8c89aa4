"""Adam over one flat parameter vector (Kingma & Ba 2015), the optimizer every online learner uses.

The race compares gradient *estimates*, so all three learners share this update rule and differ
only in which gradient they feed it and how often (per sequence, per window, per step).
"""

from __future__ import annotations

import numpy as np


class Adam:
    def __init__(self, size: int, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        if not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"Adam: lr must be a finite number > 0, got {lr!r:.60}")
        self.lr, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self.t = 0

    def update(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """theta -= lr * m_hat / (sqrt(v_hat) + eps), in place."""
        self.t += 1
        self.m = self.beta1 * self.m + (1.0 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1.0 - self.beta2) * grad * grad
        m_hat = self.m / (1.0 - self.beta1**self.t)
        v_hat = self.v / (1.0 - self.beta2**self.t)
        theta -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

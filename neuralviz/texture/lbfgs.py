"""L-BFGS in numpy: the two-loop recursion with a backtracking (Armijo) line search, one step at a time.

Texture synthesis optimises ~12,000 pixels against a smooth loss; plain gradient descent or Adam on the
pixels needs thousands of steps, L-BFGS a few hundred (Gatys et al. and Ustyuzhaninov et al. both use it).
This is the textbook method (Nocedal & Wright, Algorithms 7.4 and 3.1), written so the app can take one
iteration at a time and show the image between them:

    opt = LBFGS(f, x0)          # f(x) -> (loss, gradient), both at x (a float64 vector)
    for _ in range(100):
        opt.step()              # one iteration: a direction, a line search, a history update
    opt.x, opt.loss

Only pairs with sᵀy > 0 enter the history (curvature condition), so the implied Hessian stays positive
definite; a direction that is not downhill (a rounding accident) falls back to the steepest descent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]

ARMIJO_C = 1e-4  # sufficient-decrease constant of the line search (the usual choice)
SHRINK = 0.5  # step factor per backtrack
MAX_BACKTRACKS = 20


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """aᵀb without BLAS: numpy's threaded ddot stalls for milliseconds on a busy machine, and a plain
    elementwise product and pairwise sum gives the same bits whatever the thread count."""
    return float(np.multiply(a, b).sum())


class LBFGS:
    """Minimises f from x0; `history` pairs (s, y) of the last steps. Deterministic: no randomness."""

    def __init__(self, f: Objective, x0: np.ndarray, *, history: int = 10):
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise ValueError(f"LBFGS: history must be an integer >= 1, got {history!r}")
        x0 = np.asarray(x0, dtype=np.float64)
        if x0.ndim != 1 or x0.size == 0:
            raise ValueError(f"LBFGS: x0 must be a non-empty vector, got shape {x0.shape}")
        self.f = f
        self.x = x0.copy()
        self.loss, self.grad = self._evaluate(self.x)
        self.pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=history)
        self.iterations = 0
        self.evaluations = 1

    def _evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = self.f(x)
        loss = float(loss)
        grad = np.asarray(grad, dtype=np.float64).reshape(-1)
        if grad.shape != x.shape:
            raise ValueError(f"LBFGS: the gradient has {grad.size} entries, x has {x.size}")
        if not np.isfinite(loss) or not np.all(np.isfinite(grad)):
            raise FloatingPointError(f"LBFGS: the objective returned a non-finite value (loss {loss})")
        return loss, grad

    def direction(self) -> np.ndarray:
        """−H g by the two-loop recursion, H₀ = (sᵀy / yᵀy) I from the newest pair (the identity at first)."""
        q = -self.grad.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * _dot(s, q)
            q -= a * y
            alphas.append(a)
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= _dot(s, y) / _dot(y, y)
        for (s, y, rho), a in zip(self.pairs, reversed(alphas)):
            q += (a - rho * _dot(y, q)) * s
        return q

    def step(self) -> float:
        """One iteration; returns the new loss. At a stationary point (zero gradient) it stays put."""
        d = self.direction()
        slope = _dot(self.grad, d)
        if slope >= 0:  # not a descent direction: forget the history, go downhill
            self.pairs.clear()
            d, slope = -self.grad, -_dot(self.grad, self.grad)
            if slope == 0.0:
                return self.loss
        t = 1.0 if self.pairs else min(1.0, 1.0 / max(np.abs(self.grad).sum(), 1e-300))
        for _ in range(MAX_BACKTRACKS):
            x_new = self.x + t * d
            loss_new, grad_new = self._evaluate(x_new)
            self.evaluations += 1
            if loss_new <= self.loss + ARMIJO_C * t * slope:
                break
            t *= SHRINK
        else:  # no sufficient decrease: stay, and restart from the steepest descent next time
            self.pairs.clear()
            return self.loss
        s, y = x_new - self.x, grad_new - self.grad
        sy = _dot(s, y)
        if sy > 1e-10 * _dot(y, y):
            self.pairs.append((s, y, 1.0 / sy))
        self.x, self.loss, self.grad = x_new, loss_new, grad_new
        self.iterations += 1
        return self.loss


def minimize(f: Objective, x0: np.ndarray, *, steps: int, history: int = 10) -> tuple[np.ndarray, list[float]]:
    """`steps` L-BFGS iterations from x0: (x, losses), losses[0] at x0."""
    opt = LBFGS(f, x0, history=history)
    losses = [opt.loss]
    for _ in range(steps):
        losses.append(opt.step())
    return opt.x, losses

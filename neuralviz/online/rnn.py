"""A tanh RNN with a linear readout, its parameters in one flat float64 vector.

    h_t = tanh(W h_{t-1} + U x_t + b)        (the recurrent map F, parameters W, U, b)
    y_t = V h_t + c                           (the readout, parameters V, c)
    l_t = 1/2 m_t ||y_t - target_t||^2        (m_t in {0, 1} masks steps with no target)

Why a hand-written numpy cell and not the engine's RNN layer: online learners need pieces a
sequence layer does not expose — one step at a time, the forward-mode product (dF/dh) v, and
the backward product v^T (dF/dtheta) for an arbitrary v — and the parameters as one flat vector
so UORO's theta-tilde is a plain array. Online learning runs at batch 1, where every product is
a matrix-vector one: for 16 x 16 the backend's matmul takes 1.6 us a call against numpy's 1.5 us
(measured here, Xeon, float64), so the backend does not pay and this stays in numpy (float64, so
the exactness tests compare bit for bit and the unbiasedness test is not blurred by rounding).

The recurrent parameters come first in the flat vector: `theta[:recurrent_size]` are (W, U, b),
the only ones a learner must carry history for; (V, c) get their gradient from the current step.
"""

from __future__ import annotations

import numpy as np


def _positive_int(value, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be an integer >= 1, got {value!r:.60}")
    return int(value)


class TanhRNN:
    """The model every online learner trains; `theta` is the only state, shared views W, U, b, V, c."""

    def __init__(self, n_in: int = 1, hidden: int = 16, n_out: int = 1, seed: int = 0, gain: float = 0.9):
        self.n_in = _positive_int(n_in, "n_in", "TanhRNN")
        self.hidden = _positive_int(hidden, "hidden", "TanhRNN")
        self.n_out = _positive_int(n_out, "n_out", "TanhRNN")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"TanhRNN: seed must be an integer >= 0, got {seed!r:.60}")
        if not np.isfinite(gain) or gain <= 0:
            raise ValueError(f"TanhRNN: gain must be a finite number > 0, got {gain!r:.60}")
        n, m, o = self.hidden, self.n_in, self.n_out
        self._shapes = [("W", (n, n)), ("U", (n, m)), ("b", (n,)), ("V", (o, n)), ("c", (o,))]
        self.recurrent_size = n * n + n * m + n
        self.size = self.recurrent_size + o * n + o
        self.theta = np.zeros(self.size)
        rng = np.random.default_rng(seed)
        # gain/sqrt(n) puts W's spectral radius near `gain`: the state neither explodes nor forgets at once.
        self.W[:] = rng.standard_normal((n, n)) * (gain / np.sqrt(n))
        self.U[:] = rng.standard_normal((n, m))
        self.V[:] = rng.standard_normal((o, n)) * (1.0 / np.sqrt(n))

    def _view(self, name: str) -> np.ndarray:
        offset = 0
        for key, shape in self._shapes:
            count = int(np.prod(shape))
            if key == name:
                return self.theta[offset : offset + count].reshape(shape)
            offset += count
        raise KeyError(name)

    # Views into theta, rebuilt on access, so an in-place update of theta is seen by every step.
    W = property(lambda self: self._view("W"))
    U = property(lambda self: self._view("U"))
    b = property(lambda self: self._view("b"))
    V = property(lambda self: self._view("V"))
    c = property(lambda self: self._view("c"))

    def zero_state(self) -> np.ndarray:
        return np.zeros(self.hidden)

    def step(self, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        """F(x_t, h_{t-1}) -> h_t."""
        return np.tanh(self.W @ h + self.U @ x + self.b)

    def readout(self, h: np.ndarray, target: np.ndarray, mask: float) -> tuple[float, np.ndarray]:
        """Loss l_t and the output error e_t = m_t (y_t - target_t) (so dl/dy = e_t)."""
        e = mask * (self.V @ h + self.c - target)
        return 0.5 * float(e @ e), e

    def readout_grad(self, h: np.ndarray, e: np.ndarray) -> np.ndarray:
        """dl_t/d(V, c) flat: the part of the gradient that needs no history."""
        return np.concatenate([np.outer(e, h).ravel(), e])

    def recurrent_vjp(self, v: np.ndarray, x: np.ndarray, h_prev: np.ndarray, h: np.ndarray) -> np.ndarray:
        """v^T dF/d(W, U, b) at one step, flat (length recurrent_size); v is a gradient on h_t."""
        a = v * (1.0 - h * h)
        return np.concatenate([np.outer(a, h_prev).ravel(), np.outer(a, x).ravel(), a])

    def state_jvp(self, s: np.ndarray, h: np.ndarray) -> np.ndarray:
        """(dF/dh_{t-1}) s at one step, analytic (a finite difference is poor in float32, see the brief)."""
        return (1.0 - h * h) * (self.W @ s)

    def check_sequence(self, xs, targets, masks, where: str):
        """xs (T, n_in), targets (T, n_out), masks (T,) as float64 arrays, T >= 1, or a ValueError naming the misfit."""
        xs, targets, masks = (np.asarray(a, dtype=np.float64) for a in (xs, targets, masks))
        length = len(xs)
        expected = {"xs": (length, self.n_in), "targets": (length, self.n_out), "masks": (length,)}
        for name, array in zip(expected, (xs, targets, masks)):
            if array.shape != expected[name] or length < 1:
                shapes = f"xs.shape={xs.shape}, targets.shape={targets.shape}, masks.shape={masks.shape}"
                raise ValueError(
                    f"{where}: {name} must have shape {expected[name]} for a model with n_in={self.n_in}, "
                    f"n_out={self.n_out} and T >= 1 ({shapes})"
                )
        return xs, targets, masks

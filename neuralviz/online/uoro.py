"""UORO: Unbiased Online Recurrent Optimization (Tallec & Ollivier, ICLR 2018).

RTRL carries the influence matrix G_t = dh_t/dtheta (hidden x params: n*P floats) forward in
time and is exact and online, but costs n^2*P per step. UORO keeps a rank-one estimate instead,
two vectors s~ (n) and theta~ (P) with E[s~ theta~^T] = G_t — the NoBackTrack idea (Ollivier,
Tallec & Charpiat 2015) with one global random sign vector. Each step:

    s~      <- rho0 (dF/dh) s~ + rho1 nu            nu in {-1, +1}^n, i.i.d. signs
    theta~  <- theta~ / rho0 + (nu^T dF/dtheta) / rho1
    g_t     =  (dl_t/dh_t . s~) theta~ + dl_t/dtheta|direct

The signs make the cross terms vanish in expectation (E[nu nu^T] = I), so g_t is unbiased for
fixed theta whatever rho0, rho1 > 0 are; rho0 = sqrt(|theta~| / |(dF/dh) s~|) and
rho1 = sqrt(|nu^T dF/dtheta| / |nu|) balance the two factors' norms, which minimises the
variance of the estimate (the paper's Proposition 1). eps keeps the ratios finite at the start,
when s~ = theta~ = 0 (1e-7, as petered/uoro-demo).

memory_floats = n + P_recurrent: s~ and theta~, constant in the sequence length. The price is
noise: the estimate is unbiased only for fixed theta and its variance needs a smaller learning
rate than exact gradients (the sequences brief measured UORO diverging at a step RTRL takes).
"""

from __future__ import annotations

import numpy as np

from .adam import Adam
from .rnn import TanhRNN

_EPS = 1e-7


class UoroState:
    """The rank-one influence estimate (s~, theta~) and its update; separate so tests can drive it with theta fixed."""

    def __init__(self, model: TanhRNN, rng: np.random.Generator):
        self.model, self.rng = model, rng
        self.s = np.zeros(model.hidden)
        self.theta = np.zeros(model.recurrent_size)

    def advance(self, x: np.ndarray, h_prev: np.ndarray, h: np.ndarray) -> None:
        """Fold the step h_prev -> h into the estimate: afterwards E[s~ theta~^T] = dh/dtheta_recurrent."""
        js = self.model.state_jvp(self.s, h)
        nu = self.rng.choice((-1.0, 1.0), size=self.model.hidden)
        vjp = self.model.recurrent_vjp(nu, x, h_prev, h)
        rho0 = np.sqrt((np.linalg.norm(self.theta) + _EPS) / (np.linalg.norm(js) + _EPS))
        rho1 = np.sqrt((np.linalg.norm(vjp) + _EPS) / (np.linalg.norm(nu) + _EPS))
        self.s = rho0 * js + rho1 * nu
        self.theta = self.theta / rho0 + vjp / rho1

    def gradient(self, h: np.ndarray, e: np.ndarray) -> np.ndarray:
        """The unbiased estimate of dl_t/dtheta (flat, full size) from the output error e_t."""
        dh = self.model.V.T @ e
        return np.concatenate([(dh @ self.s) * self.theta, self.model.readout_grad(h, e)])


def uoro_sequence_gradient(model: TanhRNN, xs, targets, masks, rng: np.random.Generator) -> np.ndarray:
    """One UORO estimate of d(sum_t l_t)/dtheta over a sequence, theta held fixed (what the tests average)."""
    xs, targets, masks = model.check_sequence(xs, targets, masks, "uoro_sequence_gradient")
    state, h, grad = UoroState(model, rng), model.zero_state(), np.zeros(model.size)
    for x, target, mask in zip(xs, targets, masks):
        h_prev, h = h, model.step(x, h)
        state.advance(x, h_prev, h)
        grad += state.gradient(h, model.readout(h, target, mask)[1])
    return grad


class UORO:
    """Online learner: an Adam step after every time step, from UORO's estimate; no history kept."""

    label = "UORO"

    def __init__(self, model: TanhRNN, lr: float = 1e-3, seed: int = 0):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"UORO: seed must be an integer >= 0, got {seed!r:.60}")
        self.model = model
        self.optimizer = Adam(model.size, lr)
        self.rng = np.random.default_rng(seed)
        self.memory_floats = model.hidden + model.recurrent_size
        self.losses: list[float] = []

    def train_sequence(self, xs, targets, masks) -> np.ndarray:
        """Train on one sequence from the zero state (zero state: zero influence, so s~ = theta~ = 0)."""
        xs, targets, masks = self.model.check_sequence(xs, targets, masks, "UORO.train_sequence")
        state, h = UoroState(self.model, self.rng), self.model.zero_state()
        losses = np.zeros(len(xs))
        for t, x in enumerate(xs):
            h_prev, h = h, self.model.step(x, h)
            state.advance(x, h_prev, h)
            losses[t], e = self.model.readout(h, targets[t], masks[t])
            self.optimizer.update(self.model.theta, state.gradient(h, e))
        self.losses.extend(losses.tolist())
        return losses

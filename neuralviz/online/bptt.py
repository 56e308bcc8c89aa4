"""Backpropagation through time: full (one update per sequence) and truncated (one per window of k steps).

Both are the same computation, `bptt_window`: run the window forward storing every hidden state,
then walk it backward. Full BPTT is one window the length of the sequence; truncated BPTT(k)
cuts the sequence into windows of k, carries the hidden state across a cut but not the
gradient, and so is blind to any dependency longer than k (Williams & Peng 1990). With k >= T
the two are the same code path on the same window, hence equal exactly.

memory_floats counts the hidden states a learner holds for its backward pass (the current
state, which every method keeps, excluded): T*hidden for full BPTT, min(k, T)*hidden truncated.
"""

from __future__ import annotations

import numpy as np

from .adam import Adam
from .rnn import TanhRNN, _positive_int


def bptt_window(model: TanhRNN, h0: np.ndarray, xs, targets, masks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Losses per step, the gradient of their sum over the window (flat), and the last hidden state.

    The gradient stops at h0: the window's start state is treated as a constant (truncation).
    """
    hs = [h0]
    losses, errors = np.zeros(len(xs)), []
    for t, x in enumerate(xs):
        hs.append(model.step(x, hs[-1]))
        losses[t], e = model.readout(hs[-1], targets[t], masks[t])
        errors.append(e)
    grad = np.zeros(model.size)
    rec, out = grad[: model.recurrent_size], grad[model.recurrent_size :]
    dh = np.zeros(model.hidden)
    for t in range(len(xs) - 1, -1, -1):
        out += model.readout_grad(hs[t + 1], errors[t])
        dh = dh + model.V.T @ errors[t]
        rec += model.recurrent_vjp(dh, xs[t], hs[t], hs[t + 1])
        dh = model.W.T @ (dh * (1.0 - hs[t + 1] ** 2))
    return losses, grad, hs[-1]


class TruncatedBPTT:
    """Truncated BPTT with window `k`: an Adam step after every k steps (and at the sequence end)."""

    label = "truncated BPTT"

    def __init__(self, model: TanhRNN, k: int, lr: float = 1e-3):
        self.model = model
        self.k = _positive_int(k, "k", type(self).__name__)
        self.optimizer = Adam(model.size, lr)
        self.memory_floats = 0  # the most floats held about the past so far (hidden states stored)
        self.losses: list[float] = []  # one per training step, masked steps included as 0

    def train_sequence(self, xs, targets, masks) -> np.ndarray:
        """Train on one sequence starting from the zero state; returns its per-step losses."""
        xs, targets, masks = self.model.check_sequence(xs, targets, masks, f"{type(self).__name__}.train_sequence")
        h, out, k = self.model.zero_state(), [], self._window(len(xs))
        for start in range(0, len(xs), k):
            end = start + k
            losses, grad, h = bptt_window(self.model, h, xs[start:end], targets[start:end], masks[start:end])
            self.memory_floats = max(self.memory_floats, len(losses) * self.model.hidden)
            self.optimizer.update(self.model.theta, grad)
            out.append(losses)
        losses = np.concatenate(out)
        self.losses.extend(losses.tolist())
        return losses

    def _window(self, length: int) -> int:
        return self.k


class FullBPTT(TruncatedBPTT):
    """Full BPTT: the whole sequence is one window, so its memory grows with the sequence length T."""

    label = "full BPTT"

    def __init__(self, model: TanhRNN, lr: float = 1e-3):
        super().__init__(model, k=1, lr=lr)
        self.k = None  # no window: each sequence is one

    def _window(self, length: int) -> int:
        return max(length, 1)

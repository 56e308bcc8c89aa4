"""Streams for online training: sequences whose targets depend on inputs a set number of steps back.

`lag_sequences`: the input is a random sign per step, the target at step t is the input at step
t - lag (no target for t < lag: mask 0). Predicting 0 scores loss 1/2 per masked-in step, the
level a learner that cannot reach `lag` steps back stays at. With a truncation window k < lag,
truncated BPTT never sees a gradient linking a target to its input, so this is the task where
"memory longer than the truncation" is the whole difficulty.
"""

from __future__ import annotations

import numpy as np

from .rnn import _positive_int


def lag_sequences(count: int, length: int, lag: int, seed: int = 0):
    """`count` sequences (xs, targets, masks) of `length` steps: xs (count, length, 1), masks (count, length)."""
    count = _positive_int(count, "count", "lag_sequences")
    length = _positive_int(length, "length", "lag_sequences")
    lag = _positive_int(lag, "lag", "lag_sequences")
    if lag >= length:
        raise ValueError(f"lag_sequences: lag {lag} must be shorter than the sequence length {length}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"lag_sequences: seed must be an integer >= 0, got {seed!r:.60}")
    rng = np.random.default_rng(seed)
    xs = rng.choice((-1.0, 1.0), size=(count, length, 1))
    targets = np.zeros_like(xs)
    targets[:, lag:] = xs[:, :-lag]
    masks = np.zeros((count, length))
    masks[:, lag:] = 1.0
    return xs, targets, masks

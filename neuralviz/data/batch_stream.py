"""BatchStream: the one source of minibatch order in neuralviz.

Every place that trains on minibatches (Trainer.step loops, Trainer.train_steps and fit on
either path, the fused C++ path, nv.compare, and the app's pages) draws its sample indices
from a BatchStream, so the same seed gives the same batches everywhere.

    stream = nv.data.BatchStream(len(x), 10, seed=0)
    idx = stream.next_batch()           # (10,) int64 indices; next(stream) is the same
    order = stream.take(100 * 10)       # the next 100 batches, flat (what the fused path eats)
    stream.batch_size = 25              # carries on from the same place in the sample stream

The stream (decided in issue 15; the fused kernel needs every batch at full size):

* Epoch after epoch, each epoch is a fresh permutation ``rng.permutation(n)`` drawn from
  ``rng = np.random.default_rng(seed)`` (or from the Generator given as ``seed``, which then
  advances). A permutation is drawn only when its first index is needed.
* The epochs are concatenated into one endless stream of sample indices, cut into
  consecutive batches of exactly ``batch_size``: a batch may span the end of one epoch and the
  start of the next. No batch is ever short, and no sample is skipped.
* ``batch_size`` larger than ``n`` is clamped to ``n`` (a batch never repeats a sample within
  one epoch).
* ``take(k * b)`` equals the concatenation of ``k`` calls of ``next_batch()`` at size ``b``:
  both read the same sample stream, so a caller may mix them freely.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BatchStream"]


class BatchStream:
    """An endless iterator of int64 index arrays into a training set of ``n`` samples.

    Attributes: ``n``; ``batch_size`` (settable: the app's live slider; the stream carries on
    from the same sample); ``samples_seen`` (indices handed out so far); ``epoch`` (float,
    samples_seen / n); ``steps_per_epoch`` (batches that cover n samples, rounded up: what
    Trainer.fit calls an epoch). See the module doc for the exact order.
    """

    def __init__(self, n: int, batch_size: int, *, seed: int | np.random.Generator):
        self._n = _count("n", n)
        self._batch = min(_count("batch_size", batch_size), self._n)
        self._rng = _generator(seed)
        self._epoch_order = np.empty(0, dtype=np.int64)  # the current epoch's permutation
        self._pos = 0  # how many of its indices have been handed out
        self._seen = 0

    # ------------------------------------------------------------------ reading the stream
    def take(self, count: int) -> np.ndarray:
        """The next ``count`` sample indices, flat (a new int64 array; count may be 0).

        Draws one permutation per epoch, in order: never several epochs in one vectorised
        shuffle, since that would give other numbers than batch-by-batch reading."""
        need = _count("count", count, low=0)
        parts = []
        while need:
            if self._pos == len(self._epoch_order):
                self._epoch_order = self._rng.permutation(self._n).astype(np.int64, copy=False)
                self._pos = 0
            part = self._epoch_order[self._pos : self._pos + need]
            parts.append(part)
            self._pos += len(part)
            need -= len(part)
        self._seen += int(count)
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def next_batch(self) -> np.ndarray:
        """The next batch: ``batch_size`` sample indices."""
        return self.take(self._batch)

    def __next__(self) -> np.ndarray:
        return self.next_batch()

    def __iter__(self) -> BatchStream:
        return self

    # ------------------------------------------------------------------ state
    @property
    def n(self) -> int:
        return self._n

    @property
    def batch_size(self) -> int:
        return self._batch

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch = min(_count("batch_size", value), self._n)

    @property
    def samples_seen(self) -> int:
        return self._seen

    @property
    def epoch(self) -> float:
        return self._seen / self._n

    @property
    def steps_per_epoch(self) -> int:
        return -(-self._n // self._batch)

    def __repr__(self) -> str:
        return f"BatchStream(n={self._n}, batch_size={self._batch}, samples_seen={self._seen})"


def _count(name: str, value, low: int = 1) -> int:
    """value as an int >= low; ValueError naming the argument otherwise (bools are not counts)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"BatchStream: {name} must be an integer >= {low}, got {value!r:.60}")
    return int(value)


def _generator(seed) -> np.random.Generator:
    """A Generator from an int seed >= 0, or the Generator itself (shared: it advances)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"BatchStream: seed must be an integer >= 0 or a numpy Generator, got {seed!r:.60}")
    return np.random.default_rng(int(seed))

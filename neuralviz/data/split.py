"""Seeded train/test splitting shared by the generators."""

from __future__ import annotations

import numpy as np


def test_count(n: int, test_fraction: float) -> int:
    return int(round(n * test_fraction))


def split_indices(
    n: int, test_fraction: float, rng: np.random.Generator, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, test_idx), each in shuffled order.

    With `labels` the split is stratified: every class gives round(count * test_fraction) examples to the test
    set, so small data sets (digits) keep their class balance in both halves.
    """
    if labels is None:
        order = rng.permutation(n)
        n_test = test_count(n, test_fraction)
        return order[n_test:], order[:n_test]
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = test_count(len(members), test_fraction)
        test.append(members[:k])
        train.append(members[k:])
    train_idx = np.concatenate(train)
    test_idx = np.concatenate(test)
    return rng.permutation(train_idx), rng.permutation(test_idx)


def check_split_sizes(dataset: str, n: int, test_fraction: float) -> None:
    """Refuse an n so small that the training set would be empty."""
    if n - test_count(n, test_fraction) < 1:
        raise ValueError(
            f"load({dataset!r}): option n={n} leaves no training examples with test_fraction={test_fraction}"
        )


def train_test(
    x: np.ndarray, y: np.ndarray, test_fraction: float, rng: np.random.Generator, stratify: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_train, y_train, x_test, y_test (C-contiguous copies)."""
    train_idx, test_idx = split_indices(len(x), test_fraction, rng, y if stratify else None)
    return (
        np.ascontiguousarray(x[train_idx]),
        np.ascontiguousarray(y[train_idx]),
        np.ascontiguousarray(x[test_idx]),
        np.ascontiguousarray(y[test_idx]),
    )

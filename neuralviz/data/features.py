"""The TensorFlow Playground's hand-made input features for 2-D data."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

_FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}

# The Playground's feature list, in its order.
PLAYGROUND_FEATURES: list[str] = list(_FEATURES)


def expand_features(x2d: np.ndarray, features: Sequence[str] = ("x1", "x2")) -> np.ndarray:
    """Columns `features` (names from PLAYGROUND_FEATURES) computed from 2-D points x2d (N, 2).

    Returns (N, len(features)) in x2d's float dtype (float64 for integer input), features in the order given,
    so a network trained on ["x1^2", "x2^2"] sees exactly those two columns.
    """
    x2d = np.asarray(x2d)
    if x2d.ndim != 2 or x2d.shape[1] != 2:
        raise ValueError(f"expand_features: x2d must have shape (N, 2), got {x2d.shape}")
    if isinstance(features, str):
        features = [features]
    features = list(features)
    if not features:
        raise ValueError("expand_features: features is empty; choose from " + ", ".join(PLAYGROUND_FEATURES))
    for name in features:
        if name not in _FEATURES:
            raise ValueError(
                f"expand_features: unknown feature {name!r}; choose from " + ", ".join(PLAYGROUND_FEATURES)
            )
    if len(set(features)) != len(features):
        raise ValueError(f"expand_features: features repeat a name: {features}")
    if not np.issubdtype(x2d.dtype, np.floating):
        x2d = x2d.astype(np.float64)
    x1, x2 = x2d[:, 0], x2d[:, 1]
    out = np.empty((x2d.shape[0], len(features)), dtype=x2d.dtype)
    for j, name in enumerate(features):
        out[:, j] = _FEATURES[name](x1, x2)
    return out

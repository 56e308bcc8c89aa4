"""Reading a network's outputs: predictions, class probabilities, labels and accuracy, in one place.

The trainer, `nv.compare` and every page of the app read outputs the same way, so "accuracy" or "the
probability of class 1" means one thing everywhere. How an output is read depends on the loss it was
trained with:

* ``cross_entropy``: logits, one per class; probabilities are their softmax, the label the largest.
* ``bce``: one logit per output unit; p = sigmoid(logit), a unit says "yes" when its logit is > 0.
* ``mse``: values. One unit trained on 0/1 labels (the perceptron, regression on labels) says "1" above
  0.5 and its probability is the value clipped to [0, 1]; several units trained on one-hot rows give
  probabilities as the clipped values normalised to sum 1 (uniform when no unit is positive), the label
  the largest.

No Qt; numpy in, numpy out. Outputs may carry extra axes before the last one (a label per time step):
everything acts on the last axis.
"""

from __future__ import annotations

import numpy as np

from .losses import LOSSES

__all__ = ["predict", "probabilities", "predict_labels", "hits", "accuracy"]

PREDICT_BATCH = 4096  # rows per forward pass: bounds the activations' memory on big inputs


def predict(net, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """net's outputs for x in evaluation mode (no dropout, no noise), `batch_size` rows per forward pass.

    One forward pass when x fits in a batch, so `net.outputs` then holds every layer's output for all of x
    (the app's neuron maps read them)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"predict: batch_size must be an integer >= 1, got {batch_size!r:.60}")
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"predict: x must hold at least one example, got shape {x.shape}")
    outs = [net.forward(x[i : i + batch_size], train=False) for i in range(0, len(x), batch_size)]
    return outs[0] if len(outs) == 1 else np.concatenate(outs)


def probabilities(out: np.ndarray, loss: str) -> np.ndarray:
    """Outputs -> probabilities (float64): (...,) p(class 1) for one output unit, (..., K) class
    probabilities for K units. NaN outputs (a diverging run) give NaN, never an error or a warning."""
    _check_loss("probabilities", loss)
    out = np.asarray(out, dtype=np.float64)
    with np.errstate(all="ignore"):
        if out.shape[-1] == 1:
            v = out[..., 0]
            # the sigmoid as 0.5 (1 + tanh(v / 2)): no overflow for the huge logits of a diverging run
            return 0.5 * (1.0 + np.tanh(0.5 * v)) if loss == "bce" else np.clip(v, 0.0, 1.0)
        if loss == "cross_entropy":
            e = np.exp(out - out.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        if loss == "bce":  # independent units (multi-label): each its own sigmoid
            return 0.5 * (1.0 + np.tanh(0.5 * out))
        p = np.clip(out, 0.0, None)
        total = p.sum(axis=-1, keepdims=True)
        return np.where(total > 1e-12, p / np.maximum(total, 1e-12), 1.0 / out.shape[-1])


def predict_labels(out: np.ndarray, loss: str) -> np.ndarray:
    """Outputs -> int64 class labels (one per example, or per time step): the largest of several units;
    for one unit, 1 when its logit is > 0 (bce) or its value > 0.5 (mse)."""
    _check_loss("predict_labels", loss)
    out = np.asarray(out)
    if out.shape[-1] == 1:
        return (out[..., 0] > (0.0 if loss == "bce" else 0.5)).astype(np.int64)
    return out.argmax(axis=-1).astype(np.int64, copy=False)


def hits(out: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Boolean array, one entry per prediction: whether it is right.

    y: integer labels (cross_entropy; or mse / bce on labels), or the loss's targets (0/1 columns for bce
    and mse, one-hot rows for mse). bce scores each output unit on its own (logit > 0 against target >
    0.5), so a multi-label output gets one entry per unit; otherwise one entry per label."""
    _check_loss("hits", loss)
    out, y = np.asarray(out), np.asarray(y)
    if loss == "bce":
        return (out > 0) == (y.reshape(out.shape) > 0.5)
    if loss == "cross_entropy":
        return out.argmax(axis=-1) == y.reshape(out.shape[:-1])
    predicted = predict_labels(out, loss)
    if y.shape == out.shape:  # the mse targets themselves: a 0/1 column or one-hot rows
        y = (y[..., 0] > 0.5) if out.shape[-1] == 1 else y.argmax(axis=-1)
    return predicted == y.reshape(predicted.shape)


def accuracy(out: np.ndarray, y: np.ndarray, loss: str) -> float:
    """The share of right predictions (see `hits`); NaN for no examples."""
    right = hits(out, y, loss)
    return float(right.mean()) if right.size else float("nan")


def _check_loss(fn: str, loss: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"{fn}: unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")

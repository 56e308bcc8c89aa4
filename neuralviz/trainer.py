"""Trainer: the training loop around a network, a loss and an optimizer.

Deterministic for a given seed (minibatch order and dropout/noise draws both come from
it). Divergence to NaN/inf stops training with TrainingDiverged instead of carrying on
with garbage weights; callbacks can stop a run early by returning True.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

import numpy as np

from . import losses
from .network import Network


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the message says at which step and what to try."""


class Callback:
    """Override what you need; return True from a hook to stop training."""

    def on_step(self, trainer: Trainer, step: int, loss: float) -> bool | None:
        return None

    def on_epoch(self, trainer: Trainer, epoch: int, logs: dict) -> bool | None:
        return None


class Trainer:
    def __init__(self, net: Network, loss: str, opt, seed: int = 0):
        self.net = net
        self.loss_name = loss
        self.loss_fn = losses.get(loss)
        self.opt = opt
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        net.reseed(self.seed)
        self.steps = 0
        self.epochs = 0
        self.history = {
            k: [] for k in ("epoch", "step", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds")
        }
        self._stop = False

    # ------------------------------------------------------------------ one step
    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One optimisation step on a minibatch; returns the loss before the update."""
        if len(x) == 0 or len(x) != len(y):
            raise ValueError(
                f"Trainer.step: need a non-empty batch with as many targets as inputs, "
                f"got {len(x)} inputs and {len(y)} targets"
            )
        self.net.zero_grad()
        out = self.net.forward(x, train=True)
        value, grad = self.loss_fn(out, y)
        if not np.isfinite(value):
            raise TrainingDiverged(
                f"loss became {value} at step {self.steps + 1} (optimizer {self.opt.name}, "
                f"learning rate {self.opt.lr:g}); lower the learning rate or add regularisation"
            )
        self.net.backward(grad, input_grad=False)
        self.opt.step((x, y, self.loss_name))
        self.steps += 1
        return float(value)

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> dict:
        """Mean loss (and accuracy for classification losses) without changing anything."""
        total, correct, counted, n = 0.0, 0, 0, len(x)
        if n == 0:
            return {"loss": float("nan")}
        for i in range(0, n, batch_size):
            out = self.net.forward(x[i : i + batch_size], train=False)
            value, _ = self.loss_fn(out, y[i : i + batch_size], grad=False)
            total += value * len(out)
            hits = self._hits(out, y[i : i + batch_size])
            correct += int(hits.sum())
            counted += hits.size
        logs = {"loss": total / n}
        if self.loss_name != "mse":
            logs["accuracy"] = correct / counted
        return logs

    def _hits(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean array: one entry per predicted label (per example, or per time step)."""
        y = np.asarray(y)
        if self.loss_name == "cross_entropy":
            return out.argmax(axis=-1) == y.reshape(out.shape[:-1])
        return (out > 0) == (y.reshape(out.shape) > 0.5)

    # ------------------------------------------------------------------ loop
    def stop(self) -> None:
        """Ask fit() to stop after the current step (thread-safe enough for a flag)."""
        self._stop = True

    def fit(
        self,
        ds,
        epochs: int = 1,
        batch_size: int = 32,
        callbacks: Iterable[Callback | object] = (),
        progress: bool | None = None,
    ) -> dict:
        """Trains for `epochs` passes over ds.x_train; evaluates on train and test sets
        after each epoch; returns the history dict (lists per epoch)."""
        if epochs < 1 or batch_size < 1:
            raise ValueError(f"fit: epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
        self.check_dataset(ds)
        callbacks = list(callbacks)
        show = sys.stderr.isatty() if progress is None else progress
        n = len(ds.x_train)
        per_epoch = (n + batch_size - 1) // batch_size
        self._stop = False
        start = shown = time.perf_counter()
        for _ in range(epochs):
            order = self.rng.permutation(n)
            for b in range(per_epoch):
                idx = order[b * batch_size : (b + 1) * batch_size]
                value = self.step(ds.x_train[idx], ds.y_train[idx])
                if any(getattr(cb, "on_step", None) and cb.on_step(self, self.steps, value) for cb in callbacks):
                    self._stop = True
                if show and (b + 1 == per_epoch or time.perf_counter() - shown > 0.1):
                    shown = time.perf_counter()
                    _progress_bar(self.epochs + 1, b + 1, per_epoch, value)
                if self._stop:
                    break
            self.epochs += 1
            logs = self._log_epoch(ds, time.perf_counter() - start)
            if show:
                print(f"\repoch {self.epochs}: " + _format_logs(logs), file=sys.stderr)
            if any(getattr(cb, "on_epoch", None) and cb.on_epoch(self, self.epochs, logs) for cb in callbacks):
                self._stop = True
            if self._stop:
                break
        return self.history

    def _log_epoch(self, ds, seconds: float) -> dict:
        train = self.evaluate(ds.x_train, ds.y_train)
        test = self.evaluate(ds.x_test, ds.y_test) if len(ds.x_test) else {}
        logs = {
            "train_loss": train["loss"],
            "train_accuracy": train.get("accuracy"),
            "test_loss": test.get("loss"),
            "test_accuracy": test.get("accuracy"),
        }
        for key, value in (("epoch", self.epochs), ("step", self.steps), ("seconds", seconds), *logs.items()):
            self.history[key].append(value)
        return logs

    def check_dataset(self, ds) -> None:
        """Clear errors before training: NaN/inf, input shape, label range."""
        for name in ("x_train", "y_train", "x_test", "y_test"):
            a = np.asarray(getattr(ds, name))
            if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                raise ValueError(f"dataset {getattr(ds, 'name', '')!r}: {name} contains NaN or inf")
        shape = tuple(ds.x_train.shape[1:])
        if shape != self.net.input_shape:
            raise ValueError(
                f"dataset {getattr(ds, 'name', '')!r} has inputs of shape {shape} but the "
                f"network expects {self.net.input_shape}"
            )
        if self.loss_name == "cross_entropy":
            classes = self.net.output_shape[-1]
            for name in ("y_train", "y_test"):
                y = np.asarray(getattr(ds, name))
                if y.size and (y.min() < 0 or y.max() >= classes):
                    raise ValueError(
                        f"dataset labels in {name} range over [{y.min()}, {y.max()}] but the "
                        f"network outputs {classes} classes"
                    )


def _format_logs(logs: dict) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if v is not None)


def _progress_bar(epoch: int, done: int, total: int, loss: float) -> None:
    width = 30
    filled = int(width * done / total)
    print(
        f"\repoch {epoch} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} loss {loss:.4f}",
        end="",
        file=sys.stderr,
        flush=True,
    )

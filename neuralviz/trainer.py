"""Trainer: the training loop around a network, a loss and an optimizer.

Deterministic for a given seed (minibatch order and dropout/noise draws both come from
it). Divergence stops training with TrainingDiverged instead of carrying on with garbage
weights; callbacks can stop a run early by returning True.

Divergence is either
  * a loss that is NaN or infinite, or
  * a runaway loss: one that stays above RUNAWAY_FACTOR (1000) times the reference loss for
    RUNAWAY_PATIENCE (50) steps in a row. The reference is the loss of the trainer's first
    step, but at least RUNAWAY_FLOOR (1.0), so a lucky near-zero first batch does not make
    ordinary losses look huge. A spike that comes back below the threshold resets the count.
    The rule is a RunawayDetector (usable on any stream of losses, e.g. the fused path's);
    tune it per trainer (trainer.runaway = RunawayDetector(factor=..., patience=...)) or turn
    it off (trainer.runaway = None).
Why these numbers: on all ten lecture presets, trained for their full preset epochs with
their own optimizers and rates (seeds 0 and 1, 300 to 5,000 steps each), the largest loss is
2.1 x the first one (spirals) and no single step is above 3 x, so 1000 x leaves a margin of
about 500; the natural-gradient comparison (sgd, momentum, adam, rmsprop, kfac, ng-exact, qd,
unitwise, diag, 300 steps) never trips it either. At lr=1e9, sgd, momentum, adam and rmsprop
on tanh MLPs, CNNs and LSTMs either reach NaN within a few steps or sit at losses of 1e5 to
1e38 and are stopped at step 51 (rmsprop at step 80 to 220).

Inputs are checked before they can pass for a learning-rate problem: NaN or inf in a batch
or a dataset is a ValueError naming the array, raised before any update.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable

import numpy as np

from . import losses
from .network import Network

RUNAWAY_FACTOR = 1e3
RUNAWAY_PATIENCE = 50
RUNAWAY_FLOOR = 1.0


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite, or ran away (stayed far above its first value); the
    message says at which step, with which learning rate, and what to try. Attributes: step
    (the trainer's 1-based step), lr, loss, reason ("non-finite" or "runaway")."""

    def __init__(
        self,
        message: str,
        *,
        step: int = 0,
        lr: float = float("nan"),
        loss: float = float("nan"),
        reason: str = "non-finite",
    ):
        super().__init__(message)
        self.step, self.lr, self.loss, self.reason = step, lr, loss, reason


class RunawayDetector:
    """The runaway-loss rule (see the module doc) over a stream of per-step losses.

        detector = RunawayDetector()
        i = detector.update(losses)  # index of the loss where the rule fires, or -1
        detector.message(i_loss, step, "optimizer sgd, learning rate 1e9")

    The first loss ever given is the reference (`initial`); `above` counts the steps in a row
    above the threshold so far, across calls."""

    def __init__(self, factor: float = RUNAWAY_FACTOR, patience: int = RUNAWAY_PATIENCE, floor: float = RUNAWAY_FLOOR):
        if not (_is_real(factor) and 1 < factor < math.inf):
            raise ValueError(f"RunawayDetector: factor must be a finite number > 1, got {factor!r:.60}")
        if not _is_int(patience) or patience < 1:
            raise ValueError(f"RunawayDetector: patience must be an integer >= 1, got {patience!r:.60}")
        if not (_is_real(floor) and 0 <= floor < math.inf):
            raise ValueError(f"RunawayDetector: floor must be a finite number >= 0, got {floor!r:.60}")
        self.factor, self.patience, self.floor = float(factor), int(patience), float(floor)
        self.initial: float | None = None
        self.above = 0

    @property
    def threshold(self) -> float:
        return self.factor * max(self.initial if self.initial is not None else 0.0, self.floor)

    def update(self, losses) -> int:
        """Feeds losses (a float or a 1-D array, in step order); returns the index within them at
        which the loss has been above the threshold for `patience` steps in a row, else -1."""
        if isinstance(losses, (float, int)):  # one step (the Trainer's case): no array work
            v = float(losses)
            if self.initial is None:
                self.initial = v
            self.above = self.above + 1 if v > self.threshold else 0
            return 0 if self.above >= self.patience else -1
        values = np.atleast_1d(np.asarray(losses, dtype=np.float64))
        if values.size == 0:
            return -1
        if self.initial is None:
            self.initial = float(values[0])
        above = values > self.threshold
        if above.all():
            runs = self.above + np.arange(1, values.size + 1)
        else:
            # length of the run of Trues ending at each index, continuing the count from earlier calls
            idx = np.arange(values.size)
            last_false = np.maximum.accumulate(np.where(~above, idx, -1))
            runs = np.where(above, idx - last_false, 0)
            runs = np.where(last_false < 0, runs + self.above, runs)
        fired = np.flatnonzero(runs >= self.patience)
        if fired.size:
            self.above = int(runs[fired[0]])
            return int(fired[0])
        self.above = int(runs[-1])
        return -1

    def message(self, loss: float, step: int, rate: str) -> str:
        return (
            f"loss ran away: {loss:.3g} at step {step}, above {self.threshold:.3g} ({self.factor:g} x the first "
            f"loss {self.initial:.3g}, or x {self.floor:g} if larger) for the last {self.above} steps ({rate}); "
            "lower the learning rate"
        )


class NonFiniteInput(TrainingDiverged, ValueError):
    """A batch holds NaN or inf: the loss would become NaN, but the cause is the data, not the
    learning rate. A ValueError (bad argument) and, for code that stops on divergence, a
    TrainingDiverged raised at the step it would have happened (reason "input")."""


class Callback:
    """Override what you need; return True from a hook to stop training."""

    def on_step(self, trainer: Trainer, step: int, loss: float) -> bool | None:
        return None

    def on_epoch(self, trainer: Trainer, epoch: int, logs: dict) -> bool | None:
        return None


class Trainer:
    def __init__(self, net: Network, loss: str, opt, seed: int = 0):
        if not isinstance(net, Network):
            raise TypeError(f"Trainer: net must be a Network, got {type(net).__name__}")
        if not isinstance(loss, str):
            raise TypeError(f"Trainer: loss must be a string ({', '.join(losses.LOSSES)}), got {type(loss).__name__}")
        if not callable(getattr(opt, "step", None)):
            raise TypeError(f"Trainer: opt must be an optimizer (see nv.optim.make), got {type(opt).__name__}")
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"Trainer: seed must be an integer >= 0, got {seed!r:.60}")
        self.net = net
        self.loss_name = loss
        self.loss_fn = losses.get(loss)
        self.opt = opt
        self.seed = int(seed)
        self.runaway: RunawayDetector | None = RunawayDetector()  # None: no runaway check
        self._first_step = True
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
        """One optimisation step on a minibatch; returns the loss before the update.

        ValueError/TypeError for a bad batch (empty, mismatched, non-numeric, NaN or inf);
        TrainingDiverged when the loss is NaN/inf or has run away (see the module doc)."""
        x, y = _batch_array("x", x), _batch_array("y", y)
        if len(x) == 0 or len(x) != len(y):
            raise ValueError(
                f"Trainer.step: need a non-empty batch with as many targets as inputs, "
                f"got {len(x)} inputs and {len(y)} targets"
            )
        for name, a in (("x", x), ("y", y)):
            if not _all_finite(a):
                raise NonFiniteInput(
                    f"Trainer.step: the batch's {name} contains NaN or inf at step {self.steps + 1}; the input data "
                    "is broken, not the learning rate",
                    step=self.steps + 1,
                    lr=self._lr(),
                    reason="input",
                )
        self.net.zero_grad()
        out = self.net.forward(x, train=True)
        value, grad = self.loss_fn(out, y)
        value = float(value)
        number = self.steps + 1
        if not np.isfinite(value):
            weights_ok = all(np.isfinite(p.value).all() for p in self.net.parameters())
            advice = (
                "; the weights are finite and this trainer has not updated them yet, so it is not the learning "
                "rate: check the scale of the inputs and targets"
                if self._first_step and weights_ok
                else "; lower the learning rate or add regularisation"
            )
            raise TrainingDiverged(
                f"loss became {value} at step {number} ({self._rate()}){advice}",
                step=number,
                lr=self._lr(),
                loss=value,
            )
        self._check_runaway(value, number)
        self.net.backward(grad, input_grad=False)
        self.opt.step((x, y, self.loss_name))
        self.steps += 1
        return value

    def _lr(self) -> float:
        try:
            return float(self.opt.lr)
        except (AttributeError, TypeError, ValueError):
            return float("nan")

    def _rate(self) -> str:
        return f"optimizer {getattr(self.opt, 'name', type(self.opt).__name__)}, learning rate {self._lr():g}"

    def _check_runaway(self, value: float, number: int) -> None:
        """TrainingDiverged once the loss has stayed far above the first loss for many steps."""
        self._first_step = False
        if self.runaway is not None and self.runaway.update(value) >= 0:
            raise TrainingDiverged(
                self.runaway.message(value, number, self._rate()),
                step=number,
                lr=self._lr(),
                loss=value,
                reason="runaway",
            )

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> dict:
        """Mean loss (and accuracy for classification losses) without changing anything."""
        batch_size = _positive_int("Trainer.evaluate", "batch_size", batch_size)
        x, y = _batch_array("x", x), _batch_array("y", y)
        if len(x) != len(y):
            raise ValueError(f"Trainer.evaluate: x has {len(x)} examples but y has {len(y)}")
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
        epochs = _positive_int("fit", "epochs", epochs)
        batch_size = _positive_int("fit", "batch_size", batch_size)
        if progress is not None and not isinstance(progress, bool):
            raise TypeError(f"fit: progress must be True, False or None, got {type(progress).__name__}")
        self.check_dataset(ds)
        try:
            callbacks = list(callbacks)
        except TypeError:
            raise TypeError(
                f"fit: callbacks must be a list of Callback objects, got {type(callbacks).__name__}"
            ) from None
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
        """Clear errors before training: missing or non-numeric arrays, an empty training set,
        mismatched lengths, NaN/inf, input shape, label range."""
        label = f"dataset {getattr(ds, 'name', '')!r}"
        for name in ("x_train", "y_train", "x_test", "y_test"):
            if not hasattr(ds, name):
                raise TypeError(f"{label}: a dataset needs x_train, y_train, x_test and y_test; {name} is missing")
            a = getattr(ds, name)
            if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf" or a.ndim == 0:
                kind = f"dtype {a.dtype}, shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
                raise TypeError(f"{label}: {name} must be a numeric numpy array with a batch axis, got {kind}")
            if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                bad = int(a.size - np.count_nonzero(np.isfinite(a)))
                raise ValueError(f"{label}: {name} contains NaN or inf ({bad} value(s)); fix the data before training")
        if len(ds.x_train) == 0:
            raise ValueError(f"{label}: x_train is empty; there is nothing to train on")
        for xs, ys in (("x_train", "y_train"), ("x_test", "y_test")):
            if len(getattr(ds, xs)) != len(getattr(ds, ys)):
                raise ValueError(
                    f"{label}: {xs} has {len(getattr(ds, xs))} examples but {ys} has {len(getattr(ds, ys))} labels"
                )
        shape = tuple(ds.x_train.shape[1:])
        if shape != self.net.input_shape:
            raise ValueError(
                f"dataset {getattr(ds, 'name', '')!r} has inputs of shape {shape} but the "
                f"network expects {self.net.input_shape}"
            )
        if len(ds.x_test) and tuple(ds.x_test.shape[1:]) != shape:
            raise ValueError(f"{label}: x_test has examples of shape {tuple(ds.x_test.shape[1:])}, x_train of {shape}")
        if self.loss_name == "cross_entropy":
            classes = self.net.output_shape[-1]
            for name in ("y_train", "y_test"):
                y = np.asarray(getattr(ds, name))
                if y.size and (y.min() < 0 or y.max() >= classes):
                    raise ValueError(
                        f"dataset labels in {name} range over [{y.min()}, {y.max()}] but the "
                        f"network outputs {classes} classes"
                    )


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v) -> bool:
    """A finite-or-infinite float-convertible number (not a bool, not an int beyond the float range)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        return False
    try:
        float(v)
    except OverflowError:
        return False
    return not math.isnan(v)


def _positive_int(fn: str, name: str, value) -> int:
    if not _is_int(value):
        raise TypeError(f"{fn}: {name} must be an integer, got {type(value).__name__} {value!r:.60}")
    if value < 1:
        raise ValueError(f"{fn}: {name} must be >= 1, got {value!r}")
    return int(value)


def _batch_array(name: str, a) -> np.ndarray:
    """a as a numeric array with a batch axis (TypeError naming it otherwise)."""
    if not isinstance(a, np.ndarray):
        try:
            a = np.asarray(a)
        except (ValueError, TypeError) as err:
            raise TypeError(f"Trainer: {name} must be a numeric array: {err}") from None
    if a.dtype.kind not in "biuf" or a.ndim == 0:
        raise TypeError(
            f"Trainer: {name} must be a numeric array with a batch axis, got dtype {a.dtype}, shape {a.shape}"
        )
    return a


def _all_finite(a: np.ndarray) -> bool:
    """Whether an array is free of NaN and inf (about 1 us for a Playground batch)."""
    return a.dtype.kind != "f" or bool(np.isfinite(a).all())


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

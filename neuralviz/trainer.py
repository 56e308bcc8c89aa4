"""Trainer: the training loop around a network, a loss and an optimizer.

Deterministic for a given seed (minibatch order and dropout/noise draws both come from
it, through separate generators). Divergence stops training with TrainingDiverged instead
of carrying on with garbage weights; callbacks can stop a run early by returning True.

Two paths, one result. `train_steps` and `fit` run plain SGD on a plain dense chain (the
Playground's networks) through the fused C++ kernel (fastpath.py: many steps per call, GIL
released) and everything else step by step through the layers; the trainer picks, and says
which in `trainer.path` ("fused" or "layers") and why in `trainer.path_reason`. Both paths
train on the same batches with the same formulas (equal to rounding), count steps in
`trainer.steps` and `opt.steps` alike, and stop on divergence at the same step with the
same weights. Minibatches come from one BatchStream per trainer (`trainer.stream`).

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
from typing import TYPE_CHECKING

import numpy as np

from . import backend, losses
from .data.batch_stream import BatchStream
from .losses import is_per_pixel
from .network import Network
from .prediction import hits

if TYPE_CHECKING:  # fastpath imports this module's error types, so the trainer imports it late
    from .fastpath import FusedMlpPlan

RUNAWAY_FACTOR = 1e3
RUNAWAY_PATIENCE = 50
RUNAWAY_FLOOR = 1.0
FUSED_REASON = "plain SGD on a dense chain: many steps per C++ call, GIL released"


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
        if not above[-1] and not above.any():  # the usual case, and the fused path's per-call cost: be quick
            self.above = 0
            return -1
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
    """Trains net on loss with opt. seed fixes the minibatch order (the trainer's BatchStream,
    `BatchStream(n, batch_size, seed=seed)`) and the dropout/noise draws (net.reseed(seed),
    generators of their own).

    The stream: `train_steps(x, y, k, b)` trains on its next k batches, so a fresh
    `Trainer(..., seed=s).train_steps(x, y, k, b)` trains on the first k batches of
    `BatchStream(len(x), b, seed=s)`, exactly as `step(x[idx], y[idx])` over them would.
    Consecutive train_steps and fit calls continue the one stream; a new batch size continues
    it at the new size; data of another length start a new stream (seeded with seed again);
    `reset_stream()` starts one over after the data changed at the same length.
    """

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
        self._path: tuple[str, str] | None = None  # (path, reason) of the last train_steps / fit
        self.opt = opt
        self.seed = int(seed)
        self.runaway: RunawayDetector | None = RunawayDetector()  # None: no runaway check
        self._first_step = True
        # kept for scripts that shuffle on their own; the trainer's minibatches come from self.stream
        self.rng = np.random.default_rng(self.seed)
        self._stream: BatchStream | None = None
        self._allow_fused = True  # False: always the layer path (tests compare the two)
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
        with backend.step_lock:  # a backend switch from another thread waits for the step's end
            self.net.zero_grad()
            out = self.net.forward(x, train=True)
            value, grad = self.loss_fn(out, y)
            value = float(value)
            number = self.steps + 1
            if not np.isfinite(value):
                raise self._non_finite(value, number)
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
            raise self._ran_away(value, number)

    def _non_finite(self, value: float, number: int) -> TrainingDiverged:
        """The error for a NaN/inf loss at step `number`, with advice on its likely cause."""
        weights_ok = all(np.isfinite(p.value).all() for p in self.net.parameters())
        advice = (
            "; the weights are finite and this trainer has not updated them yet, so it is not the learning "
            "rate: check the scale of the inputs and targets"
            if self._first_step and weights_ok
            else "; lower the learning rate or add regularisation"
        )
        message = f"loss became {value} at step {number} ({self._rate()}){advice}"
        return TrainingDiverged(message, step=number, lr=self._lr(), loss=value)

    def _ran_away(self, value: float, number: int) -> TrainingDiverged:
        message = self.runaway.message(value, number, self._rate())
        return TrainingDiverged(message, step=number, lr=self._lr(), loss=value, reason="runaway")

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
            if self.loss_name == "mse":  # no accuracy to report (and an image target has no label to compare)
                continue
            hits = self._hits(out, y[i : i + batch_size])
            correct += int(hits.sum())
            counted += hits.size
        logs = {"loss": total / n}
        if self.loss_name != "mse":
            logs["accuracy"] = correct / counted
            if is_per_pixel((n, *self.net.output_shape), y.shape):
                logs["pixel_accuracy"] = logs["accuracy"]
        return logs

    def _hits(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean array: one entry per predicted label (per example, per time step, or per pixel)."""
        if self.loss_name == "cross_entropy" and is_per_pixel(out.shape, np.shape(y)):
            return out.argmax(axis=1) == y  # segmentation: "accuracy" is the pixel accuracy
        return hits(out, y, self.loss_name)

    @property
    def opt(self):
        """The optimizer: the one place the learning rate, weight decay and L1 live."""
        return self._opt

    @opt.setter
    def opt(self, opt) -> None:
        self._opt = opt
        self._path = None  # the path depends on the optimizer: work it out again
        # an update written in numpy keeps the network in host memory under a GPU backend
        name = getattr(opt, "name", type(opt).__name__)
        self.net.host_only = "" if getattr(opt, "on_device", False) else f"optimizer {name!r} has no device kernels"

    # ------------------------------------------------------------------ many steps, on the path that fits
    def train_steps(self, x: np.ndarray, y: np.ndarray, steps: int, batch_size: int) -> np.ndarray:
        """`steps` SGD steps on the next `steps` batches of this trainer's stream over (x, y);
        returns their losses (float64, each the loss before that step's update).

        Takes the fused path when it can (see `path`): then the whole call is one C++ call.
        The call takes its stretch of the stream up front, so one that stops early (a
        TrainingDiverged, with trainer.steps counting the steps done) has still used it.
        batch_size above len(x) is clamped to len(x), as the stream does. See the class doc
        for how consecutive calls share the stream."""
        steps = _count("Trainer.train_steps", "steps", steps, low=0)
        batch_size = _positive_int("Trainer.train_steps", "batch_size", batch_size)
        x, y = _batch_array("x", x), _batch_array("y", y)
        if len(x) == 0 or len(x) != len(y):
            raise ValueError(
                f"Trainer.train_steps: need a non-empty training set with as many targets as inputs, "
                f"got {len(x)} inputs and {len(y)} targets"
            )
        plan = self._choose_path(x.ndim, ())
        stream = self._stream_for(len(x), batch_size)
        order = stream.take(steps * stream.batch_size)
        if plan is not None and not (_rows_finite(x, order) and _rows_finite(y, order)):
            self._path = ("layers", "the data hold NaN or inf: the layer path finds the batch and says so")
            plan = None
        if plan is not None:
            return self._fused_steps(plan, x, y, order, stream.batch_size)
        batches = order.reshape(steps, stream.batch_size)
        return np.array([self.step(x[idx], y[idx]) for idx in batches], dtype=np.float64)

    @property
    def stream(self) -> BatchStream | None:
        """The BatchStream train_steps and fit read (None until the first of them)."""
        return self._stream

    def reset_stream(self) -> None:
        """Start the minibatch order over (BatchStream(n, batch_size, seed=self.seed) at the next
        train_steps / fit): for new data of the same length, which would otherwise continue."""
        self._stream = None

    def _stream_for(self, n: int, batch_size: int) -> BatchStream:
        """The stream over n samples at this batch size: the current one, continued, unless n changed."""
        if self._stream is None or self._stream.n != n:
            self._stream = BatchStream(n, batch_size, seed=self.seed)
        else:
            self._stream.batch_size = batch_size
        return self._stream

    @property
    def path(self) -> str:
        """The path of the last train_steps / fit, "fused" or "layers" (before any, the path
        they would take on a batch of feature vectors with no on_step callback)."""
        return self._path_and_reason()[0]

    @property
    def path_reason(self) -> str:
        """A sentence saying why `path` was (or would be) taken."""
        return self._path_and_reason()[1]

    def _path_and_reason(self) -> tuple[str, str]:
        if self._path is not None:
            return self._path
        plan = self._fused_plan(len(self.net.input_shape) + 1, ())
        return ("layers", plan) if isinstance(plan, str) else ("fused", plan.reason)

    def _choose_path(self, x_ndim: int, callbacks) -> FusedMlpPlan | None:
        """The fused plan for this call, or None for the layer path; records path and reason."""
        self.net.follow_backend()  # where the network lives decides the path (the fused kernel is the CPU's)
        plan = self._fused_plan(x_ndim, callbacks)
        self._path = ("layers", plan) if isinstance(plan, str) else ("fused", plan.reason)
        return None if isinstance(plan, str) else plan

    def _fused_plan(self, x_ndim: int, callbacks) -> FusedMlpPlan | str:
        """fastpath's plan when network, loss, optimizer, data and callbacks all qualify, else the reason why not."""
        from . import fastpath  # here, not at the top: fastpath imports this module's error types

        name = getattr(self.opt, "name", type(self.opt).__name__)
        schedule = getattr(self.opt, "schedule_name", None)
        if not self._allow_fused:
            return "the fused path is switched off for this trainer"
        if self.net.device is not None:
            return f"the {self.net.device.name} backend trains through the layers (the fused path is a CPU kernel)"
        if any(_has_on_step(cb) for cb in callbacks):
            return "a callback has on_step, which needs the per-step layer path"
        if name != "sgd" or schedule is None:
            return f"optimizer {name!r} is not plain SGD"
        if schedule != "constant":
            return f"the learning rate follows the {schedule!r} schedule; the fused path takes one constant rate"
        if self.loss_name not in fastpath._LOSS_CODES:
            return f"the fused path has no loss {self.loss_name!r}"
        if x_ndim != 2:
            return f"the inputs are not feature vectors (x has {x_ndim} axes, the fused path takes 2)"
        return fastpath._plan_or_reason(self.net)

    def _fused_steps(
        self, plan: FusedMlpPlan, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch: int
    ) -> np.ndarray:
        """The steps of `order` in one fused call; counts and divergence as Trainer.step does them.

        The rate comes from the optimizer (opt.lr, constant here), as on the layer path."""
        from . import fastpath

        opt = self.opt
        try:
            losses = fastpath.train_steps(
                self.net,
                x,
                y,
                self.loss_name,
                opt.lr,
                order,
                batch,
                opt.weight_decay,
                opt.l1,
                runaway=self.runaway,
                plan=plan,
            )
        except TrainingDiverged as err:
            self._count_fused(len(err.losses))
            number = self.steps + 1
            bad = self._ran_away if err.reason == "runaway" else self._non_finite
            raise bad(err.loss, number) from None
        self._count_fused(len(losses))
        return losses.astype(np.float64)

    def _count_fused(self, done: int) -> None:
        """What `done` calls of step() would have counted: the trainer's and the optimizer's step numbers."""
        self.steps += done
        self.opt.steps += done
        if done:
            self._first_step = False

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
        """Trains `epochs` epochs on ds.x_train; evaluates on train and test sets after each
        epoch; returns the history dict (lists per epoch).

        An epoch is ceil(n / batch_size) steps on the next batches of the trainer's stream
        (the one train_steps reads), every batch at full size: a batch may span two epochs,
        and there is no short last batch (there was one before issue 15). Each epoch takes
        its stretch of the stream up front. On the fused path (see `path`) one kernel call
        runs a whole epoch, so the progress bar and stop() act per epoch; a callback with
        on_step needs the layer path, where stop() and callbacks act after any step."""
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
        plan = self._choose_path(ds.x_train.ndim, callbacks)
        stream = self._stream_for(len(ds.x_train), batch_size)
        batch, per_epoch = stream.batch_size, stream.steps_per_epoch
        self._stop = False
        start = time.perf_counter()
        for _ in range(epochs):
            order = stream.take(per_epoch * batch)
            if plan is not None:  # check_dataset has ruled out NaN and inf
                losses = self._fused_steps(plan, ds.x_train, ds.y_train, order, batch)
                if show:
                    _progress_bar(self.epochs + 1, per_epoch, per_epoch, float(losses[-1]))
            else:
                self._layer_epoch(ds, order.reshape(per_epoch, batch), callbacks, show)
            self.epochs += 1
            logs = self._log_epoch(ds, time.perf_counter() - start)
            if show:
                print(f"\repoch {self.epochs}: " + _format_logs(logs), file=sys.stderr)
            if any(getattr(cb, "on_epoch", None) and cb.on_epoch(self, self.epochs, logs) for cb in callbacks):
                self._stop = True
            if self._stop:
                break
        return self.history

    def _layer_epoch(self, ds, batches: np.ndarray, callbacks: list, show: bool) -> None:
        """One epoch step by step; on_step callbacks and stop() can end it after any step."""
        shown = time.perf_counter()
        for b, idx in enumerate(batches):
            value = self.step(ds.x_train[idx], ds.y_train[idx])
            if any(getattr(cb, "on_step", None) and cb.on_step(self, self.steps, value) for cb in callbacks):
                self._stop = True
            if show and (b + 1 == len(batches) or time.perf_counter() - shown > 0.1):
                shown = time.perf_counter()
                _progress_bar(self.epochs + 1, b + 1, len(batches), value)
            if self._stop:
                break

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
            if is_per_pixel((len(ds.y_train), *self.net.output_shape), ds.y_train.shape):
                classes = self.net.output_shape[0]  # (C, H, W) scores per pixel
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
    return _count(fn, name, value, low=1)


def _count(fn: str, name: str, value, low: int) -> int:
    if not _is_int(value):
        raise TypeError(f"{fn}: {name} must be an integer, got {type(value).__name__} {value!r:.60}")
    if value < low:
        raise ValueError(f"{fn}: {name} must be >= {low}, got {value!r}")
    return int(value)


def _has_on_step(callback) -> bool:
    """Whether a callback acts per step: a Callback that keeps the base class's no-op on_step does not."""
    hook = getattr(callback, "on_step", None)
    return hook is not None and getattr(hook, "__func__", None) is not Callback.on_step


def _rows_finite(a: np.ndarray, order: np.ndarray) -> bool:
    """Whether the rows `order` picks hold no NaN/inf; looks at all of `a` when that is smaller than the
    picks (a False then only costs speed: the caller takes the layer path, which checks each batch)."""
    if a.dtype.kind != "f":
        return True
    return bool(np.isfinite(a if len(a) <= len(order) else a[order]).all())


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

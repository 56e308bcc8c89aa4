"""Fuzz cases for training (`optim.make`, `Trainer.step`, `Trainer.fit`, `Trainer.evaluate`): `run_case(seed)`.

Each seed makes one small training setup, usually with one or two things wrong: a bad
hyperparameter (infinite, NaN, negative, huge, a string, a bool, None, a list; unknown names;
bad schedules and their options), broken data (NaN or inf in x or y, fewer labels than
inputs, an empty training set, a wrong input shape, non-numeric or complex dtypes, labels
out of range or fractional), bad fit arguments (epochs or batch_size of 0, 2.5, None, "10",
True, 2**63), or a huge learning rate. It then trains a few steps (by `fit`, by `step`, or
both) on a tiny network (an MLP, a small CNN, an RNN or an embedding model) and evaluates.

Outcomes: returning, ValueError and TypeError are expected (a clear refusal). A divergence is
reported with TrainingDiverged, a FloatingPointError: this module catches it and returns after
checking that its message gives the step and the learning rate (the contract), so the harness
sees it as a normal outcome. AssertionError means the contract was broken (e.g. a run that
reported nothing while its loss ran to 1e30, or fit returning without training a step).

Bounded: at most a few hundred steps on at most a few hundred examples of tiny networks; a
case takes well under a second.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .. import optim
from ..network import Network
from ..trainer import Trainer, TrainingDiverged

_SPECS = {
    "mlp": {
        "input_shape": [2],
        "layers": [
            {"id": "h", "type": "dense", "units": 5},
            {"id": "a", "type": "tanh"},
            {"id": "out", "type": "dense", "units": 1},
        ],
    },
    "mlp3": {
        "input_shape": [3],
        "layers": [
            {"id": "h", "type": "dense", "units": 4},
            {"id": "a", "type": "relu"},
            {"id": "d", "type": "dropout", "p": 0.2},
            {"id": "out", "type": "dense", "units": 3},
        ],
    },
    "cnn": {
        "input_shape": [1, 6, 6],
        "layers": [
            {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3, "padding": 1},
            {"id": "r", "type": "relu"},
            {"id": "p", "type": "maxpool2d", "kernel_size": 2},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 3},
        ],
    },
    "rnn": {
        "input_shape": [4, 2],
        "layers": [{"id": "g", "type": "gru", "hidden": 3}, {"id": "out", "type": "dense", "units": 1}],
    },
    "embedding": {
        "input_shape": [5],
        "layers": [
            {"id": "e", "type": "embedding", "vocab": 7, "dim": 3},
            {"id": "l", "type": "lstm", "hidden": 3},
            {"id": "out", "type": "dense", "units": 3},
        ],
    },
    "perceptron": {
        "input_shape": [2],
        "layers": [{"id": "lin", "type": "dense", "units": 1}, {"id": "thr", "type": "step"}],
    },
}
_LOSS = {"mlp": "bce", "mlp3": "cross_entropy", "cnn": "cross_entropy", "rnn": "mse", "embedding": "cross_entropy"}
_FIRST_ORDER = ["sgd", "momentum", "adam", "rmsprop"]
_NATURAL = ["ng-exact", "kfac", "unitwise", "qd", "diag"]
_BAD_NUMBERS = [
    math.inf,
    -math.inf,
    math.nan,
    -1.0,
    -1e-12,
    1e30,
    1e308,
    5e-324,
    0,
    0.0,
    True,
    False,
    None,
    "0.1",
    "",
    [0.1],
    {"lr": 0.1},
    np.float32(0.1),
    np.float64("nan"),
    np.int64(1),
    complex(0.1, 0),
    2**64,
]
# not a count of epochs or a batch size (a valid but huge count, such as 2**63 epochs, is a long run, not a
# fuzz case; batch sizes may be huge: one batch of everything)
_BAD_COUNTS = [0, -1, 2.5, 1.0, None, "10", True, False, -(2**63), [4], np.int64(4), np.float64(4.0), 1e9]


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _data(kind: str, n: int, rng: np.random.Generator):
    shape = tuple(_SPECS[kind]["input_shape"])
    if kind == "embedding":
        x = rng.integers(0, 7, size=(n, *shape))
    else:
        x = rng.standard_normal((n, *shape)).astype(np.float32)
    loss = _LOSS.get(kind, "mse")
    if loss == "bce":
        y = (rng.random(n) < 0.5).astype(np.int64)
    elif loss == "cross_entropy":
        y = rng.integers(0, 3, size=n)
    else:
        y = rng.standard_normal((n, 1)).astype(np.float32)
    return x, y


def _break_data(ds, rng: np.random.Generator) -> None:
    """One fault in the dataset."""
    fault = int(rng.integers(11))
    name = _pick(rng, ["x_train", "y_train", "x_test", "y_test"])
    a = getattr(ds, name)
    if fault == 0 and a.dtype.kind == "f" and a.size:  # NaN / inf
        a = a.copy()
        a.flat[int(rng.integers(a.size))] = _pick(rng, [np.nan, np.inf, -np.inf])
    elif fault == 1:  # fewer labels than inputs (or more)
        a = a[: max(0, len(a) - int(rng.integers(1, 4)))] if rng.random() < 0.7 else np.concatenate([a, a[:2]])
    elif fault == 2:  # empty
        a = a[:0]
    elif fault == 3:  # a wrong input shape
        a = a.reshape(len(a), -1)[:, :1] if a.ndim > 1 else a.reshape(len(a), 1, 1)
    elif fault == 4:  # complex, object or string data
        a = _pick(rng, [a.astype(np.complex64), a.astype(object), a.astype(str)])
    elif fault == 5:  # labels out of range or fractional
        a = a + _pick(rng, [5, -7, 0.5, 2**40])
    elif fault == 6:  # not an array at all
        a = _pick(rng, [None, "data", 3, [[1, 2]], {"x": 1}])
    elif fault == 7:  # a 0-d array
        a = np.float32(1.0) if rng.random() < 0.5 else np.array(3)
    elif fault == 8:  # huge values (finite)
        if a.dtype.kind == "f":
            a = a * np.float32(1e30)
    elif fault == 9:
        delattr(ds, name)
        return
    else:  # integer inputs where floats are expected, or bool
        a = a.astype(np.int64) if rng.random() < 0.5 else (a > 0)
    setattr(ds, name, a)


def _hparams(name: str, rng: np.random.Generator, bad: bool) -> dict:
    hp: dict = {}
    if rng.random() < 0.8:
        hp["lr"] = _pick(rng, _BAD_NUMBERS) if bad and rng.random() < 0.5 else float(10 ** rng.uniform(-3, 0))
    if not bad:
        return hp
    r = rng.random()
    if r < 0.25:
        hp[_pick(rng, ["weight_decay", "l1"])] = _pick(rng, _BAD_NUMBERS)
    elif r < 0.45:
        keys = {
            "momentum": ["momentum", "nesterov"],
            "adam": ["beta1", "beta2", "eps"],
            "rmsprop": ["alpha", "eps"],
        }.get(name, ["momentum", "damping", "kl_clip", "eps"])
        hp[_pick(rng, keys)] = _pick(rng, [*_BAD_NUMBERS, 1.0, 0.999999, "yes"])
    elif r < 0.6:
        hp["schedule"] = _pick(rng, ["step", "cosine", "constant", "exp", None, 3])
        if rng.random() < 0.7:
            hp["schedule_options"] = _pick(
                rng,
                [
                    {"step_size": _pick(rng, _BAD_COUNTS)},
                    {"gamma": _pick(rng, _BAD_NUMBERS)},
                    {"total_steps": _pick(rng, _BAD_COUNTS)},
                    {"min_lr": _pick(rng, _BAD_NUMBERS)},
                    {"nope": 1},
                    "cosine",
                    [1],
                ],
            )
    elif r < 0.7:
        hp[_pick(rng, ["lR", "learning_rate", "momentum2", ""])] = 0.1
    return hp


def _check_diverged(err: TrainingDiverged) -> None:
    text = str(err)
    assert "step" in text and "learning rate" in text, f"divergence report without the step or rate: {text}"


def run_case(seed: int) -> None:
    rng = np.random.default_rng(seed)
    kind = _pick(rng, list(_SPECS))
    net = Network.from_spec(_SPECS[kind], seed=int(rng.integers(1000)), dtype=_pick(rng, ["float32", "float64"]))
    loss = "mse" if kind == "perceptron" else _LOSS[kind]
    scenario = int(rng.integers(6))  # 0 hyperparameters, 1 data, 2 fit arguments, 3 huge lr, 4 step, 5 mixed
    if kind == "perceptron":
        name = "perceptron"
    elif rng.random() < 0.15 and kind in ("mlp", "mlp3", "cnn"):
        name = _pick(rng, _NATURAL)
    else:
        name = _pick(rng, _FIRST_ORDER)
    if scenario == 0 and rng.random() < 0.1:
        name = _pick(rng, ["SGD", "", None, 3, ["sgd"], "newton"])
    hp = _hparams(name if isinstance(name, str) else "", rng, bad=scenario in (0, 5))
    if scenario == 3:
        hp["lr"] = _pick(rng, [1e9, 1e6, 1e12, 1e30, 1e300])
    opt = optim.make(name, net, **hp)
    trainer = Trainer(net, loss, opt, seed=int(rng.integers(1000)))
    n = int(rng.integers(1, 80)) if scenario != 3 else 64
    x, y = _data(kind, n, rng)
    xt, yt = _data(kind, int(rng.integers(0, 20)), rng)
    ds = SimpleNamespace(name="fuzz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    if scenario in (1, 5):
        _break_data(ds, rng)
    epochs = int(rng.integers(1, 4))
    batch = int(_pick(rng, [1, 2, 8, 16, 1000]))
    if scenario == 2:
        if rng.random() < 0.5:
            epochs = _pick(rng, _BAD_COUNTS)
        else:
            batch = _pick(rng, [*_BAD_COUNTS, 2**63, 2**64])
    if scenario == 3:  # a huge rate: enough steps for a runaway to be noticed, and it must be
        epochs, batch = 100, 16
    if name in _NATURAL and batch == 1 and isinstance(epochs, int):
        batch = 8  # keep the curvature work of a case small
    try:
        if scenario == 4:
            for _ in range(int(rng.integers(1, 30))):
                lo = int(rng.integers(0, max(1, len(ds.x_train))))
                trainer.step(ds.x_train[lo : lo + 8], ds.y_train[lo : lo + 8])
        else:
            history = trainer.fit(ds, epochs=epochs, batch_size=batch, progress=False)
            assert trainer.steps >= 1, "fit returned without training a step"
            assert len(history["epoch"]) == epochs
        logs = trainer.evaluate(ds.x_train, ds.y_train)
    except TrainingDiverged as err:  # the designed report (NaN, inf, a runaway or broken input)
        _check_diverged(err)
        return
    if scenario == 3 and math.isfinite(logs["loss"]):
        # a rate of 1e6 or more for 400 steps without a word is only fine if the loss stayed sane
        assert logs["loss"] < 1e6, f"lr {hp['lr']:g}: loss {logs['loss']:.3g} and no divergence reported"

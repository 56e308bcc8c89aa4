"""Issue 14, training: bad hyperparameters, bad data and bad fit arguments are clear errors naming the
argument; a runaway loss (finite, but far above the first loss for many steps) is reported like NaN
divergence, with the step and the learning rate; normal training (every preset) never is."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets
from neuralviz.trainer import RUNAWAY_FACTOR, RUNAWAY_PATIENCE, NonFiniteInput, RunawayDetector

TANH = {
    "input_shape": [2],
    "layers": [
        {"id": "h1", "type": "dense", "units": 8},
        {"id": "a1", "type": "tanh"},
        {"id": "h2", "type": "dense", "units": 8},
        {"id": "a2", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}


def xor_setup(opt="sgd", **hp):
    ds = nv.data.load("xor", seed=0)
    net = nv.Network.from_spec(TANH, seed=0)
    return ds, net, nv.Trainer(net, "bce", nv.optim.make(opt, net, **hp), seed=0)


# ----------------------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize("lr", [math.inf, -math.inf, math.nan, -0.1, np.float64("nan"), 10**400])
@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam", "rmsprop", "perceptron", "kfac"])
def test_non_finite_or_negative_lr_is_refused(opt, lr):
    spec = {"input_shape": [2], "layers": [{"id": "d", "type": "dense", "units": 1}, {"id": "s", "type": "step"}]}
    net = nv.Network.from_spec(spec if opt == "perceptron" else TANH)
    with pytest.raises(ValueError, match=r"lr must be a finite number"):
        nv.optim.make(opt, net, lr=lr)


@pytest.mark.parametrize("lr", ["0.1", None, True, [0.1], complex(0.1, 0)])
def test_lr_that_is_not_a_number_is_a_type_error(lr):
    net = nv.Network.from_spec(TANH)
    with pytest.raises(TypeError, match=r"optimizer 'adam': lr must be a number"):
        nv.optim.make("adam", net, lr=lr)


def test_numpy_numbers_are_numbers():
    net = nv.Network.from_spec(TANH)
    assert nv.optim.make("sgd", net, lr=np.float32(0.5)).lr == 0.5
    assert nv.optim.make("sgd", net, lr=np.int64(1)).lr == 1.0


@pytest.mark.parametrize(
    "opt, key, value, error",
    [
        ("sgd", "weight_decay", math.inf, ValueError),
        ("sgd", "l1", -1, ValueError),
        ("sgd", "l1", "0", TypeError),
        ("momentum", "momentum", 1.0, ValueError),
        ("momentum", "momentum", math.nan, ValueError),
        ("momentum", "nesterov", "yes", TypeError),
        ("adam", "beta1", 1.0, ValueError),
        ("adam", "beta2", -0.1, ValueError),
        ("adam", "eps", 0.0, ValueError),
        ("adam", "eps", None, TypeError),
        ("rmsprop", "alpha", 1.5, ValueError),
        ("rmsprop", "eps", math.inf, ValueError),
    ],
)
def test_method_hyperparameters_are_validated(opt, key, value, error):
    net = nv.Network.from_spec(TANH)
    with pytest.raises(error, match=rf"optimizer '{opt}': {key} must be"):
        nv.optim.make(opt, net, **{key: value})


@pytest.mark.parametrize(
    "schedule, options, error, match",
    [
        ("cosine", {"total_steps": 0}, ValueError, "total_steps must be >= 1"),
        ("cosine", {"total_steps": 10.5}, TypeError, "total_steps must be an integer"),
        ("cosine", {"min_lr": math.nan}, ValueError, "min_lr must be a finite number"),
        ("step", {"gamma": 0}, ValueError, "gamma must be a finite number"),
        ("step", {"step_size": "10"}, TypeError, "step_size must be an integer"),
        ("step", {"nope": 1}, TypeError, "step schedule: .*nope"),
        ("exp", {}, ValueError, "unknown schedule"),
        (None, {}, ValueError, "unknown schedule"),
    ],
)
def test_schedules_are_validated(schedule, options, error, match):
    net = nv.Network.from_spec(TANH)
    with pytest.raises(error, match=match):
        nv.optim.make("sgd", net, schedule=schedule, schedule_options=options)


def test_optimizer_names_of_the_wrong_type_and_set_lr():
    net = nv.Network.from_spec(TANH)
    for name in (["sgd"], None, 3):
        with pytest.raises(ValueError, match="unknown optimizer"):
            nv.optim.make(name, net)
    opt = nv.optim.make("sgd", net, lr=0.1, schedule="step", schedule_options={"step_size": 5, "gamma": 0.5})
    with pytest.raises(ValueError, match="lr must be a finite number"):
        opt.set_lr(math.inf)
    assert opt.base_lr == 0.1
    opt.set_lr(0.2)
    opt.steps = 5
    assert opt.lr == pytest.approx(0.1)  # the schedule's options survive a live change of the rate


# ----------------------------------------------------------------------------------------- data
def test_an_empty_dataset_is_refused_before_training():
    ds, net, trainer = xor_setup()
    ds.x_train, ds.y_train = ds.x_train[:0], ds.y_train[:0]
    with pytest.raises(ValueError, match="x_train is empty"):
        trainer.fit(ds, epochs=1, batch_size=10)
    assert trainer.steps == 0


def test_nan_input_is_reported_as_the_data_not_the_learning_rate():
    ds, net, trainer = xor_setup()
    x = ds.x_train[:10].copy()
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"the batch's x contains NaN or inf .*not the learning rate") as info:
        trainer.step(x, ds.y_train[:10])
    assert isinstance(info.value, NonFiniteInput) and info.value.reason == "input" and trainer.steps == 0
    y = ds.y_train[:10].astype(np.float32)
    y[0] = np.inf
    with pytest.raises(ValueError, match=r"the batch's y contains NaN or inf"):
        trainer.step(ds.x_train[:10], y)
    before = net.state_dict()
    ds.x_train = ds.x_train.copy()
    ds.x_train[7, 0] = np.inf
    with pytest.raises(ValueError, match=r"x_train contains NaN or inf \(1 value"):
        trainer.fit(ds, epochs=1, batch_size=10)
    assert trainer.steps == 0
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize(
    "arg, value, error",
    [
        ("batch_size", 2.5, TypeError),
        ("batch_size", None, TypeError),
        ("batch_size", "10", TypeError),
        ("batch_size", True, TypeError),
        ("batch_size", 0, ValueError),
        ("epochs", 1.5, TypeError),
        ("epochs", np.float64(2.0), TypeError),
        ("epochs", -1, ValueError),
    ],
)
def test_fit_arguments_are_validated_naming_the_argument(arg, value, error):
    ds, net, trainer = xor_setup()
    kwargs = {"epochs": 1, "batch_size": 10, arg: value}
    with pytest.raises(error, match=rf"fit: {arg} must be"):
        trainer.fit(ds, **kwargs)
    assert trainer.steps == 0


def test_numpy_integers_are_fine_for_fit():
    ds, net, trainer = xor_setup()
    trainer.fit(ds, epochs=np.int64(1), batch_size=np.int32(50), progress=False)
    assert trainer.steps == 5


@pytest.mark.parametrize("which", ["y_train", "y_test"])
def test_labels_shorter_than_x_are_refused(which):
    ds, net, trainer = xor_setup()
    setattr(ds, which, getattr(ds, which)[:-3])
    with pytest.raises(ValueError, match=rf"x_{which[2:]} has \d+ examples but {which} has \d+ labels"):
        trainer.fit(ds, epochs=1, batch_size=10)
    assert trainer.steps == 0


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"x_train": None}, TypeError, "x_train must be a numeric numpy array"),
        ({"x_test": np.zeros((5, 3), np.float32)}, ValueError, "x_test has examples of shape"),
        ({"y_train": np.array(["a"] * 250)}, TypeError, "y_train must be a numeric"),
    ],
)
def test_malformed_datasets_are_clear(change, error, match):
    ds, net, trainer = xor_setup()
    fields = {k: getattr(ds, k) for k in ("x_train", "y_train", "x_test", "y_test")}
    bad = SimpleNamespace(name="bad", **{**fields, **change})
    if change.get("x_test") is not None:
        bad.y_test = np.zeros(5, np.int64)
    with pytest.raises(error, match=match):
        trainer.fit(bad, epochs=1, batch_size=10)
    with pytest.raises(TypeError, match="y_test is missing"):
        trainer.fit(SimpleNamespace(x_train=ds.x_train, y_train=ds.y_train, x_test=ds.x_test), epochs=1)


def test_trainer_arguments_are_checked():
    net = nv.Network.from_spec(TANH)
    opt = nv.optim.make("sgd", net)
    with pytest.raises(TypeError, match="loss must be a string"):
        nv.Trainer(net, ["bce"], opt)
    with pytest.raises(ValueError, match="seed must be an integer"):
        nv.Trainer(net, "bce", opt, seed=1.5)
    with pytest.raises(TypeError, match="net must be a Network"):
        nv.Trainer("net", "bce", opt)


# ----------------------------------------------------------------------------------------- runaway loss
@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam", "rmsprop"])
def test_a_runaway_loss_at_lr_1e9_is_reported_with_the_step_and_rate(opt):
    ds, net, trainer = xor_setup(opt, lr=1e9)
    with pytest.raises(nv.TrainingDiverged, match=r"learning rate 1e\+09") as info:
        trainer.fit(ds, epochs=20, batch_size=10, progress=False)  # 500 steps
    err = info.value
    assert err.step <= 120 and err.lr == 1e9 and err.step == trainer.steps + 1
    assert f"step {err.step}" in str(err)
    if err.reason == "runaway":
        assert math.isfinite(err.loss) and err.loss > RUNAWAY_FACTOR * max(trainer.runaway.initial, 1.0)


def test_runaway_detection_can_be_tuned_or_turned_off():
    ds, net, trainer = xor_setup("adam", lr=1e9)
    trainer.runaway = None
    trainer.fit(ds, epochs=4, batch_size=10, progress=False)  # 100 steps: finite, huge, not checked
    assert trainer.steps == 100
    ds, net, trainer = xor_setup("adam", lr=1e9)
    trainer.runaway = RunawayDetector(factor=10, patience=5)
    with pytest.raises(nv.TrainingDiverged, match=r"above 10 \(10 x the first loss 0.705, or x 1 if larger\)"):
        trainer.fit(ds, epochs=4, batch_size=10, progress=False)
    assert trainer.steps < 10


def test_spikes_that_recover_are_not_a_runaway():
    d = RunawayDetector()
    losses = [0.7] + [5000.0] * (RUNAWAY_PATIENCE - 1) + [0.5] + [5000.0] * (RUNAWAY_PATIENCE - 1) + [0.4] * 10
    assert d.update(np.array(losses)) == -1
    for v in losses:  # one at a time, as the Trainer feeds it
        assert RunawayDetector().update(v) == -1
    d = RunawayDetector(patience=3)
    assert d.update([0.7, 900.0, 1001.0, 1001.0]) == -1 and d.update(1001.0) == 0  # 1000 x max(0.7, 1.0)
    d = RunawayDetector(patience=3)
    assert d.update([0.0, 999.0, 999.0, 999.0]) == -1  # a zero first loss: the floor (1.0) is the reference


def test_spikes_that_recover_do_not_stop_a_trainer():
    """Batches with absurd targets for almost `patience` steps in a row, twice: a spike, not a runaway."""
    spec = {"input_shape": [1], "layers": [{"id": "out", "type": "dense", "units": 1}]}
    net = nv.Network.from_spec(spec)
    trainer = nv.Trainer(net, "mse", nv.optim.make("sgd", net, lr=1e-9))  # the spikes barely move the weights
    x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    for step in range(300):
        spike = 100 <= step < 100 + RUNAWAY_PATIENCE - 1 or 200 <= step < 200 + RUNAWAY_PATIENCE - 1
        losses = trainer.step(x, (2 * x) * (1e3 if spike else 1.0))
        assert not spike or losses > RUNAWAY_FACTOR * max(trainer.runaway.initial, 1.0)
    assert trainer.steps == 300


@pytest.mark.parametrize("name", presets.names())
def test_presets_train_without_a_false_alarm(name):
    """The lecture presets with their optimizers: the loss never comes near the runaway threshold (over their
    full epochs, seeds 0 and 1, the largest loss is at most 2.1 x the first, and never 3 x for a single step)."""
    steps = 120 if name in ("shapes-cnn", "story-qa") else 300
    net, metrics = presets.train(name, seed=0, steps=steps)
    losses = metrics["losses"]
    assert metrics["steps"] == steps and np.all(np.isfinite(losses))
    assert losses.max() < 3 * max(losses[0], 1.0)
    assert metrics["test_loss"] is None or math.isfinite(metrics["test_loss"])


def test_perceptron_with_a_huge_rate_reports_instead_of_going_nan():
    spec = {"input_shape": [2], "layers": [{"id": "lin", "type": "dense", "units": 1}, {"id": "thr", "type": "step"}]}
    net = nv.Network.from_spec(spec)
    trainer = nv.Trainer(net, "mse", nv.optim.make("perceptron", net, lr=1e300))
    x = np.array([[1e10, -1e10], [-3e10, 2e10]], np.float32)
    with pytest.raises(nv.TrainingDiverged, match=r"learning rate 1e\+300"):
        for _ in range(5):
            trainer.step(x, np.array([1.0, 0.0]))
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


def test_fuzz_training_cases_give_clear_outcomes_in_a_subprocess():
    """A slice of neuralviz.fuzz.training: every case returns or raises ValueError/TypeError."""
    code = """
        import collections, warnings
        warnings.simplefilter("ignore")
        from neuralviz.fuzz import training
        counts = collections.Counter()
        for seed in range(200):
            try:
                training.run_case(seed)
                counts["ok"] += 1
            except (ValueError, TypeError):
                counts["clear"] += 1
        print(counts["ok"], counts["clear"])
        """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ok, clear = map(int, result.stdout.split())
    assert ok + clear == 200 and ok >= 20 and clear >= 20


def test_fused_path_reports_a_runaway_loss_too():
    """The app's fused SGD path (fastpath.train_steps) applies the Trainer's runaway rule."""
    from neuralviz import fastpath
    from neuralviz.trainer import RunawayDetector

    ds = nv.data.load("xor", seed=0)
    spec = {
        "input_shape": [2],
        "layers": [
            {"id": "h", "type": "dense", "units": 8},
            {"id": "a", "type": "tanh"},
            {"id": "o", "type": "dense", "units": 1},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0)
    order = fastpath.sample_order(len(ds.x_train), 400, 10, np.random.default_rng(0))
    with pytest.raises(nv.TrainingDiverged, match="ran away"):
        fastpath.train_steps(net, ds.x_train, ds.y_train, "bce", 1e9, order, 10, runaway=RunawayDetector())
    calm = nv.Network.from_spec(spec, seed=0)
    losses = fastpath.train_steps(calm, ds.x_train, ds.y_train, "bce", 0.03, order, 10, runaway=RunawayDetector())
    assert len(losses) == 400

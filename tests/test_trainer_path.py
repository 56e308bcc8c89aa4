"""The Trainer picks its path: plain SGD on a dense chain runs fused (one C++ call for many
steps), everything else layer by layer, with the same batches, the same numbers (to
rounding), the same step counts and the same divergence behaviour either way; its batches
are those of nv.data.BatchStream(len(x), batch_size, seed=seed), which nv.compare shares
among all its runs."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import fastpath
from neuralviz.data import BatchStream
from neuralviz.trainer import FUSED_REASON, NonFiniteInput


def chain(widths=(2, 8, 8, 1), act="tanh", out_act=None, extra=None):
    """A dense chain spec: dense layers of `widths`, `act` after each hidden one."""
    layers = []
    for i, units in enumerate(widths[1:]):
        layers.append({"id": f"d{i}", "type": "dense", "units": units})
        last = i == len(widths) - 2
        if (act and not last) or (last and out_act):
            layers.append({"id": f"a{i}", "type": out_act if last else act})
        if extra and i == 0:
            layers.append(extra)
    return {"input_shape": [widths[0]], "layers": layers}


XOR = chain()


def make_trainer(spec=XOR, loss="bce", opt="sgd", dtype="float64", seed=0, fused=True, **hp):
    net = nv.Network.from_spec(spec, seed=seed, dtype=dtype)
    trainer = nv.Trainer(net, loss, nv.optim.make(opt, net, **{"lr": 0.03, **hp}), seed=seed)
    trainer._allow_fused = fused
    return trainer


def data(loss, n=37, features=2, outputs=1, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(dtype)
    if loss == "cross_entropy":
        return x, rng.integers(0, outputs, size=n)
    if loss == "bce":
        return x, (rng.random(n) < 0.5).astype(dtype)
    return x, rng.normal(size=(n, outputs)).astype(dtype)


def assert_same_weights(a, b, rtol, atol):
    for p, q in zip(a.net.parameters(), b.net.parameters()):
        np.testing.assert_allclose(p.value, q.value, rtol=rtol, atol=atol, err_msg=p.name)


# ---------------------------------------------------------------------------------- path choice


def test_plain_sgd_on_a_dense_chain_is_fused_before_and_after_training():
    trainer = make_trainer()
    assert (trainer.path, trainer.path_reason) == ("fused", FUSED_REASON)
    trainer.train_steps(*data("bce"), 5, 10)
    assert (trainer.path, trainer.path_reason) == ("fused", FUSED_REASON)


@pytest.mark.parametrize(
    "kind,reason",
    [
        ("adam", "optimizer 'adam' is not plain SGD"),
        ("momentum", "optimizer 'momentum' is not plain SGD"),
        ("schedule", "the learning rate follows the 'step' schedule"),
        ("dropout", "layer 'drop' has type 'dropout', which the fused path does not run"),
        ("switched off", "the fused path is switched off"),
    ],
)
def test_each_disqualifier_gives_the_layer_path_and_says_why(kind, reason):
    if kind in ("adam", "momentum"):
        trainer = make_trainer(opt=kind)
    elif kind == "schedule":
        trainer = make_trainer(schedule="step", schedule_options={"step_size": 10})
    elif kind == "dropout":
        trainer = make_trainer(chain(extra={"id": "drop", "type": "dropout", "p": 0.1}))
    else:
        trainer = make_trainer(fused=False)
    assert trainer.path == "layers" and reason in trainer.path_reason
    trainer.train_steps(*data("bce"), 3, 10)
    assert trainer.path == "layers" and reason in trainer.path_reason and trainer.steps == 3


def test_image_inputs_and_on_step_callbacks_take_the_layer_path():
    layers = [{"id": "f", "type": "flatten"}, {"id": "o", "type": "dense", "units": 3}]
    spec = {"input_shape": [1, 4, 4], "layers": layers}
    trainer = make_trainer(spec, loss="cross_entropy")
    assert trainer.path == "layers" and "not feature vectors (x has 4 axes" in trainer.path_reason
    trainer.train_steps(np.zeros((6, 1, 4, 4)), np.zeros(6, dtype=np.int64), 2, 3)
    assert trainer.path == "layers" and trainer.steps == 2

    class PerStep(nv.Callback):
        def on_step(self, trainer, step, loss):
            return None

    class PerEpoch(nv.Callback):  # keeps the base class's on_step: the fused path may run
        def on_epoch(self, trainer, epoch, logs):
            return None

    ds = nv.data.load("xor", seed=0, n=40, dtype="float64")
    trainer = make_trainer()
    trainer.fit(ds, epochs=1, batch_size=10, callbacks=[PerStep()], progress=False)
    assert trainer.path == "layers" and "on_step" in trainer.path_reason
    trainer.fit(ds, epochs=1, batch_size=10, callbacks=[PerEpoch()], progress=False)
    assert trainer.path == "fused"


def test_data_with_nan_go_the_layer_way_and_fail_at_the_same_step():
    x, y = data("bce")
    x[5, 1] = np.nan
    order = BatchStream(len(x), 10, seed=0).take(100)
    bad_step = int(np.flatnonzero(order == 5)[0] // 10) + 1
    trainer = make_trainer()
    with pytest.raises(NonFiniteInput, match=f"step {bad_step}"):
        trainer.train_steps(x, y, 10, 10)
    assert trainer.path == "layers" and "NaN or inf" in trainer.path_reason
    assert trainer.steps == bad_step - 1


# ---------------------------------------------------------------------------------- same numbers


@pytest.mark.parametrize(
    "spec,loss,outputs",
    [
        (chain((2, 8, 8, 1), "tanh"), "bce", 1),
        (chain((3, 6, 4), "relu"), "cross_entropy", 4),
        (chain((2, 5, 2), "leaky_relu", out_act="sigmoid"), "mse", 2),
    ],
)
def test_fused_and_layer_paths_agree_over_thousands_of_steps_in_float64(spec, loss, outputs):
    x, y = data(loss, n=53, features=spec["input_shape"][0], outputs=outputs)
    runs = []
    for fused in (True, False):
        trainer = make_trainer(spec, loss, fused=fused, lr=0.05, weight_decay=1e-3, l1=1e-4)
        losses = np.concatenate([trainer.train_steps(x, y, 1500, 10), trainer.train_steps(x, y, 1500, 10)])
        runs.append((trainer, losses))
    (fused, fused_losses), (layers, layer_losses) = runs
    assert fused.path == "fused" and layers.path == "layers"
    np.testing.assert_allclose(fused_losses, layer_losses, rtol=1e-10, atol=1e-12)
    assert_same_weights(fused, layers, rtol=1e-10, atol=1e-12)
    assert fused.steps == layers.steps == fused.opt.steps == layers.opt.steps == 3000
    assert fused.stream.samples_seen == layers.stream.samples_seen == 30000
    start = nv.Network.from_spec(spec, seed=0, dtype="float64")
    assert max(np.abs(p.value - q.value).max() for p, q in zip(fused.net.parameters(), start.parameters())) > 1e-2


def test_fused_and_layer_paths_agree_in_float32_to_rounding():
    x, y = data("bce", n=250, dtype=np.float32)
    fused, layers = (make_trainer(dtype="float32", fused=f) for f in (True, False))
    a, b = fused.train_steps(x, y, 2000, 10), layers.train_steps(x, y, 2000, 10)
    assert a.dtype == b.dtype == np.float64
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert_same_weights(fused, layers, rtol=1e-4, atol=1e-4)


def test_the_rate_is_read_from_the_optimizer_on_every_call():
    x, y = data("bce")
    runs = []
    for fused in (True, False):
        trainer = make_trainer(fused=fused)
        trainer.train_steps(x, y, 50, 10)
        trainer.opt.set_lr(0.5)
        runs.append((trainer, trainer.train_steps(x, y, 50, 10)))
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-10)
    assert_same_weights(runs[0][0], runs[1][0], rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------- the stream


@pytest.mark.parametrize("fused", [True, False])
def test_train_steps_trains_on_the_first_batches_of_the_seeded_stream(fused):
    """The pinned contract: Trainer(..., seed=s).train_steps(x, y, k, b) trains as Trainer.step over
    the first k batches of BatchStream(len(x), b, seed=s)."""
    x, y = data("bce", n=41)
    trainer = make_trainer(seed=7, fused=fused)
    losses = trainer.train_steps(x, y, 30, 9)
    ref = make_trainer(seed=7, fused=False)
    stream = BatchStream(len(x), 9, seed=7)
    ref_losses = [ref.step(x[idx], y[idx]) for idx in (stream.next_batch() for _ in range(30))]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    assert_same_weights(trainer, ref, rtol=1e-12, atol=1e-14)


def test_calls_continue_one_stream_even_across_batch_sizes():
    x, y = data("bce", n=41)
    trainer = make_trainer(fused=True)
    trainer.train_steps(x, y, 7, 10)
    trainer.train_steps(x, y, 5, 4)  # the app's batch-size slider: same sample stream, new cut
    trainer.train_steps(x, y, 3, 100)  # clamped to the 41 samples
    ref, stream = make_trainer(fused=False), BatchStream(len(x), 10, seed=0)
    for count, size in ((7, 10), (5, 4), (3, 100)):
        stream.batch_size = size
        for _ in range(count):
            idx = stream.next_batch()
            ref.step(x[idx], y[idx])
    assert_same_weights(trainer, ref, rtol=1e-12, atol=1e-14)
    assert trainer.stream.samples_seen == 70 + 20 + 3 * 41 and trainer.stream.batch_size == 41


def test_new_data_length_or_reset_starts_the_stream_over():
    x, y = data("bce", n=41)
    trainer = make_trainer()
    trainer.train_steps(x, y, 3, 10)
    first = trainer.stream
    trainer.train_steps(x[:30], y[:30], 2, 10)
    assert trainer.stream is not first and trainer.stream.n == 30 and trainer.stream.samples_seen == 20
    trainer.reset_stream()
    assert trainer.stream is None
    trainer.train_steps(x[:30], y[:30], 1, 10)
    assert trainer.stream.samples_seen == 10 and trainer.steps == 6


def test_dropout_draws_do_not_move_the_minibatch_order():
    spec = chain(extra={"id": "drop", "type": "dropout", "p": 0.5})
    x, y = data("bce", n=41)
    seen = []
    trainer = make_trainer(spec)
    step = trainer.step
    trainer.step = lambda xb, yb: seen.append(xb.copy()) or step(xb, yb)
    trainer.train_steps(x, y, 12, 10)
    np.testing.assert_array_equal(np.concatenate(seen), x[BatchStream(41, 10, seed=0).take(120)])


def test_compare_runs_all_train_on_the_streams_batches(monkeypatch):
    seen: dict[int, list] = {}
    step = nv.Trainer.step

    def spy(self, x, y):
        seen.setdefault(id(self), []).append(x.copy())
        return step(self, x, y)

    monkeypatch.setattr(nv.Trainer, "step", spy)
    ds = nv.data.load("xor", seed=0, n=60, dtype="float64")
    spec = chain((2, 4, 2))
    nv.compare(spec, ds, optimizers=["sgd", "adam", "kfac"], steps=20, seed=3, batch_size=8)
    runs = list(seen.values())
    assert len(runs) == 3
    stream = BatchStream(len(ds.x_train), 8, seed=3)
    expected = [ds.x_train[stream.next_batch()] for _ in range(20)]
    for batches in runs:
        assert len(batches) == 20
        for got, want in zip(batches, expected):
            np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------------- fit


def test_fit_on_the_fused_path_equals_fit_on_the_layer_path(monkeypatch):
    ds = nv.data.load("xor", seed=0, n=130, dtype="float64")
    calls = []
    real = fastpath.train_steps

    class CountSteps(nv.Callback):  # on_step: forces the layer path
        def on_step(self, trainer, step, loss):
            calls.append("layer step")

    fused, layers = make_trainer(), make_trainer()
    monkeypatch.setattr(fastpath, "train_steps", lambda *a, **k: calls.append("kernel") or real(*a, **k))
    h1 = fused.fit(ds, epochs=4, batch_size=10, progress=False)
    assert calls == ["kernel"] * 4 and fused.path == "fused"  # one kernel call per epoch
    h2 = layers.fit(ds, epochs=4, batch_size=10, callbacks=[CountSteps()], progress=False)
    assert layers.path == "layers" and len(calls) == 4 + 4 * 7
    assert fused.steps == layers.steps == h1["step"][-1] == 4 * 7  # ceil(65 / 10) full batches per epoch
    np.testing.assert_allclose(h1["train_loss"], h2["train_loss"], rtol=1e-10)
    assert_same_weights(fused, layers, rtol=1e-10, atol=1e-12)
    assert fused.stream.samples_seen == 4 * 7 * 10  # no short last batch
    # fit and train_steps read one stream
    fused.train_steps(ds.x_train, ds.y_train, 5, 10)
    stream = BatchStream(len(ds.x_train), 10, seed=0)
    stream.take(280)
    ref = make_trainer(fused=False)
    ref.net.load_state_dict(layers.net.state_dict())
    for _ in range(5):
        idx = stream.next_batch()
        ref.step(ds.x_train[idx], ds.y_train[idx])
    assert_same_weights(fused, ref, rtol=1e-10, atol=1e-12)


def test_fit_on_the_fused_path_stops_per_epoch():
    ds = nv.data.load("xor", seed=0, n=60, dtype="float64")

    class StopAfterTwo(nv.Callback):
        def on_epoch(self, trainer, epoch, logs):
            return epoch == 2

    trainer = make_trainer()
    history = trainer.fit(ds, epochs=5, batch_size=10, callbacks=[StopAfterTwo()], progress=False)
    assert trainer.path == "fused" and history["epoch"] == [1, 2] and trainer.steps == 6


# ---------------------------------------------------------------------------------- divergence


@pytest.mark.parametrize(
    "loss,lr,reason",
    [("bce", 1e9, "runaway"), ("bce", 1e4, "runaway"), ("mse", 1e3, "non-finite")],
)
def test_divergence_stops_both_paths_at_the_same_step_with_the_same_weights(loss, lr, reason):
    x, y = data(loss, n=60, outputs=1)
    spec = chain((2, 8, 1), "tanh") if loss == "bce" else chain((2, 16, 1), None)
    errors, trainers = [], []
    for fused in (True, False):
        trainer = make_trainer(spec, loss, fused=fused, lr=lr)
        with pytest.raises(nv.TrainingDiverged) as info:
            trainer.train_steps(x, y, 400, 10)
        errors.append(info.value)
        trainers.append(trainer)
    (a, b), (ta, tb) = errors, trainers
    assert ta.path == "fused" and tb.path == "layers"
    assert a.reason == b.reason == reason and a.step == b.step == ta.steps + 1 == tb.steps + 1
    assert ta.opt.steps == tb.opt.steps == ta.steps
    assert str(a) == str(b) and a.lr == b.lr == lr
    assert ta.runaway.above == tb.runaway.above and ta.runaway.initial == tb.runaway.initial
    assert_same_weights(ta, tb, rtol=1e-6, atol=1e-6)
    assert all(np.isfinite(p.value).all() for p in ta.net.parameters())


def test_a_nan_at_the_first_step_gets_the_same_advice_on_both_paths():
    x, y = data("mse", n=20)
    x *= 1e200  # finite inputs whose squares overflow
    messages = []
    for fused in (True, False):
        trainer = make_trainer(chain((2, 1), None), "mse", fused=fused)
        with pytest.raises(nv.TrainingDiverged, match="not the learning rate") as info:
            trainer.train_steps(x, y, 5, 4)
        messages.append(str(info.value))
        assert trainer.steps == 0 and trainer.path == ("fused" if fused else "layers")
    assert messages[0] == messages[1]


def test_bad_arguments_are_named():
    trainer = make_trainer()
    x, y = data("bce")
    with pytest.raises(ValueError, match="steps must be >= 0"):
        trainer.train_steps(x, y, -1, 10)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        trainer.train_steps(x, y, 1, 2.0)
    with pytest.raises(ValueError, match="37 inputs and 36 targets"):
        trainer.train_steps(x, y[:-1], 1, 10)
    assert trainer.train_steps(x, y, 0, 10).shape == (0,) and trainer.steps == 0

"""nv.compare: lockstep runs from the same initial weights on the same minibatches, the
reparametrisation helper behind the invariance experiment, the preset and the CLI table."""

import json

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.compare import Reparametrization, cli_main, compare, function_gap, reparametrize

XOR_262 = {
    "input_shape": [2],
    "layers": [
        {"id": "h", "type": "dense", "units": 6},
        {"id": "a", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
SIG_NET = {
    "input_shape": [3],
    "layers": [
        {"id": "h1", "type": "dense", "units": 4},
        {"id": "s1", "type": "sigmoid"},
        {"id": "h2", "type": "dense", "units": 4},
        {"id": "s2", "type": "sigmoid"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}


@pytest.fixture(scope="module")
def xor():
    return nv.data.load("xor", seed=0, dtype="float64", n=120)


def test_identical_runs_stay_identical_and_histories_have_every_step(xor):
    cmp = compare(
        XOR_262,
        xor,
        [
            {"name": "sgd", "lr": 0.1, "label": "a"},
            {"name": "sgd", "lr": 0.1, "label": "b"},
            {"name": "kfac", "lr": 0.3},
        ],
        steps=12,
        batch_size=16,
        seed=3,
    )
    a, b = cmp.runs["a"], cmp.runs["b"]
    assert a.loss == b.loss and a.batch_loss == b.batch_loss  # same init, same minibatches
    assert cmp.gaps[("a", "b")] == [0.0] * 13
    assert cmp.gaps[("a", "kfac")][0] == 0.0 and cmp.gaps[("a", "kfac")][-1] > 1e-3
    assert len(a.loss) == 13 and len(a.step_seconds) == 12 and a.time_per_step > 0
    assert cmp.eval_steps == list(range(13)) and len(a.test_loss) == 13
    assert a.accuracy[-1] is not None and cmp.settings["batch_size"] == 16
    assert cmp.runs["kfac"].info[-1]["g_dot_d"] > 0


def test_steps_to_target_and_table(xor):
    cmp = compare(
        XOR_262,
        xor,
        ["sgd", {"name": "kfac", "lr": 1.0, "damping": 1e-3, "kl_clip": 0.01}],
        steps=40,
        target_loss=0.3,
        eval_every=5,
        seed=0,
    )
    assert cmp.eval_steps == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    k = cmp.runs["kfac"]
    hit = k.steps_to(0.3)
    assert hit is not None and k.loss[k.eval_steps.index(hit)] < 0.3
    assert cmp.runs["sgd"].steps_to(1e-9) is None
    table = cmp.table()
    assert "kfac" in table and "sgd" in table and ">40" in table and "steps to loss<0.3" in table


def test_input_transform_is_applied_before_training(xor):
    # steps=1 (compare refuses 0 since its argument checks): loss[0] is still the evaluation before any step
    cmp = compare(XOR_262, xor, ["sgd"], steps=1, input_transform={"scale": [20, 0.2], "shift": [5, 0]})
    net = nv.Network.from_spec(XOR_262, seed=0, dtype="float64")
    x = xor.x_train * [20, 0.2] + [5, 0]
    trainer = nv.Trainer(net, "cross_entropy", nv.optim.make("sgd", net))
    assert cmp.runs["sgd"].loss[0] == pytest.approx(trainer.evaluate(x, xor.y_train)["loss"], rel=1e-12)


@pytest.mark.parametrize("kind, spec", [("per-feature", XOR_262), ("affine", XOR_262), ("sigmoid-tanh", SIG_NET)])
def test_reparametrized_twin_computes_the_same_function(kind, spec):
    net = nv.Network.from_spec(spec, seed=1, dtype="float64")
    twin = reparametrize(net, kind, seed=2)
    assert isinstance(twin, Reparametrization)
    x = np.random.default_rng(0).normal(size=(20, net.input_shape[0]))
    assert twin.gap(net, x) <= 1e-12
    changed = [k for k, v in net.state_dict().items() if not np.allclose(v, twin.net.state_dict()[k])]
    assert changed  # other coordinates, same function
    if kind == "sigmoid-tanh":
        assert [e["type"] for e in twin.net.spec["layers"]].count("tanh") == 2
        back = reparametrize(twin.net, "tanh-sigmoid")
        for k, v in net.state_dict().items():
            np.testing.assert_allclose(back.net.state_dict()[k], v, rtol=1e-14, atol=1e-15)
    else:
        xp = twin.transform(x)
        np.testing.assert_allclose(xp, x @ twin.matrix.T + twin.shift)


def test_reparametrize_explicit_maps_and_errors():
    net = nv.Network.from_spec(XOR_262, seed=0, dtype="float64")
    twin = reparametrize(net, "per-feature", scale=[2.0, -1.0], shift=[-1.0, 1.0])  # {0,1}->{-1,1}, a 0/1 flip
    np.testing.assert_array_equal(twin.transform(np.array([[0.0, 0.0], [1.0, 1.0]])), [[-1, 1], [1, 0]])
    with pytest.raises(ValueError, match="invertible"):
        reparametrize(net, "affine", matrix=[[1, 2], [2, 4]])
    with pytest.raises(ValueError, match="no sigmoid"):
        reparametrize(net, "sigmoid-tanh")
    with pytest.raises(ValueError, match="unknown kind"):
        reparametrize(net, "rotate")
    conv = nv.Network.from_spec(
        {"input_shape": [1, 4, 4], "layers": [{"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 2}]},
        dtype="float64",
    )
    with pytest.raises(ValueError, match="flat input"):
        reparametrize(conv, "affine")
    nobias = nv.Network.from_spec(
        {"input_shape": [2], "layers": [{"id": "d", "type": "dense", "units": 2, "bias": False}]}, dtype="float64"
    )
    with pytest.raises(ValueError, match="no bias"):
        reparametrize(nobias, "per-feature", shift=1.0)


def test_invariance_experiment_is_one_call(xor):
    cmp = compare(
        XOR_262,
        xor,
        [{"name": "unitwise", "lr": 0.05, "damping": 0.0, "normalize": True}, "sgd"],
        steps=5,
        reparametrize="per-feature",
        loss="cross_entropy",
    )
    assert cmp.invariance["unitwise"][0] <= 1e-12
    assert cmp.invariance["unitwise"][-1] < 1e-9 < cmp.invariance["sgd"][-1]
    assert "twin gap" in cmp.table()


def test_a_diverging_run_stops_alone(xor):
    linear = {"input_shape": [2], "layers": [{"id": "out", "type": "dense", "units": 2}]}
    cmp = compare(
        linear, xor, [{"name": "sgd", "lr": 1e5, "label": "wild"}, {"name": "sgd", "lr": 1e-3}], steps=30, loss="mse"
    )
    assert cmp.runs["wild"].diverged and not cmp.runs["sgd"].diverged
    assert len(cmp.runs["sgd"].loss) == 31
    assert "(diverged)" in cmp.table(target_loss=0.01)


def test_bad_arguments_are_named(xor):
    with pytest.raises(ValueError, match="labelled 'sgd'"):
        compare(XOR_262, xor, ["sgd", "sgd"], steps=1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        compare(XOR_262, xor, ["nope"], steps=1)
    with pytest.raises(ValueError, match="needs a 'name'"):
        compare(XOR_262, xor, [{"lr": 1}], steps=1)
    assert function_gap(np.zeros(3), np.zeros(3)) == 0.0


def test_natural_gradient_preset_and_cli_table(capsys):
    import neuralviz.presets as presets

    preset = presets.load("natural-gradient")
    assert preset["compare"]["optimizers"] == ["sgd", "kfac"]
    assert set(preset["compare"]["input_transform"]) == {"scale", "shift"}
    net = nv.Network.from_spec(preset["network"])
    assert net.output_shape == (1,) and preset["training"]["loss"] == "bce"
    json.dumps(preset)
    assert cli_main(["natural-gradient", "--optimizers", "sgd,kfac,qd", "--steps", "15", "--set", "qd.lr=0.5"]) == 0
    out = capsys.readouterr().out
    assert "steps to loss<0.05" in out and "ms/step" in out
    assert "qd: lr=0.5" in out and "x*[4.0, 0.04]+[5.0, 0.0]" in out
    for name in ("sgd", "kfac", "qd"):
        assert any(line.startswith(name) for line in out.splitlines())
    with pytest.raises(ValueError, match="OPTIMIZER.KEY=VALUE"):
        cli_main(["natural-gradient", "--steps", "1", "--set", "adam.lr=1"])


def test_a_preset_without_a_dataset_name_is_a_clear_error():
    """Fuzz case cli:3397: a preset file whose dataset has no name reached compare() as None."""
    spec = {"input_shape": [2], "layers": [{"id": "o", "type": "dense", "units": 1}]}
    with pytest.raises(ValueError, match="dataset must be a dataset name"):
        compare(spec, None, steps=1)

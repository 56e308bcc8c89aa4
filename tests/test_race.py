"""Races (neuralviz/race.py): runs of a preset trained in lockstep on the same batches.

Cheap versions of the race presets' claims; the full budgets over three seeds are in
benchmarks/lecture_races.py."""

import copy

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets
from neuralviz.race import Race, Run, race

TANH = {"input_shape": [2], "layers": [{"id": "h", "type": "dense", "units": 4}, {"id": "a", "type": "tanh"}]}
TANH["layers"].append({"id": "out", "type": "dense", "units": 1})


def small(optimizer="adam", **run_training) -> dict:
    """The xor preset with two runs: the preset's own network and a 4-unit tanh one."""
    p = presets.load("xor")
    p["training"] = {**p["training"], "optimizer": optimizer, "epochs": 2}
    p["runs"] = [{"label": "preset"}, {"label": "small", "network": copy.deepcopy(TANH), "training": run_training}]
    return p


def test_race_returns_trained_runs_in_preset_order():
    runs = race(small(), seed=0, steps=20)
    assert list(runs) == ["preset", "small"]
    for label, run in runs.items():
        assert isinstance(run, Run) and run.label == label and isinstance(run.network, nv.Network)
        assert run.losses.shape == (20,) and np.all(np.isfinite(run.losses)) and run.steps == 20
        assert 0.0 <= run.test_accuracy <= 1.0 and np.isfinite(run.test_loss) and run.train_accuracy is not None
        assert run.parameters == run.network.num_parameters() > 0 and run.diverged is None
    assert runs["small"].parameters == 17 and runs["small"].spec["layers"][0]["units"] == 4


def test_race_defaults_to_the_preset_budget_and_a_run_trains_as_presets_train_does():
    p = small()
    r = Race(p, seed=3)
    assert r.budget == 2 * -(-len(r.runs["preset"].dataset.x_train) // p["training"]["batch_size"])
    assert r.task == "classification" and r.labels == ["preset", "small"]
    alone = {k: v for k, v in p.items() if k != "runs"}
    _, metrics = presets.train(alone, seed=3)
    runs = race(p, seed=3)
    np.testing.assert_array_equal(runs["preset"].losses, metrics["losses"])
    assert runs["preset"].test_accuracy == metrics["test_accuracy"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])  # sgd on a dense chain takes the fused path
def test_identical_runs_see_identical_batches_and_advance_continues_the_stream(optimizer):
    p = small(optimizer)
    p["runs"] = [{"label": "a"}, {"label": "b"}]
    stepwise = Race(p, seed=1)
    for k in (1, 5, 0, 14):
        new = stepwise.advance(k)
        assert [len(v) for v in new.values()] == [k, k]
    at_once = Race(p, seed=1)
    at_once.advance(20)
    assert stepwise.step == at_once.step == 20
    a, b = stepwise.runs["a"], stepwise.runs["b"]
    assert a.trainer.path == ("fused" if optimizer == "sgd" else "layers")
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.losses, at_once.runs["a"].losses)
    np.testing.assert_array_equal(
        a.network.state_dict()["h1.weight"], at_once.runs["a"].network.state_dict()["h1.weight"]
    )


def test_same_seed_same_numbers_other_seed_other_numbers():
    first, again, other = (race(small(), seed=s, steps=15) for s in (0, 0, 1))
    for label in first:
        np.testing.assert_array_equal(first[label].losses, again[label].losses)
        assert first[label].test_loss == again[label].test_loss
    assert not np.array_equal(first["small"].losses, other["small"].losses)


def test_runs_on_other_datasets_of_the_same_size_read_the_same_batch_indices():
    r = Race("perceptron", seed=0)
    blobs, xor = r.runs["blobs"], r.runs["xor"]
    assert blobs.dataset.name == "gaussians" and xor.dataset.name == "xor"
    assert blobs.dataset.options["noise"] == 0.0 and blobs.budget == xor.budget == r.budget
    r.advance(7)
    np.testing.assert_array_equal(blobs.trainer.stream.next_batch(), xor.trainer.stream.next_batch())


def test_the_race_presets_and_their_labels():
    assert Race("depth").labels == ["shallow", "deep"]
    assert Race("residual").labels == ["plain", "residual"]
    assert Race("perceptron").labels == ["blobs", "xor"]
    depth = Race("depth").runs
    assert abs(depth["deep"].parameters / depth["shallow"].parameters - 1) <= 0.10
    assert len(depth["deep"].network.layers) > len(depth["shallow"].network.layers)
    residual = Race("residual").runs
    convs = [sum(layer.type == "conv2d" for layer in run.network.layers.values()) for run in residual.values()]
    assert convs[0] == convs[1] >= 20 and residual["plain"].parameters == residual["residual"].parameters
    for name in ("depth", "residual", "perceptron", "spirals"):  # the top level stays a trainable default run
        assert presets.train(name, seed=0, steps=2)[1]["steps"] == 2
    assert "depth" not in presets.load("spirals")["title"].lower()


def test_depth_already_wins_early():
    runs = race("depth", seed=0, steps=1200)
    assert runs["deep"].test_accuracy > runs["shallow"].test_accuracy + 0.05


def test_residual_trains_where_the_plain_stack_stays_at_chance():
    r = Race("residual", seed=0)
    r.advance(30)
    acc = {
        label: run.trainer.evaluate(run.dataset.x_test, run.dataset.y_test)["accuracy"] for label, run in r.runs.items()
    }
    assert acc["plain"] <= 0.3 and acc["residual"] >= 0.5


def test_the_perceptron_separates_blobs_and_not_xor():
    runs = race("perceptron", seed=0, steps=500)
    assert runs["blobs"].train_accuracy == 1.0
    assert runs["xor"].train_accuracy < 0.8 and runs["xor"].test_accuracy < 0.8
    assert runs["xor"].trainer.loss_name == "mse"  # accuracy read from the step unit, as nv.prediction does


def test_a_preset_without_runs_is_a_clear_error():
    with pytest.raises(ValueError, match="xor has no 'runs'"):
        Race("xor")
    with pytest.raises(ValueError, match="no 'runs'"):
        race(presets.load("spirals"))
    with pytest.raises(ValueError, match="unknown preset"):
        Race("no-such-preset")


@pytest.mark.parametrize(
    "runs, match",
    [
        ([], "non-empty list"),
        ("shallow", "non-empty list"),
        ([{"label": "a"}, {"label": "a"}], "two runs are labelled 'a'"),
        ([{"network": TANH}], "run 0 needs a non-empty string 'label'"),
        ([7], "run 0 must be an object"),
        ([{"label": "a", "netwrok": TANH}], r"run 'a' has unknown key\(s\) \['netwrok'\]"),
        ([{"label": "a", "training": 3}], "run 'a': 'training' must be an object"),
        ([{"label": "a", "training": {"batch_size": 0}}], "run 'a'.*batch_size"),
        ([{"label": "a", "training": {"epochs": -1}}], "run 'a'.*epochs"),
        ([{"label": "a", "dataset": {"name": "nope"}}], "run 'a'.*nope"),
        ([{"label": "a", "training": {"optimizer": "nope"}}], "run 'a'.*nope"),
    ],
)
def test_bad_runs_are_clear_errors(runs, match):
    p = small()
    p["runs"] = runs
    with pytest.raises(ValueError, match=match):
        Race(p)


def test_a_bad_spec_is_a_spec_error_naming_the_run():
    p = small()
    p["runs"][1]["network"]["layers"][0]["units"] = -3
    with pytest.raises(nv.SpecError, match="run 'small'"):
        Race(p)
    p = small()
    p["runs"][1]["network"]["input_shape"] = [5]  # does not fit the dataset's 2 features
    with pytest.raises(ValueError, match="run 'small'"):
        Race(p)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        Race(small(), seed=seed)


@pytest.mark.parametrize("k", [-1, 2.0, "3", None])
def test_bad_step_counts(k):
    with pytest.raises(ValueError, match="k must be"):
        Race(small()).advance(k)
    with pytest.raises(ValueError, match="steps must be"):
        race(small(), steps=k if k is not None else -2)


def test_a_diverging_run_stops_and_the_others_race_on():
    p = small("sgd")
    p["runs"] = [{"label": "calm"}, {"label": "wild", "training": {"lr": 1e9}}]
    r = Race(p, seed=0)
    new = r.advance(100)
    wild, calm = r.runs["wild"], r.runs["calm"]
    assert isinstance(wild.diverged, nv.TrainingDiverged) and len(new["wild"]) == 0
    assert calm.diverged is None and calm.losses.shape == (100,)
    assert len(r.advance(5)["wild"]) == 0 and calm.steps == 105

"""The race presets of the function-space, width and noise scenes: they load, every run builds
and fits its dataset, and the widths race shows width mattering after a short run."""

import numpy as np
import pytest

from neuralviz import presets
from neuralviz.analysis import input_jacobian_norm
from neuralviz.race import Race, race

LABELS = {
    "function-spaces": ["linear", "cubic", "net"],
    "widths": ["width 1", "width 2", "width 4", "width 16"],
    "noise": ["σ 0", "σ 0.1", "σ 0.3"],
}


@pytest.mark.parametrize("name", LABELS)
def test_runs_load_build_and_fit_the_data(name):
    r = Race(name, seed=0)
    assert r.labels == LABELS[name]
    assert len({run.dataset.x_train.shape for run in r.runs.values()}) == 1  # one dataset: a fair race
    assert r.budget <= 3000  # the scenes stop at 2000-3000 steps
    r.advance(2)
    assert all(np.all(np.isfinite(run.losses)) and len(run.losses) == 2 for run in r.runs.values())


def test_function_spaces_differ_only_in_the_space():
    runs = dict(presets.expand_runs(presets.load("function-spaces")))
    assert [layer["type"] for layer in runs["cubic"]["network"]["layers"]] == ["polynomial", "dense"]
    assert [layer["type"] for layer in runs["linear"]["network"]["layers"]] == ["dense"]
    assert runs["cubic"]["dataset"]["options"]["test_fraction"] == 0.9  # few training points


def test_noise_runs_differ_only_in_the_noise_std():
    runs = dict(presets.expand_runs(presets.load("noise")))
    stds = [run["network"]["layers"][0]["std"] for run in runs.values()]
    assert stds == [0, 0.1, 0.3]
    rest = [run["network"]["layers"][1:] for run in runs.values()]
    assert rest[0] == rest[1] == rest[2]


def test_the_noise_readout_works_on_every_run():
    r = Race("noise", seed=0)
    x = next(iter(r.runs.values())).dataset.x_test[:20]
    assert all(input_jacobian_norm(run.network, x) > 0 for run in r.runs.values())


def test_width_16_beats_width_1_after_a_short_run():
    runs = race("widths", seed=0, steps=300)
    assert runs["width 16"].test_loss < 0.5 * runs["width 1"].test_loss

"""Cheap versions of the sequence races (full budgets and seeds: benchmarks/sequence_races.py):
rnn-vs-lstm (adding problem, T >= 50) and time-scales (clockwork vs plain RNN on two_lags: the input 1 step
ago plus the input 64 steps ago)."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets
from neuralviz.race import Race


def test_rnn_vs_lstm_races_the_three_cells_on_the_adding_problem():
    p = presets.load("rnn-vs-lstm")
    assert p["dataset"]["name"] == "adding" and p["dataset"]["options"]["length"] >= 50
    assert p["training"]["loss"] == "mse"
    r = Race(p, seed=0)
    assert r.labels == ["rnn", "lstm", "gru"] and r.task == "regression"
    for label, run in r.runs.items():
        layer = run.network.layers[label]
        assert layer.type == label and layer.hidden == 32
        assert run.network.input_shape == (p["dataset"]["options"]["length"], 2)


def test_the_lstm_already_beats_the_plain_rnn_in_a_short_race():
    """1,500 steps (half the budget): the LSTM has found the memory, the RNN has not (the GRU, which
    learns faster still, is left out to keep this cheap; the benchmark races all three)."""
    p = presets.load("rnn-vs-lstm")
    p["runs"] = [run for run in p["runs"] if run["label"] in ("rnn", "lstm")]
    r = Race(p, seed=0)
    r.advance(1500)
    losses = {label: m["test_loss"] for label, m in r.evaluate(train=False).items()}
    assert losses["lstm"] <= 0.05, losses
    assert losses["rnn"] >= 0.1, losses


def test_time_scales_races_a_clockwork_against_an_rnn_of_equal_width():
    p = presets.load("time-scales")
    assert p["dataset"]["name"] == "two_lags" and p["training"]["loss"] == "mse"
    r = Race(p, seed=0)
    assert r.labels == ["rnn", "clockwork"] and r.task == "regression"
    rnn, cw = (r.runs[k].network.layers[k] for k in r.labels)
    assert rnn.type == "rnn" and cw.type == "clockwork"
    assert rnn.hidden == cw.hidden and len(cw.periods) > 1
    assert r.runs["clockwork"].parameters < r.runs["rnn"].parameters  # slow -> fast links only
    opts = p["dataset"]["options"]
    assert opts["short"] < min(cw.periods[1:])  # the short lag: a few steps
    assert opts["long"] >= 2 * max(cw.periods)  # the long lag spans several ticks of the slowest clock
    assert opts["long"] == opts["length"] - 1  # the far value sits at step 0, where every clock ticks


def test_the_clockwork_already_gets_both_lags_in_a_short_race():
    """200 steps: the clockwork has both terms (MSE near 0); the plain RNN has the short one only (MSE near 1,
    the variance of the long term; predicting 0 scores 2)."""
    r = Race("time-scales", seed=0)
    r.advance(200)
    loss = {label: m["test_loss"] for label, m in r.evaluate(train=False).items()}
    assert loss["clockwork"] <= 0.05, loss
    assert 0.5 <= loss["rnn"] <= 1.5, loss


@pytest.mark.parametrize("target", ["last", "sequence"])
def test_copy_lead_shifts_the_symbols_and_lead_zero_changes_nothing(target):
    opts = dict(n=40, symbols=5, length=3, delay=4, target=target, seed=3)
    plain, zero, led = (nv.data.load("copy", **opts, **extra) for extra in ({}, {"lead": 0}, {"lead": 2}))
    for a, b in ((plain.x_train, zero.x_train), (plain.y_train, zero.y_train), (plain.x_test, zero.x_test)):
        np.testing.assert_array_equal(a, b)
    assert led.x_train.shape[1] == plain.x_train.shape[1] + 2
    np.testing.assert_array_equal(led.x_train[:, 2:], plain.x_train)  # same draws, two blanks in front
    np.testing.assert_array_equal(led.x_train[:, :2].argmax(-1), 5)  # blank = id K
    if target == "sequence":
        np.testing.assert_array_equal(led.y_train[:, 2:], plain.y_train)
    else:
        np.testing.assert_array_equal(led.y_train, plain.y_train)

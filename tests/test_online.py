"""Online training without storing the history (neuralviz.online): BPTT exactness, UORO unbiasedness, memory, race."""

import numpy as np
import pytest

from neuralviz.online import (
    UORO,
    FullBPTT,
    TanhRNN,
    TruncatedBPTT,
    bptt_window,
    lag_sequences,
    race_online,
    uoro_sequence_gradient,
)
from neuralviz.online.adam import Adam


def _tiny(seed=0, hidden=3, length=4):
    model = TanhRNN(n_in=2, hidden=hidden, n_out=2, seed=seed)
    model.theta += np.random.default_rng(seed + 100).standard_normal(model.size) * 0.3  # non-zero b, c
    rng = np.random.default_rng(seed + 200)
    xs = rng.standard_normal((length, 2))
    targets = rng.standard_normal((length, 2))
    masks = np.array([0.0] + [1.0] * (length - 1))
    return model, xs, targets, masks


def _total_loss(model, xs, targets, masks):
    return bptt_window(model, model.zero_state(), xs, targets, masks)[0].sum()


def test_bptt_gradient_matches_finite_differences():
    model, xs, targets, masks = _tiny()
    grad = bptt_window(model, model.zero_state(), xs, targets, masks)[1]
    numeric = np.zeros(model.size)
    for i in range(model.size):
        saved = model.theta[i]
        model.theta[i] = saved + 1e-6
        up = _total_loss(model, xs, targets, masks)
        model.theta[i] = saved - 1e-6
        down = _total_loss(model, xs, targets, masks)
        model.theta[i] = saved
        numeric[i] = (up - down) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_uoro_estimate_is_unbiased_and_truncation_is_not():
    # The mean of N i.i.d. estimates is within 5 standard errors of the truth in every coordinate
    # (the standard error measured from the same samples): a loose bound, so the seed is not lucky.
    model, xs, targets, masks = _tiny(length=4)
    true = bptt_window(model, model.zero_state(), xs, targets, masks)[1]
    rng = np.random.default_rng(7)
    samples = np.array([uoro_sequence_gradient(model, xs, targets, masks, rng) for _ in range(4000)])
    mean, se = samples.mean(axis=0), samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(np.abs(mean - true) <= 5 * se + 1e-12), np.max(np.abs(mean - true) / (se + 1e-12))
    assert np.linalg.norm(mean - true) < 0.1 * np.linalg.norm(true)
    # The readout gradient needs no history: UORO's is exact in every sample.
    readout = samples[:, model.recurrent_size :]
    np.testing.assert_allclose(readout, np.broadcast_to(true[model.recurrent_size :], readout.shape), rtol=1e-12)
    # Truncated BPTT(1) (sum of per-step windows, as its learner sees them at fixed theta) is biased:
    # the same test rejects it, so the test has the power to see a bias.
    h, truncated = model.zero_state(), np.zeros(model.size)
    for t in range(len(xs)):
        _, g, h = bptt_window(model, h, xs[t : t + 1], targets[t : t + 1], masks[t : t + 1])
        truncated += g
    assert np.any(np.abs(mean - truncated) > 5 * se + 1e-12)


@pytest.mark.parametrize("k", [6, 9])
def test_truncated_bptt_with_window_at_least_the_length_is_full_bptt(k):
    xs, targets, masks = lag_sequences(5, 6, 2, seed=3)
    full, truncated = FullBPTT(TanhRNN(hidden=4, seed=1)), TruncatedBPTT(TanhRNN(hidden=4, seed=1), k)
    for i in range(5):
        np.testing.assert_array_equal(
            full.train_sequence(xs[i], targets[i], masks[i]), truncated.train_sequence(xs[i], targets[i], masks[i])
        )
    np.testing.assert_array_equal(full.model.theta, truncated.model.theta)
    assert full.memory_floats == truncated.memory_floats == 6 * 4


def test_truncated_bptt_with_a_short_window_differs_from_full():
    xs, targets, masks = lag_sequences(1, 6, 2, seed=3)
    full, truncated = FullBPTT(TanhRNN(hidden=4, seed=1)), TruncatedBPTT(TanhRNN(hidden=4, seed=1), 2)
    full.train_sequence(xs[0], targets[0], masks[0])
    truncated.train_sequence(xs[0], targets[0], masks[0])
    assert not np.allclose(full.model.theta, truncated.model.theta)


@pytest.mark.parametrize("length", [10, 30])
def test_memory_accounting(length):
    hidden = 5
    xs, targets, masks = lag_sequences(2, length, 3, seed=0)
    full = FullBPTT(TanhRNN(hidden=hidden))
    truncated = TruncatedBPTT(TanhRNN(hidden=hidden), 4)
    uoro = UORO(TanhRNN(hidden=hidden))
    for learner in (full, truncated, uoro):
        for i in range(2):
            learner.train_sequence(xs[i], targets[i], masks[i])
    assert full.memory_floats == length * hidden  # grows with T
    assert truncated.memory_floats == 4 * hidden  # k * hidden
    assert uoro.memory_floats == hidden + (hidden * hidden + hidden * 1 + hidden)  # s~ + theta~, no T
    assert len(full.losses) == len(truncated.losses) == len(uoro.losses) == 2 * length


def test_race_is_deterministic_and_seeded():
    a = race_online(steps=400, seed=3, length=20)
    b = race_online(steps=400, seed=3, length=20)
    c = race_online(steps=400, seed=4, length=20)
    for label in a:
        np.testing.assert_array_equal(a[label].losses, b[label].losses)
        assert not np.array_equal(a[label].losses, c[label].losses)
        assert a[label].steps == 400 and len(a[label].losses) == 20


def test_cheap_race_full_bptt_learns_what_truncation_cannot():
    # Lag 6 = window 1 + 5. UORO's lead over truncation needs long runs: benchmarks/online_training.py.
    runs = race_online(steps=4000, seed=0, length=20)
    assert list(runs) == ["full BPTT", "truncated BPTT", "UORO"]
    assert runs["full BPTT"].final_loss < 0.2
    assert runs["truncated BPTT"].final_loss > 0.3  # predicting 0 scores 0.5
    assert runs["full BPTT"].final_loss < min(runs["truncated BPTT"].final_loss, runs["UORO"].final_loss)
    assert runs["full BPTT"].memory_floats == 20 * 16 and runs["truncated BPTT"].memory_floats == 16


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"task": "copy"}, "unknown task 'copy'"),
        ({"methods": ("RTRL",)}, "methods must be"),
        ({"methods": ()}, "methods must be"),
        ({"lr": {"rtrl": 1e-3}}, "lr names unknown method 'rtrl'"),
        ({"steps": 0}, "steps must be an integer >= 1"),
        ({"steps": 10, "length": 20}, "less than one sequence"),
        ({"window": 0}, "window must be"),
        ({"lag": 25, "length": 20}, "lag 25 must be shorter"),
        ({"seed": -1}, "seed must be"),
        ({"lr": {"UORO": -1.0}}, "lr must be a finite number"),
    ],
)
def test_race_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        race_online(**dict({"steps": 40, "length": 20}, **kwargs))


def test_learners_reject_bad_arguments():
    with pytest.raises(ValueError, match="hidden must be an integer >= 1"):
        TanhRNN(hidden=0)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        TruncatedBPTT(TanhRNN(), 0)
    with pytest.raises(ValueError, match="seed must be"):
        UORO(TanhRNN(), seed=-2)
    with pytest.raises(ValueError, match="lr must be"):
        Adam(3, float("nan"))


@pytest.mark.parametrize("learner", [FullBPTT, lambda m: TruncatedBPTT(m, 2), UORO])
def test_learners_reject_misshapen_sequences(learner):
    xs, targets, masks = lag_sequences(1, 8, 2, seed=0)
    trainer = learner(TanhRNN(hidden=3))
    with pytest.raises(ValueError, match=r"targets must have shape \(8, 1\)"):
        trainer.train_sequence(xs[0], targets[0, :5], masks[0])
    with pytest.raises(ValueError, match="T >= 1"):
        trainer.train_sequence(xs[0, :0], targets[0, :0], masks[0, :0])

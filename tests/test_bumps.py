"""The 'bumps' regression target: its shape, its values, and determinism by seed."""

import numpy as np
import pytest

import neuralviz.data as data
from neuralviz.data.regression import bump_sum


def test_shapes_and_determinism_by_seed():
    a, b = data.load("bumps", seed=4, n=60), data.load("bumps", seed=4, n=60)
    assert a.task == "regression" and a.x_train.shape == (48, 1) and a.y_test.shape == (12, 1)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, data.load("bumps", seed=5, n=60).x_train)
    again = data.load(a.name, seed=a.seed, **a.options)
    assert np.array_equal(again.y_train, a.y_train)


def test_targets_are_the_bump_row_without_noise():
    ds = data.load("bumps", n=80, bumps=3, dtype="float64")
    np.testing.assert_allclose(ds.y_train, bump_sum(ds.x_train, 3))
    assert ds.options["bumps"] == 3


@pytest.mark.parametrize("bumps", [1, 4, 8])
def test_each_bump_peaks_at_its_centre_with_its_sign(bumps):
    centres = -1.0 + (2 * np.arange(bumps) + 1) / bumps
    peaks = bump_sum(centres[:, None], bumps)[:, 0]
    signs = np.array([1, 1, -1, 1, -1, -1, 1, -1])[:bumps]
    np.testing.assert_allclose(peaks, signs, atol=1e-3)  # neighbours are 4 standard deviations away


@pytest.mark.parametrize("bad", [0, 9, 2.5, True])
def test_bad_bump_count_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="bumps"):
        data.load("bumps", bumps=bad)

"""Same seed, same thread count -> bitwise-identical weights, for every lecture preset (README)."""

from __future__ import annotations

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets


@pytest.mark.parametrize("name", presets.names())
@pytest.mark.parametrize("threads", [1, 2])
def test_every_preset_trains_to_identical_weights_twice(name, threads):
    before = nv.get_num_threads()
    nv.set_num_threads(threads)
    try:
        runs = [presets.train(name, seed=3, steps=25)[0].state_dict() for _ in range(2)]
    finally:
        nv.set_num_threads(before)
    assert runs[0].keys() == runs[1].keys()
    for key in runs[0]:
        assert np.array_equal(runs[0][key], runs[1][key]), (name, threads, key)

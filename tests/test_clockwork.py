"""The clockwork recurrent layer: shapes, the clock (a slow group holds its state between its
updates), the slow-to-fast connectivity, float64 finite-difference gradients, spec errors."""

import numpy as np
import pytest
from gradcheck import check_network_gradients

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError
from neuralviz.layers.clockwork import Clockwork


def layer(config, shape=(9, 3), dtype=np.float64, seed=0):
    return Clockwork("cw", config, [shape], dtype, np.random.default_rng(seed))


def sequences(n=4, shape=(9, 3), seed=0):
    return np.random.default_rng(seed).standard_normal((n, *shape))


def test_registered_under_its_spec_name():
    assert LAYER_TYPES["clockwork"] is Clockwork


@pytest.mark.parametrize("return_sequences, shape", [(False, (7,)), (True, (9, 7))])
def test_forward_shape(return_sequences, shape):
    cw = layer({"hidden": 7, "return_sequences": return_sequences})
    assert cw.output_shape == shape
    assert cw.forward([sequences()], False).shape == (4, *shape)


def test_float32_forward_and_backward_keep_the_dtype():
    cw = layer({"hidden": 8, "return_sequences": True}, dtype=np.float32)
    y = cw.forward([sequences().astype(np.float32)], True)
    (gx,) = cw.backward(np.ones_like(y))
    assert y.dtype == gx.dtype == cw.w_hh.grad.dtype == np.float32


def test_groups_split_the_units_evenly_fast_first():
    cw = layer({"hidden": 10, "periods": [1, 2, 4]})
    assert cw.unit_period.tolist() == [1] * 4 + [2] * 3 + [4] * 3


def test_a_group_updates_only_on_its_ticks_and_holds_its_state_between():
    """Periods 1, 3: the slow units change at t = 0, 3, 6 only; the fast ones at every step."""
    cw = layer({"hidden": 4, "periods": [1, 3], "return_sequences": True})
    h = cw.forward([sequences()], False)  # (N, T, H)
    slow, fast = h[:, :, 2:], h[:, :, :2]
    for t in range(1, 9):
        changed = not np.allclose(slow[:, t], slow[:, t - 1])
        assert changed == (t % 3 == 0), f"step {t}"
        assert not np.allclose(fast[:, t], fast[:, t - 1])
    assert cw.active_units(3).tolist() == [True, True, True, True]
    assert cw.active_units(4).tolist() == [True, True, False, False]


def test_slow_groups_never_read_faster_ones():
    """W_hh[i, j] exists only for period(j) >= period(i): a zero block below the diagonal blocks."""
    cw = layer({"hidden": 6, "periods": [1, 2, 4]})
    w = cw.recurrent_matrix()
    assert np.all(w[2:4, 0:2] == 0) and np.all(w[4:, :4] == 0)
    assert np.all(w[0:2, :] != 0) and np.all(w[2:4, 2:] != 0)
    assert cw.w_hh.size == 2 * 6 + 2 * 4 + 2 * 2  # the allowed entries only


def test_the_slow_state_does_not_depend_on_inputs_between_its_ticks():
    """Period-4 units read the input only at t = 0, 4, 8 and read no faster unit, so changing
    x at the other steps leaves them exactly as they were."""
    cw = layer({"hidden": 6, "periods": [1, 2, 4], "return_sequences": True})
    x = sequences()
    y1 = cw.forward([x], False)[:, :, 4:].copy()
    x2 = x.copy()
    x2[:, [1, 2, 3, 5, 6, 7]] += 1.0
    np.testing.assert_array_equal(cw.forward([x2], False)[:, :, 4:], y1)


def test_one_period_of_one_is_a_plain_tanh_rnn():
    """periods [1]: every unit updates every step, h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)."""
    cw = layer({"hidden": 5, "periods": [1], "return_sequences": True})
    x = sequences()
    h = np.zeros((4, 5))
    w = cw.recurrent_matrix()
    want = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ cw.w_ih.value.T + h @ w.T + cw.b.value)
        want.append(h)
    np.testing.assert_allclose(cw.forward([x], False), np.stack(want, axis=1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("periods", [[1, 2, 4, 8], [1, 3], [2, 5]])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradients_match_finite_differences(periods, return_sequences):
    spec = {
        "input_shape": [9, 3],
        "layers": [
            {"id": "cw", "type": "clockwork", "hidden": 7, "periods": periods, "return_sequences": return_sequences}
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    check_network_gradients(net, sequences(), what=f"clockwork {periods}")


def test_gradients_through_a_network_with_a_readout():
    spec = {
        "input_shape": [12, 2],
        "layers": [
            {"id": "cw", "type": "clockwork", "hidden": 8, "periods": [1, 2, 4], "return_sequences": True},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    net = nv.Network.from_spec(spec, seed=1, dtype="float64")
    check_network_gradients(net, sequences(shape=(12, 2)), what="clockwork + dense")


def test_a_spec_over_the_budget_is_refused_before_any_matrix_is_drawn():
    with pytest.raises(SpecError, match="above the budget"):
        layer({"hidden": 2**30})


def test_an_empty_batch_passes_through():
    cw = layer({"hidden": 4})
    assert cw.forward([np.zeros((0, 9, 3))], True).shape == (0, 4)
    assert cw.backward(np.zeros((0, 4)))[0].shape == (0, 9, 3)


@pytest.mark.parametrize(
    "config, shape, message",
    [
        ({}, (9, 3), "'hidden' must be an integer"),
        ({"hidden": 8}, (3,), "needs sequence input"),
        ({"hidden": 8, "periods": []}, (9, 3), "non-empty list"),
        ({"hidden": 8, "periods": 4}, (9, 3), "non-empty list"),
        ({"hidden": 8, "periods": [1, 2.0]}, (9, 3), "integers in"),
        ({"hidden": 8, "periods": [0, 2]}, (9, 3), "integers in"),
        ({"hidden": 8, "periods": [2, 1]}, (9, 3), "strictly increasing"),
        ({"hidden": 8, "periods": [1, 1]}, (9, 3), "strictly increasing"),
        ({"hidden": 2, "periods": [1, 2, 4]}, (9, 3), "at least 3 hidden units"),
        ({"hidden": 8, "return_sequences": 1}, (9, 3), "'return_sequences' must be true or false"),
        ({"hidden": 8, "period": [1]}, (9, 3), "unknown parameter"),
    ],
)
def test_spec_errors_name_the_problem(config, shape, message):
    with pytest.raises(SpecError, match=message) as err:
        layer(config, shape)
    assert "'cw'" in str(err.value)

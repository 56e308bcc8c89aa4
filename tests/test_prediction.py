"""nv.predict (reading a network's outputs) and nv.viz.grid (the plane of 2-D data): one definition each of
probabilities, labels, accuracy and the input grid, shared by the trainer, nv.compare and the app."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.prediction import accuracy, hits, predict, predict_labels, probabilities
from neuralviz.viz.grid import grid_points, input_grid, square_extent


def mlp(outputs: int, seed: int = 0) -> nv.Network:
    spec = {
        "input_shape": [2],
        "layers": [
            {"id": "h", "type": "dense", "units": 5},
            {"id": "a", "type": "tanh"},
            {"id": "out", "type": "dense", "units": outputs},
        ],
    }
    return nv.Network.from_spec(spec, seed=seed)


# ---------------------------------------------------------------------------------------------- probabilities
def test_probabilities_per_loss():
    logits = np.array([[-2.0], [0.0], [3.0]])
    np.testing.assert_allclose(probabilities(logits, "bce"), 1 / (1 + np.exp(-logits[:, 0])), rtol=1e-12)
    np.testing.assert_array_equal(probabilities(np.array([[-0.5], [0.3], [1.7]]), "mse"), [0.0, 0.3, 1.0])
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    p = probabilities(z, "cross_entropy")
    np.testing.assert_allclose(p[0], np.exp(z[0]) / np.exp(z[0]).sum(), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    # mse on one-hot rows: clipped and normalised; a row with no positive output is undecided (uniform)
    np.testing.assert_allclose(
        probabilities(np.array([[0.5, -1.0, 1.5], [-1.0, -2.0, 0.0]]), "mse"),
        [[0.25, 0.0, 0.75], [1 / 3, 1 / 3, 1 / 3]],
    )
    assert probabilities(z.astype(np.float32), "cross_entropy").dtype == np.float64


def test_probabilities_of_a_diverging_run_never_warn():
    huge = np.array([[1e300], [-1e300], [np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = probabilities(huge, "bce")
        q = probabilities(np.array([[np.inf, 0.0], [np.nan, 1.0]]), "cross_entropy")
    np.testing.assert_array_equal(p[:2], [1.0, 0.0])
    assert np.isnan(p[2]) and np.isnan(q).any()


def test_outputs_with_a_time_axis_read_on_the_last_axis():
    out = np.random.default_rng(0).normal(size=(4, 6, 3))
    assert probabilities(out, "cross_entropy").shape == (4, 6, 3)
    assert predict_labels(out, "cross_entropy").shape == (4, 6)
    labels = out.argmax(axis=-1)
    assert accuracy(out, labels, "cross_entropy") == 1.0


def test_labels_and_accuracy_per_loss():
    out1 = np.array([[-0.2], [0.4], [0.7]])
    np.testing.assert_array_equal(predict_labels(out1, "bce"), [0, 1, 1])  # a logit: > 0
    np.testing.assert_array_equal(predict_labels(out1, "mse"), [0, 0, 1])  # a value: > 0.5
    assert accuracy(out1, np.array([0, 1, 0]), "bce") == pytest.approx(2 / 3)
    assert accuracy(out1, np.array([[0.0], [1.0], [1.0]]), "mse") == pytest.approx(2 / 3)  # 0/1 targets
    out3 = np.array([[0.1, 0.8, 0.1], [0.9, 0.0, 0.1]])
    assert accuracy(out3, np.array([1, 2]), "mse") == 0.5  # labels
    assert accuracy(out3, np.eye(3)[[1, 0]], "mse") == 1.0  # one-hot rows
    assert np.isnan(accuracy(np.zeros((0, 3)), np.zeros(0, dtype=np.int64), "cross_entropy"))
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        hits(out3, np.array([1, 2]), "hinge")


@pytest.mark.parametrize("loss,outputs", [("cross_entropy", 3), ("bce", 1), ("bce", 3)])
def test_accuracy_is_what_the_trainer_reports(loss, outputs):
    """Trainer.evaluate's accuracy and nv.predict's agree (the trainer can call hits() as it is)."""
    rng = np.random.default_rng(1)
    net = mlp(outputs, seed=2)
    x = rng.normal(size=(300, 2)).astype(np.float32)
    y = rng.integers(0, 3, 300) if loss == "cross_entropy" else (rng.random((300, outputs)) > 0.5).astype(np.float32)
    trainer = nv.Trainer(net, loss, nv.optim.make("sgd", net, lr=0.1))
    logs = trainer.evaluate(x, y, batch_size=64)
    assert logs["accuracy"] == pytest.approx(accuracy(predict(net, x), y, loss), abs=1e-12)


def test_predict_in_batches_equals_one_pass():
    net = mlp(3)
    x = np.random.default_rng(3).normal(size=(1000, 2)).astype(np.float32)
    one = predict(net, x, batch_size=len(x))
    np.testing.assert_array_equal(predict(net, x, batch_size=128), one)
    assert net.outputs["h"].shape == (1000 % 128, 5)  # the last batch's
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        predict(net, x, batch_size=0)
    with pytest.raises(ValueError, match="at least one example"):
        predict(net, x[:0])


# ---------------------------------------------------------------------------------------------- the grid
def test_square_extent_holds_every_point_and_at_least_the_playground_view():
    assert square_extent(np.zeros((0, 2))) == (-6.0, 6.0, -6.0, 6.0)
    assert square_extent(np.array([[1.0, -2.0], [0.5, 3.0]])) == (-6.0, 6.0, -6.0, 6.0)
    assert square_extent(np.array([[9.6, 0.0]])) == (-11.0, 11.0, -11.0, 11.0)  # ceil(9.6 * 1.05) = 11
    assert square_extent(np.array([[0.0, -20.0]]), least=0.0) == (-21.0, 21.0, -21.0, 21.0)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        square_extent(np.zeros((3, 3)))


def test_grid_points_are_cell_centres_with_x2_down_the_rows():
    g = grid_points((-2.0, 2.0, 0.0, 8.0), 4)
    assert g.shape == (16, 2) and g.dtype == np.float64
    cells = g.reshape(4, 4, 2)
    np.testing.assert_array_equal(cells[0, :, 0], [-1.5, -0.5, 0.5, 1.5])  # x1 along a row
    np.testing.assert_array_equal(cells[:, 0, 1], [1.0, 3.0, 5.0, 7.0])  # x2 down the rows
    with pytest.raises(ValueError, match="min < max"):
        grid_points((1.0, 1.0, 0.0, 1.0), 4)
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        grid_points((0.0, 1.0, 0.0, 1.0), 0)


def test_input_grid_expands_the_playground_features():
    x = input_grid((-6.0, 6.0, -6.0, 6.0), 8, ["x1", "x1*x2", "sin(x2)"])
    g = grid_points((-6.0, 6.0, -6.0, 6.0), 8)
    np.testing.assert_allclose(x, np.column_stack([g[:, 0], g[:, 0] * g[:, 1], np.sin(g[:, 1])]))

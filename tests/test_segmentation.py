"""Segmentation (issue 20): the synthetic aerial dataset, the per-pixel cross-entropy, the trainer's pixel accuracy,
nv.segmentation's measures and refinement steps, and the rnn-pde race (a cheap version of the benchmark's claim;
the full one is benchmarks/rnn_pde.py)."""

import copy

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import losses, presets, segmentation
from neuralviz.data import segmentation as seg_data

SMALL = {"n": 24, "size": 32}


@pytest.fixture(scope="module")
def small():
    return nv.data.load("segmentation", seed=3, **SMALL)


# ---------------------------------------------------------------------------------------------- dataset


def test_same_seed_same_arrays_other_seed_other_arrays(small):
    again = nv.data.load("segmentation", seed=3, **SMALL)
    other = nv.data.load("segmentation", seed=4, **SMALL)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(small, name), getattr(again, name))
    assert not np.array_equal(small.x_train, other.x_train)


def test_shapes_dtypes_task_and_classes(small):
    assert small.task == "segmentation" and small.is_classification and small.default_loss == "cross_entropy"
    assert small.x_train.shape == (18, 3, 32, 32) and small.x_train.dtype == np.float32
    assert small.y_train.shape == (18, 32, 32) and small.y_train.dtype == np.int64
    assert small.x_test.shape == (6, 3, 32, 32)
    assert 0 <= small.x_train.min() and small.x_train.max() <= 1
    assert small.num_classes == 5 and small.class_names == seg_data.CLASSES
    assert len(seg_data.CLASS_COLOURS) == 5
    assert nv.data.load("segmentation", n=8, size=16, dtype="float64").x_train.dtype == np.float64


def test_every_class_is_present():
    ds = nv.data.load("segmentation", seed=0, n=40, size=48)
    counts = np.bincount(ds.y_train.ravel(), minlength=5)
    assert (counts > 0.01 * ds.y_train.size).all(), counts


def test_labels_match_a_redraw_and_the_colours():
    """draw_scene is what the loader draws; each class's pixels have its own colour (the labels follow the drawing)."""
    image, labels = seg_data.draw_scene(np.random.default_rng(7), 48)
    image2, labels2 = seg_data.draw_scene(np.random.default_rng(7), 48)
    np.testing.assert_array_equal(labels, labels2)
    np.testing.assert_array_equal(image, image2)
    xs, ys = zip(*(seg_data.draw_scene(np.random.default_rng(s), 48) for s in range(12)))
    x, y = np.stack(xs), np.stack(ys)
    mean = {c: x.transpose(1, 0, 2, 3)[:, y == c].mean(axis=1) for c in range(5)}
    r, g, b = (mean[seg_data.WATER][i] for i in range(3))
    assert b > g + 0.1 and b > r + 0.2  # water is blue
    red, green, blue = mean[seg_data.ROAD]
    assert max(red, green, blue) - min(red, green, blue) < 0.05  # roads are grey
    assert mean[seg_data.BUILDING][0] > mean[seg_data.BUILDING][1] + 0.1  # roofs are reddish
    assert mean[seg_data.GRASS][1] > mean[seg_data.GRASS][0] and mean[seg_data.TREE][1] > mean[seg_data.TREE][2]
    assert mean[seg_data.TREE].sum() < 0.7 * mean[seg_data.GRASS].sum()  # tree crowns darker than grass


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="size"):
        nv.data.load("segmentation", size=8)
    with pytest.raises(ValueError, match="colour"):
        nv.data.load("segmentation", colour=True)


# ---------------------------------------------------------------------------------------------- loss and trainer


def test_per_pixel_cross_entropy_is_softmax_over_channels():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 5, 4, 3)) * 30  # large: the stable path matters
    labels = rng.integers(0, 5, (2, 4, 3))
    value, grad = losses.cross_entropy(logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(logp, labels[:, None], axis=1)
    assert value == pytest.approx(-picked.mean(), rel=1e-12)
    expected = np.exp(logp)
    np.put_along_axis(expected, labels[:, None], np.take_along_axis(expected, labels[:, None], 1) - 1, axis=1)
    np.testing.assert_allclose(grad, expected / labels.size, atol=1e-15)
    assert grad.shape == logits.shape and grad.flags.c_contiguous and np.isfinite(value)


def test_per_pixel_cross_entropy_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((3, 4, 5, 6)), rng.integers(0, 4, (3, 5, 6))
    t = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    ref.backward()
    value, grad = losses.cross_entropy(logits, labels)
    assert value == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), atol=1e-15)


def one_hot_net(h=6, w=6):
    """A 1x1 convolution that copies a one-hot image of the labels: a perfect 'segmenter' for the measures."""
    net = nv.Network.from_spec(
        {"input_shape": [5, h, w], "layers": [{"id": "c", "type": "conv2d", "channels": 5, "kernel_size": 1}]},
        dtype="float64",
    )
    net.layers["c"].weight.value[:] = np.eye(5)[:, :, None, None]
    net.layers["c"].bias.value[:] = 0
    return net


def test_trainer_reports_pixel_accuracy():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 5, (4, 6, 6))
    x = np.eye(5)[y].transpose(0, 3, 1, 2)
    net = one_hot_net()
    trainer = nv.Trainer(net, "cross_entropy", nv.optim.make("sgd", net, lr=0.1))
    logs = trainer.evaluate(x, y)
    assert logs["accuracy"] == logs["pixel_accuracy"] == 1.0
    wrong = y.copy()
    wrong[:, :3] = (wrong[:, :3] + 1) % 5  # half the rows wrong
    assert trainer.evaluate(x, wrong)["pixel_accuracy"] == pytest.approx(0.5)


def test_check_dataset_reads_the_classes_from_the_channel_axis(small):
    spec = {"input_shape": [3, 32, 32], "layers": [{"id": "c", "type": "conv2d", "channels": 5, "kernel_size": 1}]}
    net = nv.Network.from_spec(spec)
    trainer = nv.Trainer(net, "cross_entropy", nv.optim.make("adam", net, lr=0.01))
    trainer.check_dataset(small)  # 5 channels, labels 0..4
    few = nv.Network.from_spec({**spec, "layers": [{**spec["layers"][0], "channels": 3}]})
    with pytest.raises(ValueError, match="outputs 3 classes"):
        nv.Trainer(few, "cross_entropy", nv.optim.make("adam", few, lr=0.01)).check_dataset(small)


# ---------------------------------------------------------------------------------------------- measures


def test_boundary_mask_by_hand():
    y = np.zeros((1, 1, 10), np.int64)
    y[..., 5:] = 1  # one boundary between columns 4 and 5
    np.testing.assert_array_equal(segmentation.boundary_mask(y, 0)[0, 0], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(segmentation.boundary_mask(y, 2)[0, 0], [0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    assert not segmentation.boundary_mask(np.zeros((4, 4), np.int64)).any()
    with pytest.raises(ValueError, match="width"):
        segmentation.boundary_mask(y, -1)


def test_evaluate_perfect_and_shifted_maps():
    rng = np.random.default_rng(5)
    y = np.zeros((3, 6, 16), np.int64)
    y[:, :, 8:] = rng.integers(1, 5, (3, 1, 1))
    x = np.eye(5)[y].transpose(0, 3, 1, 2)
    net = one_hot_net(6, 16)
    assert segmentation.evaluate(net, x, y) == {"pixel_accuracy": 1.0, "boundary_accuracy": 1.0, "mean_iou": 1.0}
    np.testing.assert_array_equal(segmentation.predict_map(net, x), y)
    shifted = np.roll(y, 1, axis=2)  # the boundary off by a pixel
    got = segmentation.evaluate(net, x, shifted)
    assert got["boundary_accuracy"] < got["pixel_accuracy"] < 1.0 and got["mean_iou"] < 1.0


def test_evaluate_refuses_bad_shapes():
    net = one_hot_net()
    with pytest.raises(ValueError, match="labels must have shape"):
        segmentation.evaluate(net, np.zeros((2, 5, 6, 6)), np.zeros((2, 6), np.int64))
    flat = nv.Network.from_spec({"input_shape": [4], "layers": [{"id": "d", "type": "dense", "units": 3}]})
    with pytest.raises(ValueError, match="must be images"):
        segmentation.predict_map(flat, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="class scores"):
        segmentation.predict_map(net, np.zeros((2, 5, 4, 4)))
    with pytest.raises(ValueError, match="no pde_refine"):
        segmentation.refinement_steps(net, np.zeros((1, 5, 6, 6)))


# ---------------------------------------------------------------------------------------------- preset and race


def small_preset(epochs=1):
    """rnn-pde on 32x32 scenes: the same nets (the coarse map is 8x8 upsampled), a smaller set."""
    p = copy.deepcopy(presets.load("rnn-pde"))
    p["dataset"]["options"] = {"n": 96, "size": 32}
    for block in [p["network"], *(run["network"] for run in p["runs"])]:  # the top-level net is the coarse CNN
        block["input_shape"] = [3, 32, 32]
    p["training"]["epochs"] = epochs
    return p


def test_refinement_steps_start_at_the_coarse_map(small):
    p = small_preset()
    net = nv.Network.from_spec(p["runs"][1]["network"], seed=0)
    x = small.x_test
    steps = segmentation.refinement_steps(net, x)
    k = net.layers["refine"].iterations
    assert len(steps) == k + 1 and all(s.shape == (len(x), 5, 32, 32) for s in steps)
    coarse = nv.Network.from_spec(p["runs"][0]["network"], seed=0)  # same layers, same seed: same weights
    np.testing.assert_array_equal(steps[0], coarse.forward(x))
    np.testing.assert_allclose(steps[-1], net.forward(x), rtol=1e-6)


def test_race_refines_on_top_of_the_coarse_run():
    """The cheap claim: 20 steps on 32x32 scenes, where the refined map already wins several points at the
    boundaries (asserted: 3); the full claim (304 steps on 64x64, mean of 3 seeds) is benchmarks/rnn_pde.py's."""
    runs = nv.race(small_preset(4), seed=0)
    assert list(runs) == ["coarse", "refined"]
    coarse, refined = runs["coarse"].network, runs["refined"].network
    ds = runs["coarse"].dataset
    got = {label: segmentation.evaluate(run.network, ds.x_test, ds.y_test) for label, run in runs.items()}
    assert runs["refined"].test_accuracy is not None
    assert got["refined"]["boundary_accuracy"] > got["coarse"]["boundary_accuracy"] + 0.03, got
    # the refined run reads the coarse run's very weights and trains only its refinement
    assert refined.layers["c1"].weight.value is coarse.layers["c1"].weight.value
    assert all(not p.grad.any() for p in refined.parameters() if not p.name.startswith("refine."))
    assert all(p.grad.any() for p in refined.parameters() if p.name.startswith("refine."))
    steps = segmentation.refinement_steps(refined, ds.x_test)
    np.testing.assert_array_equal(steps[0].argmax(axis=1), segmentation.predict_map(coarse, ds.x_test))


def test_on_top_of_must_name_an_earlier_run():
    p = small_preset()
    p["runs"][1]["on_top_of"] = "nope"
    with pytest.raises(ValueError, match="on_top_of"):
        nv.race(p, steps=0)

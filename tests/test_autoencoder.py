"""Auto-encoders (neuralviz.generative.autoencoder) and training on reconstruction (task="reconstruction").

encode/decode run the two halves around the layer with id "code": checked against the whole network's forward
pass, for shapes, and for the errors a user can make (no code layer, a wrong z width, a skip past the code).
The reconstruction data keep their labels aside; the trainer reports an MSE and no accuracy for them. A short
run of the digits preset beats the mean image clearly (the full preset's figure lives in the benchmarks and
the lecture scene's notes), and the same seed gives the same codes.
"""

from __future__ import annotations

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets
from neuralviz.generative import arithmetic, decode, encode, interpolate
from neuralviz.generative.autoencoder import arithmetic_codes, code_of, decoder_layers, mean_image_mse

CHEAP_STEPS = 1500  # a quarter of the digits preset's budget: well below the mean image already


def ae_spec(code: int = 2, skip: bool = False) -> dict:
    layers = [
        {"id": "flat", "type": "flatten"},
        {"id": "enc", "type": "dense", "units": 16},
        {"id": "enc_act", "type": "relu"},
        {"id": "code", "type": "dense", "units": code},
        {"id": "dec", "type": "dense", "units": 16},
        {"id": "dec_act", "type": "tanh"},
        {"id": "pixels", "type": "dense", "units": 64},
    ]
    if skip:  # the output also reads the encoder's hidden layer: a code alone no longer decodes
        layers.append({"id": "skip", "type": "dense", "units": 64, "inputs": ["enc_act"]})
        layers.append({"id": "out", "type": "add", "inputs": ["pixels", "skip"]})
    return {"input_shape": [1, 8, 8], "layers": layers}


@pytest.fixture(scope="module")
def digits():
    return nv.data.load("digits", task="reconstruction")


# ---------------------------------------------------------------------------------------------- the data
def test_reconstruction_data_keep_their_labels_aside(digits):
    plain = nv.data.load("digits")
    assert digits.task == "reconstruction" and digits.default_loss == "mse" and digits.output_units == 64
    assert digits.y_train is digits.x_train and digits.y_test is digits.x_test
    np.testing.assert_array_equal(digits.x_train, plain.x_train)
    np.testing.assert_array_equal(digits.labels("train"), plain.y_train)
    np.testing.assert_array_equal(digits.labels("test"), plain.y_test)
    assert digits.num_classes == 10 and digits.class_names == plain.class_names
    assert not digits.is_classification
    assert plain.labels("test") is plain.y_test and plain.labels_test is None
    assert nv.data.load("sine").labels() is None
    assert digits.options["task"] == "reconstruction" and plain.options["task"] == "classification"
    shapes = nv.data.load("shapes", n=40, size=28, task="reconstruction")
    assert shapes.y_train.shape == (32, 1, 28, 28) and shapes.labels("train").dtype == np.int64


def test_a_bad_task_names_the_option():
    with pytest.raises(ValueError, match="task='labels'"):
        nv.data.load("digits", task="labels")


def test_evaluate_reports_a_loss_and_no_accuracy_for_image_targets(digits):
    net = nv.Network.from_spec(ae_spec())
    trainer = nv.Trainer(net, "mse", nv.optim.make("adam", net, lr=1e-3))
    logs = trainer.evaluate(digits.x_test, digits.y_test)
    out = net.forward(digits.x_test)
    assert set(logs) == {"loss"}
    assert logs["loss"] == pytest.approx(float(np.mean((out - digits.x_test.reshape(len(out), -1)) ** 2)), rel=1e-5)


def test_mean_image_baseline(digits):
    expected = np.mean((digits.x_test - digits.x_train.mean(axis=0)) ** 2)
    assert mean_image_mse(digits) == pytest.approx(expected, rel=1e-6)
    assert 0.06 < mean_image_mse(digits) < 0.09  # the brief's 0.074


# ---------------------------------------------------------------------------------------------- encode / decode
def test_the_halves_compose_to_the_whole_network(digits):
    net = nv.Network.from_spec(ae_spec(), dtype="float64")
    x = digits.x_test[:7]
    z = encode(net, x)
    assert z.shape == (7, 2)
    images = decode(net, z)
    assert images.shape == (7, 1, 8, 8)
    np.testing.assert_allclose(images.reshape(7, -1), net.forward(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(z, net.outputs["code"], rtol=1e-12, atol=1e-12)
    assert encode(net, x[0]).shape == (1, 2) and decode(net, z[0]).shape == (1, 1, 8, 8)
    assert decoder_layers(net) == ["dec", "dec_act", "pixels"]


def test_encode_and_decode_refuse_what_they_cannot_do():
    plain = nv.Network.from_spec({"input_shape": [4], "layers": [{"id": "h", "type": "dense", "units": 2}]})
    with pytest.raises(ValueError, match="no layer with id 'code'.*missing"):
        encode(plain, np.zeros((1, 4)))
    net = nv.Network.from_spec(ae_spec())
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\).*\(3, 3\)"):
        decode(net, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        decode(net, np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match=r"images must have shape \(N, 1, 8, 8\)"):
        encode(net, np.zeros((2, 64)))
    with pytest.raises(TypeError, match="Network"):
        encode({"layers": []}, np.zeros((1, 1, 8, 8)))
    skipping = nv.Network.from_spec(ae_spec(skip=True))
    assert encode(skipping, np.zeros((2, 1, 8, 8))).shape == (2, 2)  # the encoder half still runs
    with pytest.raises(ValueError, match="layer 'skip' after the code reads the encoder layer 'enc_act'"):
        decode(skipping, np.zeros((1, 2)))
    last = {"input_shape": [3], "layers": [{"id": "code", "type": "dense", "units": 2}]}
    with pytest.raises(ValueError, match="no decoder after it"):
        decode(nv.Network.from_spec(last), np.zeros((1, 2)))


def test_interpolation_and_arithmetic(digits):
    net = nv.Network.from_spec(ae_spec(), dtype="float64")
    a, b = digits.x_test[0], digits.x_test[1]
    strip = interpolate(net, a, b, steps=5)
    assert strip.shape == (5, 1, 8, 8)
    za, zb = encode(net, a)[0], encode(net, b)[0]
    np.testing.assert_allclose(strip[0], decode(net, za)[0], atol=1e-12)
    np.testing.assert_allclose(strip[-1], decode(net, zb)[0], atol=1e-12)
    np.testing.assert_allclose(strip[2], decode(net, (za + zb) / 2)[0], atol=1e-12)
    np.testing.assert_allclose(interpolate(net, za, zb, steps=5), strip, atol=1e-12)  # codes work as ends too
    with pytest.raises(ValueError, match="steps must be an integer >= 2"):
        interpolate(net, a, b, steps=1)
    groups = [digits.x_test[digits.labels() == k][:3] for k in (7, 1, 4)]  # three exemplars each (Radford et al.)
    corners = arithmetic_codes(net, *groups)
    np.testing.assert_allclose(corners[0], encode(net, groups[0]).mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(corners[3], corners[0] - corners[1] + corners[2], atol=1e-12)
    image = arithmetic(net, *groups)
    assert image.shape == (1, 8, 8)
    np.testing.assert_allclose(image, decode(net, corners[3])[0], atol=1e-12)
    with pytest.raises(ValueError, match=r"expected a code \(2,\), an image"):
        code_of(net, np.zeros(5))


# ---------------------------------------------------------------------------------------------- training
def test_a_short_run_beats_the_mean_image_clearly_and_repeats(digits):
    preset = presets.load("autoencoder")
    assert preset["dataset"]["options"]["task"] == "reconstruction"
    net, metrics = presets.train("autoencoder", steps=CHEAP_STEPS)
    baseline = mean_image_mse(digits)
    assert metrics["test_accuracy"] is None
    assert metrics["test_loss"] < 0.75 * baseline  # about 0.55x here; the full budget reaches about 0.46x
    z = encode(net, digits.x_test)
    again, _ = presets.train("autoencoder", steps=CHEAP_STEPS)
    np.testing.assert_array_equal(encode(again, digits.x_test), z)
    # the code separates the digits: a test image's nearest neighbour in the plane mostly shares its class
    labels = digits.labels()
    d = np.linalg.norm(z[:, None] - z[None], axis=-1) + np.eye(len(z)) * 1e9
    assert np.mean(labels[d.argmin(axis=1)] == labels) > 0.5


def test_the_shapes_preset_builds_on_28_pixel_shapes():
    setup = presets.build(presets.load("autoencoder-shapes"))
    assert setup.dataset.x_train.shape[1:] == (1, 28, 28) and setup.dataset.task == "reconstruction"
    x = setup.dataset.x_test[:3]
    assert decode(setup.network, encode(setup.network, x)).shape == x.shape

"""nv.export_onnx: every preset's network and the layer types presets do not reach, checked by
onnx.checker and run by onnxruntime against the engine (≤ 1e-5). Skipped without onnx/onnxruntime."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.export import export_onnx
from neuralviz.layers import LAYER_TYPES

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _specs():
    out = []
    for name in nv.presets.names(None):
        preset = nv.presets.load(name)
        if preset.get("kind") == "gan":
            out += [(f"{name}:{part}", preset[part]) for part in ("generator", "discriminator") if part in preset]
        else:
            out.append((name, preset["network"]))
    return out


def _seq(kind, ret):
    return {
        "input_shape": [6, 3],
        "layers": [
            {"id": "r", "type": kind, "hidden": 5, "return_sequences": ret},
            {"id": "d", "type": "dense", "units": 2},
        ],
    }


EXTRA = [
    (f"{kind}-seq{int(ret)}", _seq(kind, ret)) for kind in ("rnn", "lstm", "gru", "clockwork") for ret in (False, True)
] + [
    (
        "images",
        {
            "input_shape": [2, 7, 7],
            "layers": [
                {"id": "c", "type": "conv2d", "channels": 3, "kernel_size": [3, 2], "padding": 1, "dilation": [1, 2]},
                {"id": "a", "type": "leaky_relu", "slope": 0.2, "inputs": ["c"]},
                {"id": "s", "type": "step", "inputs": ["c"]},
                {"id": "cat", "type": "concat", "inputs": ["a", "s"]},
                {
                    "id": "t",
                    "type": "conv_transpose2d",
                    "channels": 2,
                    "kernel_size": 3,
                    "stride": 2,
                    "output_padding": 1,
                },
                {"id": "p", "type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
                {"id": "u", "type": "upsample", "scale": [2, 3]},
                {"id": "m", "type": "maxpool2d", "kernel_size": 2, "padding": 1},
                {"id": "f", "type": "flatten"},
                {"id": "n", "type": "gaussian_noise"},
                {"id": "o", "type": "stochastic_dense", "units": 4},
                {"id": "q", "type": "polynomial", "degree": 2},
            ],
        },
    ),
    (
        "memory-layerwise",
        {
            "input_shape": [5, 4],
            "layers": [
                {"id": "mem", "type": "memory", "vocab": 9, "dim": 6, "hops": 2, "tying": "layerwise"},
                {"id": "out", "type": "dense", "units": 9},
            ],
        },
    ),
]

CASES = _specs() + EXTRA


def _input(net, n=5, seed=0):
    rng = np.random.default_rng(seed)
    first = [net.layers[e["id"]] for e in net.order if "input" in e["inputs"]]
    if any(getattr(layer, "takes_integer_input", False) for layer in first):
        vocab = min(int(layer.config["vocab"]) for layer in first)
        x = rng.integers(0, vocab, size=(n, *net.input_shape)).astype(np.int64)
        if x.ndim == 3:
            x[0, :-1] = 0  # a story with no sentence: the masked softmax's edge
        return x
    return rng.standard_normal((n, *net.input_shape)).astype(np.float32)


@pytest.mark.parametrize("label,spec", CASES, ids=[label for label, _ in CASES])
def test_onnxruntime_matches_engine(label, spec, tmp_path):
    missing = sorted({layer["type"] for layer in spec["layers"]} - set(LAYER_TYPES))
    if missing:
        pytest.skip(f"layer types not in this engine yet: {missing}")
    net = nv.Network.from_spec(spec, seed=1)
    path = export_onnx(net, tmp_path / "net.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 17
    used = {i for node in model.graph.node for i in node.input}
    assert all(init.name in used for init in model.graph.initializer), "unused initializers"
    x = _input(net)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    want = net.forward(x)
    assert got.shape == want.shape
    err = float(np.abs(got - want).max())
    assert err <= 1e-5 * max(1.0, float(np.abs(want).max())), f"{label}: onnxruntime vs engine {err:.3g}"


def test_parameter_names_survive(tmp_path):
    net = nv.Network.from_spec(nv.presets.load("digits-cnn")["network"])
    model = onnx.load(str(export_onnx(net, tmp_path / "d.onnx")))
    names = {init.name for init in model.graph.initializer}
    assert set(net.state_dict()) <= names


def test_unmapped_type_and_bad_opset_raise(tmp_path, monkeypatch):
    net = nv.Network.from_spec({"input_shape": [2], "layers": [{"id": "h", "type": "relu"}]})
    with pytest.raises(ValueError, match="opset must be an integer >= 17"):
        export_onnx(net, tmp_path / "x.onnx", opset=11)
    net.layers["h"].type = "mystery"
    with pytest.raises(NotImplementedError, match="layer 'h' has type 'mystery'"):
        export_onnx(net, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    net = nv.Network.from_spec({"input_shape": [2], "layers": [{"id": "h", "type": "dense", "units": 1}]})
    with pytest.raises(ImportError, match=r'pip install "neuralviz\[onnx\]"'):
        nv.export.export_onnx(net, tmp_path / "x.onnx")

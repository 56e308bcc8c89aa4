"""nv.to_torch / nv.from_torch: every preset's network, both dtypes, outputs and one SGD step.

The oracle is the engine itself: to_torch(net) must compute net.forward, and from_torch must
give back a network computing the same; one SGD step on the same loss gradient must move the
same weights by the same amount (to rounding). Skipped without torch.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.export import from_torch, to_torch
from neuralviz.layers import LAYER_TYPES

torch = pytest.importorskip("torch")

TOL = {"float32": 1e-5, "float64": 1e-10}


def _specs():
    """(label, spec) for every preset's network; a GAN preset gives its generator and discriminator."""
    out = []
    for name in nv.presets.names(None):
        preset = nv.presets.load(name)
        if preset.get("kind") == "gan":
            out += [(f"{name}:{part}", preset[part]) for part in ("generator", "discriminator") if part in preset]
        else:
            out.append((name, preset["network"]))
    return out


SPECS = _specs()


def _build(spec, dtype):
    missing = sorted({layer["type"] for layer in spec["layers"]} - set(LAYER_TYPES))
    if missing:
        pytest.skip(f"layer types not in this engine yet: {missing}")
    return nv.Network.from_spec(spec, seed=3, dtype=dtype)


def _input(net, n=5, seed=0):
    """A batch the network accepts: token ids below the vocabulary for a network reading ids, else normals."""
    rng = np.random.default_rng(seed)
    first = [net.layers[e["id"]] for e in net.order if "input" in e["inputs"]]
    if any(getattr(layer, "takes_integer_input", False) for layer in first):
        vocab = min(int(layer.config["vocab"]) for layer in first)
        return rng.integers(0, vocab, size=(n, *net.input_shape)).astype(np.int64)
    return rng.standard_normal((n, *net.input_shape)).astype(net.dtype)


def _close(a, b, dtype, what):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(1.0, float(np.abs(a).max(initial=0.0)))
    err = float(np.abs(a - b).max(initial=0.0))
    assert err <= TOL[dtype] * scale, f"{what}: max |difference| {err:.3g} (scale {scale:.3g}, dtype {dtype})"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label,spec", SPECS, ids=[label for label, _ in SPECS])
def test_round_trip_and_one_sgd_step(label, spec, dtype):
    net = _build(spec, dtype)
    module = to_torch(net)  # evaluation mode, as net.forward's default: dropout and noise are the identity
    assert list(module.state_dict()) == list(net.state_dict())
    for name, value in net.state_dict().items():
        assert np.array_equal(module.state_dict()[name].numpy(), value), name
    x = _input(net)
    y = net.forward(x)
    with torch.no_grad():
        yt = module(torch.from_numpy(x))
    assert yt.dtype == (torch.float64 if dtype == "float64" else torch.float32)
    _close(y, yt.numpy(), dtype, f"{label}: engine vs to_torch")
    back = from_torch(module, net.input_shape)
    assert back.dtype == net.dtype
    _close(y, back.forward(x), dtype, f"{label}: engine vs from_torch(to_torch)")
    _one_sgd_step(label, net, module, dtype)


def _one_sgd_step(label, net, module, dtype):
    """The same loss gradient (a fixed random grad_y) and one SGD step on both sides: the same weights."""
    x = _input(net, seed=1)
    grad_y = np.random.default_rng(2).standard_normal((len(x), *net.output_shape)).astype(net.dtype)
    lr = 0.1
    net.zero_grad()
    net.forward(x, train=False)
    net.backward(grad_y)
    nv.optim.make("sgd", net, lr=lr).step()
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    opt.zero_grad()
    (module(torch.from_numpy(x)) * torch.from_numpy(grad_y)).sum().backward()
    opt.step()
    theirs = module.state_dict()
    for name, value in net.state_dict().items():
        _close(value, theirs[name].detach().numpy(), dtype, f"{label}: {name} after one SGD step")


def test_sequential_from_torch_matches():
    torch.manual_seed(0)
    seq = (
        torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1),
            torch.nn.LeakyReLU(0.2),
            torch.nn.MaxPool2d(2),
            torch.nn.Upsample(scale_factor=2, mode="nearest"),
            torch.nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1),
            torch.nn.AvgPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Dropout(0.3),
            torch.nn.Linear(2 * 8 * 8, 3),
            torch.nn.Sigmoid(),
        )
        .double()
        .eval()
    )
    net = from_torch(seq, (1, 8, 8))
    assert net.dtype == np.float64
    assert [layer.type for layer in net.layers.values()][:3] == ["conv2d", "leaky_relu", "maxpool2d"]
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8))
    with torch.no_grad():
        want = seq(torch.from_numpy(x)).numpy()
    _close(net.forward(x), want, "float64", "nn.Sequential vs from_torch")
    grow = torch.nn.Sequential(torch.nn.Linear(4, 18), torch.nn.Unflatten(1, (2, 3, 3)), torch.nn.Conv2d(2, 1, 2))
    net = from_torch(grow.eval(), (4,))
    assert [layer.type for layer in net.layers.values()] == ["dense", "reshape", "conv2d"]
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    with torch.no_grad():
        _close(net.forward(x), grow(torch.from_numpy(x)).numpy(), "float32", "Unflatten vs reshape")


def test_recurrent_wrapper_matches_torch_lstm():
    """Recurrent shares torch.nn.LSTM's weights and gate order: the same numbers give the same output."""
    from neuralviz.export.torch_layers import Recurrent

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, batch_first=True).double()
    ours = Recurrent("lstm", 3, 5, return_sequences=True).double()
    with torch.no_grad():
        for local in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ours, local).copy_(getattr(lstm, f"{local}_l0"))
    x = torch.randn(2, 7, 3, dtype=torch.float64)
    assert torch.allclose(ours(x), lstm(x)[0], atol=1e-12)


def test_unsupported_modules_name_themselves():
    with pytest.raises(NotImplementedError, match=r"child '0' \(Conv2d\): groups=2"):
        from_torch(torch.nn.Sequential(torch.nn.Conv2d(2, 2, 3, groups=2)), (2, 5, 5))
    with pytest.raises(NotImplementedError, match=r"child '0' \(LSTM\)"):
        from_torch(torch.nn.Sequential(torch.nn.LSTM(3, 4)), (5, 3))
    with pytest.raises(NotImplementedError, match="BatchNorm1d"):
        from_torch(torch.nn.Sequential(torch.nn.BatchNorm1d(3)), (3,))
    with pytest.raises(NotImplementedError, match="neither an nn.Sequential"):
        from_torch(torch.nn.Linear(2, 3), (2,))


def test_unmapped_layer_type_raises_naming_it():
    from neuralviz.export.torch_module import layer_code

    net = nv.Network.from_spec({"input_shape": [2], "layers": [{"id": "h", "type": "relu"}]})
    layer = net.layers["h"]
    layer.type = "mystery"  # an instance attribute: the class keeps its own
    with pytest.raises(NotImplementedError, match="layer 'h' has type 'mystery'"):
        layer_code(layer)


def test_every_layer_type_has_a_mapping():
    """A layer type added to the engine without a torch mapping fails here, by name."""
    from neuralviz.export.torch_module import CUSTOM

    plain = {"dense", "conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "upsample", "flatten", "relu"}
    plain |= {"tanh", "sigmoid", "leaky_relu", "dropout", "reshape"}
    assert set(LAYER_TYPES) - plain - set(CUSTOM) == set()


def test_train_mode_draws_and_eval_mode_is_identity():
    spec = {
        "input_shape": [6],
        "layers": [{"id": "d", "type": "dropout", "p": 0.5}, {"id": "g", "type": "gaussian_noise", "std": 1.0}],
    }
    module = to_torch(nv.Network.from_spec(spec))
    x = torch.ones(3, 6)
    assert torch.equal(module(x), x)
    module.train()
    torch.manual_seed(0)
    assert not torch.equal(module(x), x)


def test_import_neuralviz_loads_no_torch_or_onnx():
    code = "import sys, neuralviz, neuralviz.export; print(sorted(m for m in ('torch', 'onnx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    net = nv.Network.from_spec({"input_shape": [2], "layers": [{"id": "h", "type": "dense", "units": 1}]})
    with pytest.raises(ImportError, match=r'pip install "neuralviz\[torch\]"'):
        nv.export.to_torch(net)

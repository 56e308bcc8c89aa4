"""Network construction from specs: validation, shapes, round-trip, summary, and whole
networks against the equivalent PyTorch modules with the same weights."""

import json

import numpy as np
import pytest

import neuralviz as nv

XOR_MLP = {
    "format": "neuralviz.network/1",
    "name": "xor-mlp",
    "input_shape": [2],
    "layers": [
        {"id": "h1", "type": "dense", "units": 4},
        {"id": "a1", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1, "inputs": ["a1"]},
    ],
    "output": "out",
}


def test_from_spec_dict_path_and_string(tmp_path):
    p = tmp_path / "xor.json"
    p.write_text(json.dumps(XOR_MLP))
    nets = [
        nv.Network.from_spec(XOR_MLP, seed=0),
        nv.Network.from_spec(p, seed=0),
        nv.Network.from_spec(str(p), seed=0),
    ]
    for net in nets[1:]:
        for a, b in zip(nets[0].parameters(), net.parameters()):
            np.testing.assert_array_equal(a.value, b.value)
    assert nets[0].output_shape == (1,)
    assert [p.name for p in nets[0].parameters()] == ["h1.weight", "h1.bias", "out.weight", "out.bias"]


def test_seed_determinism_and_init_bounds():
    a = nv.Network.from_spec(XOR_MLP, seed=5)
    b = nv.Network.from_spec(XOR_MLP, seed=5)
    c = nv.Network.from_spec(XOR_MLP, seed=6)
    np.testing.assert_array_equal(a.parameters()[0].value, b.parameters()[0].value)
    assert not np.array_equal(a.parameters()[0].value, c.parameters()[0].value)
    w = a.parameters()[0].value
    assert w.dtype == np.float32 and np.all(np.abs(w) <= 1 / np.sqrt(2))  # PyTorch's U(-1/sqrt(fan_in), ..)


def test_to_spec_round_trip():
    net = nv.Network.from_spec(XOR_MLP, seed=0)
    spec = net.to_spec()
    again = nv.Network.from_spec(json.loads(json.dumps(spec)), seed=0)
    assert again.to_spec() == spec
    assert spec["layers"][1]["inputs"] == ["h1"]


def test_summary_lists_shapes_params_flops():
    net = nv.Network.from_spec(
        {
            "input_shape": [1, 8, 8],
            "layers": [
                {"id": "c", "type": "conv2d", "channels": 4, "kernel_size": 3},
                {"id": "p", "type": "maxpool2d", "kernel_size": 2},
                {"id": "f", "type": "flatten"},
                {"id": "d", "type": "dense", "units": 10},
            ],
        }
    )
    text = net.summary()
    assert "(4, 6, 6)" in text and "(4, 3, 3)" in text and "(36,)" in text
    assert "40" in text and "370" in text  # conv params 4*9+4, dense 36*10+10
    assert f"{net.num_parameters():,d} parameters" in text
    assert net.layer_table()[0]["flops"] == 2 * 36 * 36


@pytest.mark.parametrize(
    "spec,match",
    [
        ({"input_shape": [2], "layers": [{"id": "a", "type": "dense_layer", "units": 2}]}, "unknown type"),
        (
            {
                "input_shape": [2],
                "layers": [
                    {"id": "a", "type": "dense", "units": 2},
                    {"id": "b", "type": "dense", "units": 2, "inputs": ["aa"]},
                ],
            },
            "input 'aa' does not exist.*did you mean 'a'",
        ),
        (
            {
                "input_shape": [2],
                "layers": [
                    {"id": "a", "type": "dense", "units": 2, "inputs": ["b"]},
                    {"id": "b", "type": "dense", "units": 2, "inputs": ["a"]},
                ],
            },
            "cycle",
        ),
        (
            {
                "input_shape": [1, 8, 8],
                "layers": [
                    {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3},
                    {"id": "d", "type": "dense", "units": 2},
                ],
            },
            "layer 'd'.*flatten.*\\(2, 6, 6\\)",
        ),
        (
            {
                "input_shape": [3],
                "layers": [
                    {"id": "a", "type": "dense", "units": 2},
                    {"id": "b", "type": "dense", "units": 3, "inputs": ["input"]},
                    {"id": "s", "type": "add", "inputs": ["a", "b"]},
                ],
            },
            "layer 's'.*same shape.*\\(2,\\), \\(3,\\)",
        ),
        (
            {"input_shape": [2], "layers": [{"id": "a", "type": "dense", "units": 2}, {"id": "a", "type": "tanh"}]},
            "duplicate id",
        ),
        ({"input_shape": [2], "layers": [{"id": "a", "type": "dense", "units": 0}]}, "layer 'a'.*units"),
        ({"input_shape": [2], "layers": [{"id": "a", "type": "dense", "unit": 3}]}, "unknown parameter"),
        (
            {"input_shape": [1, 4, 4], "layers": [{"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 5}]},
            "layer 'c'.*larger than the padded input",
        ),
        ({"input_shape": [2], "layers": [{"id": "d", "type": "dropout", "p": 1.5}]}, "layer 'd'.*'p'"),
        ({"input_shape": [], "layers": [{"id": "a", "type": "tanh"}]}, "input_shape"),
        ({"input_shape": [2], "layers": []}, "layers"),
        ({"input_shape": [2], "layers": [{"id": "a", "type": "tanh"}], "output": "zz"}, "output"),
        ({"input_shape": [4], "layers": [{"id": "l", "type": "lstm", "hidden": 3}]}, "layer 'l'.*sequence"),
    ],
)
def test_bad_specs_name_the_problem(spec, match):
    with pytest.raises(nv.SpecError, match=match):
        nv.Network.from_spec(spec)


def test_corrupt_spec_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"input_shape": [2], "layers": [')
    with pytest.raises(nv.SpecError, match="not valid JSON"):
        nv.Network.from_spec(p)
    with pytest.raises(FileNotFoundError):
        nv.Network.from_spec(tmp_path / "missing.json")


def test_forward_rejects_wrong_input_shape():
    net = nv.Network.from_spec(XOR_MLP)
    with pytest.raises(ValueError, match=r"\(batch, 2\).*\(5, 3\)"):
        net.forward(np.zeros((5, 3), np.float32))


# ---------------------------------------------------------------- against PyTorch
torch_cases = pytest.mark.filterwarnings("ignore::UserWarning")


def _copy_into_torch(net, module_params):
    import torch

    with torch.no_grad():
        for name, tp in module_params.items():
            tp.copy_(torch.from_numpy(net.state_dict()[name]))


def _compare(net, model, x, torch_x, named):
    import torch

    _copy_into_torch(net, named)
    y = net.forward(x)
    ty = model(torch_x)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    G = np.random.default_rng(3).standard_normal(y.shape)
    net.zero_grad()
    gx = net.backward(G)
    (ty * torch.from_numpy(G)).sum().backward()
    grads = {p.name: p.grad for p in net.parameters()}
    for name, tp in named.items():
        np.testing.assert_allclose(grads[name], tp.grad.numpy(), rtol=1e-9, atol=1e-10, err_msg=name)
    if torch_x.requires_grad:
        np.testing.assert_allclose(gx, torch_x.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    spec = {
        "input_shape": [5],
        "layers": [
            {"id": "h1", "type": "dense", "units": 7},
            {"id": "a1", "type": "relu"},
            {"id": "h2", "type": "dense", "units": 6},
            {"id": "a2", "type": "sigmoid"},
            {"id": "out", "type": "dense", "units": 3},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 6), torch.nn.Sigmoid(), torch.nn.Linear(6, 3)
    ).double()
    named = {
        "h1.weight": model[0].weight,
        "h1.bias": model[0].bias,
        "h2.weight": model[2].weight,
        "h2.bias": model[2].bias,
        "out.weight": model[4].weight,
        "out.bias": model[4].bias,
    }
    x = np.random.default_rng(0).standard_normal((4, 5))
    _compare(net, model, x, torch.tensor(x, requires_grad=True), named)


def test_residual_cnn_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    spec = {
        "input_shape": [2, 8, 8],
        "layers": [
            {"id": "c1", "type": "conv2d", "channels": 4, "kernel_size": 3, "padding": 1},
            {"id": "r1", "type": "relu"},
            {"id": "c2", "type": "conv2d", "channels": 4, "kernel_size": 3, "padding": 1},
            {"id": "skip", "type": "add", "inputs": ["c2", "r1"]},
            {"id": "r2", "type": "relu"},
            {"id": "p", "type": "maxpool2d", "kernel_size": 2},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 3},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")

    class Res(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(2, 4, 3, padding=1)
            self.c2 = torch.nn.Conv2d(4, 4, 3, padding=1)
            self.out = torch.nn.Linear(64, 3)

        def forward(self, x):
            r1 = F.relu(self.c1(x))
            r2 = F.relu(self.c2(r1) + r1)
            return self.out(torch.flatten(F.max_pool2d(r2, 2), 1))

    model = Res().double()
    named = {f"{m}.{k}": getattr(getattr(model, m), k) for m in ("c1", "c2", "out") for k in ("weight", "bias")}
    x = np.random.default_rng(1).standard_normal((3, 2, 8, 8))
    _compare(net, model, x, torch.tensor(x, requires_grad=True), named)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_sequence_model_matches_torch(kind):
    torch = pytest.importorskip("torch")
    spec = {
        "input_shape": [6, 3],
        "layers": [{"id": "r", "type": kind, "hidden": 5}, {"id": "out", "type": "dense", "units": 2}],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]

    class Seq(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.r = cls(3, 5, batch_first=True)
            self.out = torch.nn.Linear(5, 2)

        def forward(self, x):
            y, _ = self.r(x)
            return self.out(y[:, -1])

    model = Seq().double()
    named = {"out.weight": model.out.weight, "out.bias": model.out.bias}
    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        named[f"r.{k}"] = getattr(model.r, f"{k}_l0")
    x = np.random.default_rng(2).standard_normal((4, 6, 3))
    _compare(net, model, x, torch.tensor(x, requires_grad=True), named)

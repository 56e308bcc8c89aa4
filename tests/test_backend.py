"""The backend object (neuralviz.backend): layers, losses, optimizers and nv.ops all call the
active backend's kernels, so installing another one reaches a whole Network and Trainer.

The proof is a fake: the CPU kernels, each call counted by name, installed through the same
mechanism as nv.set_backend. Without a GPU, CudaBackend is exercised with a stand-in module.
"""

import ast
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import backend


class CountingBackend(backend.CpuBackend):
    """The CPU kernels, each call counted by name: which object the engine called, and how often."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()


def _counted(name: str):
    kernel = getattr(backend.CpuBackend, name)

    def call(self, *args, **kwargs):
        self.calls[name] += 1
        return kernel(*args, **kwargs)

    return call


for _name in backend.KERNELS:
    setattr(CountingBackend, _name, _counted(_name))


MLP = {
    "input_shape": [2],
    "layers": [
        {"id": "h1", "type": "dense", "units": 8},
        {"id": "a1", "type": "tanh"},
        {"id": "h2", "type": "dense", "units": 8},
        {"id": "a2", "type": "relu"},
        {"id": "h3", "type": "dense", "units": 8},
        {"id": "a3", "type": "leaky_relu"},
        {"id": "h4", "type": "dense", "units": 4},
        {"id": "a4", "type": "sigmoid"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}
CNN = {
    "input_shape": [1, 8, 8],
    "layers": [
        {"id": "c1", "type": "conv2d", "channels": 3, "kernel_size": 3, "padding": 1},
        {"id": "p1", "type": "maxpool2d", "kernel_size": 2},
        {"id": "p2", "type": "avgpool2d", "kernel_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
RNN = {
    "input_shape": [5, 3],
    "layers": [
        {"id": "r1", "type": "rnn", "hidden": 4, "return_sequences": True},
        {"id": "l1", "type": "lstm", "hidden": 4, "return_sequences": True},
        {"id": "g1", "type": "gru", "hidden": 4},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
NETWORK_KERNELS = [
    (MLP, {"linear_forward", "matmul", "tanh_forward", "tanh_backward", "relu_forward", "relu_backward"}),
    (MLP, {"leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward", "sigmoid_backward"}),
    (CNN, {"conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"}),
    (RNN, {"rnn_tanh_forward", "rnn_tanh_backward", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward"}),
]


@pytest.fixture(autouse=True)
def _cpu_after_each_test():
    yield
    backend.set_backend("cpu")


def _forward_backward(spec: dict) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    x = np.random.default_rng(1).standard_normal((6, *net.input_shape))
    y = net.forward(x, train=True)
    gx = net.backward(np.ones_like(y))
    return y, gx, [p.grad.copy() for p in net.parameters()]


# ----------------------------------------------------------------------------- the layer graph
@pytest.mark.parametrize("spec,kernels", NETWORK_KERNELS)
def test_network_forward_and_backward_run_on_the_active_backend(spec, kernels):
    expected = _forward_backward(spec)
    fake = CountingBackend()
    with backend.use(fake):
        got = _forward_backward(spec)
    assert kernels <= set(fake.calls), f"not called through the backend: {sorted(kernels - set(fake.calls))}"
    for want, have in zip((expected[0], expected[1], *expected[2]), (got[0], got[1], *got[2])):
        np.testing.assert_array_equal(have, want)


def test_tanh_and_sigmoid_take_the_large_kernels_from_large_arrays_on():
    net = nv.Network.from_spec(
        {"input_shape": [8], "layers": [{"id": "t", "type": "tanh"}, {"id": "s", "type": "sigmoid"}]}, seed=0
    )
    rows = backend.CpuBackend.LARGE // 8
    small, large = (np.linspace(-3, 3, n * 8, dtype=np.float32).reshape(n, 8) for n in (rows - 1, rows))
    with backend.use(CountingBackend()) as fake:
        y_small, y_large = net.forward(small), net.forward(large)
    assert fake.calls == Counter(tanh_forward=1, sigmoid_forward=1, tanh_forward_large=1, sigmoid_forward_large=1)
    np.testing.assert_allclose(y_small, 1 / (1 + np.exp(-np.tanh(small))), rtol=1e-6)
    np.testing.assert_allclose(y_large, 1 / (1 + np.exp(-np.tanh(large))), rtol=1e-6)


def test_trainer_layer_path_runs_loss_and_update_on_the_active_backend():
    net = nv.Network.from_spec(MLP, seed=0)
    ds = nv.data.load("xor", seed=0)
    trainer = nv.Trainer(net, "bce", nv.optim.make("adam", net, lr=0.01), seed=0)
    fake = CountingBackend()
    backend.set_backend(fake)
    trainer.train_steps(ds.x_train, ds.y_train, 3, 10)
    assert trainer.path == "layers"
    assert fake.calls["bce_with_logits"] == 3
    assert fake.calls["adam_update"] == 3 * len(net.parameters())
    assert fake.calls["linear_forward"] == 3 * 5 and fake.calls["tanh_forward"] == 3


@pytest.mark.parametrize(
    "opt,kernel", [("sgd", "sgd_update"), ("momentum", "momentum_update"), ("rmsprop", "rmsprop_update")]
)
def test_every_first_order_update_runs_on_the_active_backend(opt, kernel):
    net = nv.Network.from_spec(CNN, seed=0)  # not a dense chain: the layer path even for sgd
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    trainer = nv.Trainer(net, "cross_entropy", nv.optim.make(opt, net, lr=0.01), seed=0)
    with backend.use(CountingBackend()) as fake:
        trainer.step(x, np.array([0, 1, 1, 0]))
    assert fake.calls[kernel] == len(net.parameters()) and fake.calls["softmax_cross_entropy"] == 1


def test_trainer_fused_path_runs_on_the_active_backend():
    net = nv.Network.from_spec(MLP, seed=0)
    ds = nv.data.load("xor", seed=0)
    trainer = nv.Trainer(net, "mse", nv.optim.make("sgd", net, lr=0.01), seed=0)
    with backend.use(CountingBackend()) as fake:
        trainer.train_steps(ds.x_train, ds.y_train, 20, 10)
    assert trainer.path == "fused" and fake.calls["mlp_sgd_steps"] >= 1
    assert fake.calls["linear_forward"] == 0  # no step went through the layers


# ----------------------------------------------------------------------------- nv.ops
def test_ops_validate_then_call_the_active_backend():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    x = rng.standard_normal((2, 1, 6, 6))
    w = rng.standard_normal((2, 1, 3, 3))
    seq, h0 = rng.standard_normal((4, 2, 3)), np.zeros((2, 5))
    w_ih, w_hh, b = rng.standard_normal((20, 3)), rng.standard_normal((20, 5)), np.zeros(20)
    with backend.use(CountingBackend()) as fake:
        nv.ops.matmul(a, a, trans_b=True)
        nv.ops.conv2d(x, w)
        nv.ops.max_pool2d(x, 2)
        nv.ops.avg_pool2d(x, 2)
        nv.ops.lstm_backward(seq, h0, h0, w_ih, w_hh, b, b, np.ones((4, 2, 5)))
        with pytest.raises(ValueError, match="inner dimensions"):
            nv.ops.matmul(a, a)  # refused by ops: the backend never sees it
    assert fake.calls == Counter(matmul=1, conv2d=1, max_pool2d=1, avg_pool2d=1, lstm_forward=1, lstm_backward=1)


# ----------------------------------------------------------------------------- switching
def test_switching_back_restores_the_cpu_backend():
    fake = CountingBackend()
    nv.set_backend(fake)
    assert backend.current is fake and backend.active() is fake and nv.get_backend() == "counting"
    nv.set_backend("cpu")
    assert backend.current is backend.CPU and nv.get_backend() == "cpu"
    nv.ops.matmul(np.eye(2), np.eye(2))
    assert not fake.calls


def test_use_restores_the_backend_before_it_even_after_an_error():
    outer, inner = CountingBackend(), CountingBackend()
    with backend.use(outer):
        with pytest.raises(RuntimeError, match="mid-block"):
            with backend.use(inner):
                assert backend.current is inner
                raise RuntimeError("mid-block")
        assert backend.current is outer
    assert backend.current is backend.CPU


def test_cuda_without_a_gpu_is_refused_with_the_reason():
    if backend.HAS_CUDA:
        pytest.skip("a GPU is usable here")
    for switch in (nv.set_backend, lambda name: backend.use(name).__enter__()):
        with pytest.raises(RuntimeError, match="set_backend\\('cuda'\\)") as err:
            switch("cuda")
        assert backend.CUDA_REASON in str(err.value)
        assert backend.current is backend.CPU


@pytest.mark.parametrize("bad,error", [("tpu", ValueError), (3, TypeError), (backend.CpuBackend, TypeError)])
def test_set_backend_refuses_what_is_not_a_backend(bad, error):
    with pytest.raises(error, match="set_backend"):
        nv.set_backend(bad)
    assert backend.current is backend.CPU


def test_cuda_backend_runs_host_arrays_on_the_cpu():
    """CudaBackend over the simulator module: host arrays get the CPU's kernels and results (a network that
    stays in host memory under a GPU backend trains exactly as on the CPU)."""
    sim = backend.simulator()
    if sim is None:
        pytest.skip("_C_cudasim was not built")
    sim.module.reset_transfer_stats()
    assert sim.name == "cuda-sim" and all(callable(getattr(sim, k)) for k in backend.KERNELS)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(sim.linear_forward(x, w, None), backend.CPU.linear_forward(x, w, None))
    np.testing.assert_array_equal(sim.matmul(x, w, False, True), backend.CPU.matmul(x, w, False, True))
    assert sim.module.transfer_stats()["to_device"] == 0


# ----------------------------------------------------------------------------- one import site
ROOT = Path(nv.__file__).parent
# the backend; the fuzzer of the raw bindings; the package, which re-exports neuralviz._C
RAW_KERNEL_USERS = {"backend.py", "fuzz/kernels.py", "__init__.py"}


_COMPILED = ("_C", "_C_cuda", "_C_cudasim")


def _imports_compiled(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = {node.module or ""} | {a.name for a in node.names}
            if any(n.split(".")[-1] in _COMPILED for n in names):
                return True
        elif isinstance(node, ast.Import) and any(a.name.split(".")[-1] in _COMPILED for a in node.names):
            return True
    return False


def test_only_the_backend_module_imports_the_compiled_kernels():
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted(ROOT.rglob("*.py"))
        if str(p.relative_to(ROOT)) not in RAW_KERNEL_USERS and _imports_compiled(p)
    ]
    assert not offenders, f"import the kernels through neuralviz.backend, not _C/_C_cuda: {offenders}"

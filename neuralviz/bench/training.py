"""Whole training steps and prediction grids against PyTorch, float32, single thread.

Rows (targets from the issue "Layer graph engine"):
  playground 2-8-8-1 tanh, batch 10: one SGD step through the layer graph (Trainer.step),
      then through the fused path (fastpath.train_steps, 256 steps per call, reported per
      step; target >= 5x faster than the torch step);
  the same network evaluated on a 200x200 grid (the decision-boundary view; <= 3 ms);
  MLP 784-256-128-10 relu, batch 128, SGD step (<= 1.1x torch), also through the fused path;
  LeNet-style CNN on 28x28, batch 64, cross-entropy SGD step (<= 1.5x torch).
Peers: the same models in torch (nn.Sequential, torch.optim.SGD, zero_grad/backward/step,
forward under no_grad), initialised with our weights.
Checks, before timing: the losses and weights of a few steps against torch's (without torch:
the losses fall), the fused rows against the layer path, the grid against torch (or numpy).

Run with `python -m neuralviz.bench training`.
"""

from __future__ import annotations

import numpy as np

from .. import optim
from ..fastpath import sample_order, train_steps
from ..network import Network
from ..trainer import Trainer
from ._harness import Case, torch_or_none

PLAYGROUND = {
    "input_shape": [2],
    "layers": [
        {"id": "h1", "type": "dense", "units": 8},
        {"id": "a1", "type": "tanh"},
        {"id": "h2", "type": "dense", "units": 8},
        {"id": "a2", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}

MLP = {
    "input_shape": [784],
    "layers": [
        {"id": "h1", "type": "dense", "units": 256},
        {"id": "a1", "type": "relu"},
        {"id": "h2", "type": "dense", "units": 128},
        {"id": "a2", "type": "relu"},
        {"id": "out", "type": "dense", "units": 10},
    ],
}

LENET = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"id": "c1", "type": "conv2d", "channels": 6, "kernel_size": 5},
        {"id": "r1", "type": "relu"},
        {"id": "p1", "type": "maxpool2d", "kernel_size": 2},
        {"id": "c2", "type": "conv2d", "channels": 16, "kernel_size": 5},
        {"id": "r2", "type": "relu"},
        {"id": "p2", "type": "maxpool2d", "kernel_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "f1", "type": "dense", "units": 120},
        {"id": "r3", "type": "relu"},
        {"id": "f2", "type": "dense", "units": 84},
        {"id": "r4", "type": "relu"},
        {"id": "out", "type": "dense", "units": 10},
    ],
}

FUSED_CHUNK = 256  # steps per fused call; a power of two, see Amortised
CHECK_STEPS = 4  # steps each check trains before comparing losses (and weights)
# float32 training against torch or the layer path: the same formulas summed in other orders,
# so the losses and weights after a few steps agree to ~1e-7 relative (measured); 1e-4 leaves
# room for other reduction orders, and a wrong gradient or update misses it by far
TRAIN_RTOL, TRAIN_ATOL = 1e-4, 1e-6


class Amortised:
    """Calls fn(chunk) on every chunk-th call and does nothing on the others.

    The harness reports the median time of one call, averaged over a power-of-two number of
    calls per sample; once that number is a multiple of `chunk` (a power of two too) every
    sample holds exactly (calls / chunk) real calls, whatever the phase, so the reported time
    is the cost of one step amortised over a chunk-step kernel call. A chunk takes ~1 ms,
    far below the harness's 20 ms minimum sample, so calibration always reaches that regime.
    """

    def __init__(self, fn, chunk: int = FUSED_CHUNK):
        self.fn, self.chunk, self.calls = fn, chunk, 0

    def __call__(self):
        self.calls += 1
        if self.calls % self.chunk == 0:
            self.fn(self.chunk)


def _torch_model(torch, net: Network):
    """nn.Sequential mirroring net (a chain), holding copies of net's weights."""
    nn = torch.nn
    modules = []
    for layer in net.layers.values():
        if layer.type == "dense":
            w = layer.weight.value
            m = nn.Linear(w.shape[1], w.shape[0], bias=layer.bias is not None)
        elif layer.type == "conv2d":
            w = layer.weight.value
            m = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), bias=layer.bias is not None)
        elif layer.type == "maxpool2d":
            m = nn.MaxPool2d(layer.config["kernel_size"])
        else:
            m = {"tanh": nn.Tanh, "relu": nn.ReLU, "flatten": nn.Flatten}[layer.type]()
        if hasattr(layer, "weight"):
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(layer.weight.value))
                if layer.bias is not None:
                    m.bias.copy_(torch.from_numpy(layer.bias.value))
        modules.append(m)
    return nn.Sequential(*modules)


def _step_cases(
    name: str, spec: dict, x: np.ndarray, y: np.ndarray, loss: str, lr: float, target: str
) -> tuple[list[Case], Network]:
    """Trainer.step on (x, y) against the torch step on the same model and batch."""
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, loss, optim.make("sgd", net, lr=lr))
    case = Case(
        name,
        lambda: trainer.step(x, y),
        "torch",
        target=target,
        flops=3 * len(x) * sum(layer.flops() for layer in net.layers.values()),
    )
    torch, model = torch_or_none(), None
    if torch is not None:
        model = _torch_model(torch, Network.from_spec(spec, seed=0))
        case.theirs = _torch_step(torch, model, x, y, loss, lr)
    case.check = lambda: _check_steps(case, net, model)
    return [case], net


def _torch_step(torch, model, x: np.ndarray, y: np.ndarray, loss: str, lr: float):
    """One torch SGD step of model on (x, y), returning the loss before it, as Trainer.step does."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    tx = torch.from_numpy(x)
    if loss == "bce":
        crit, ty = torch.nn.BCEWithLogitsLoss(), torch.from_numpy(y.reshape(-1, 1))
    else:
        crit, ty = torch.nn.CrossEntropyLoss(), torch.from_numpy(y)

    def torch_step():
        opt.zero_grad()
        value = crit(model(tx), ty)
        value.backward()
        opt.step()
        return value.item()

    return torch_step


def _check_steps(case: Case, net: Network, model) -> None:
    """Our first CHECK_STEPS losses, and the weights after them, against torch's from the same
    weights on the same batch (the check runs before either side is timed). Without torch
    the layer path has no reference: its losses must be finite and the last below the first."""
    from ._harness import check_close

    losses = [case.ours() for _ in range(CHECK_STEPS)]
    if model is None:
        _check_descends(case.name, losses)
        return
    ref = [case.theirs() for _ in losses]
    check_close(f"{case.name}: losses of steps 1-{CHECK_STEPS} vs torch", losses, ref, TRAIN_RTOL, TRAIN_ATOL)
    weights = [p.value for p in net.parameters()]
    check_close(
        f"{case.name}: weights after {CHECK_STEPS} steps vs torch",
        weights,
        list(model.parameters()),
        TRAIN_RTOL,
        TRAIN_ATOL,
    )


def _check_descends(name: str, losses: list[float]) -> None:
    """The check where nothing to compare with exists: finite losses, the last below the first."""
    from ._harness import CheckFailed

    if not (np.all(np.isfinite(losses)) and losses[-1] < losses[0]):
        raise CheckFailed(f"{name}: the losses of {len(losses)} steps on one batch did not go down: {losses}")


def _check_fused(name: str, spec: dict, x, y, loss: str, lr: float, order: np.ndarray, batch: int) -> None:
    """The fused path against the layer path (Trainer.step, SGD) from the same initial weights
    over the same batches (order[: CHECK_STEPS * batch]): the losses and the final weights."""
    from ._harness import check_close

    order = order[: CHECK_STEPS * batch]
    fused = Network.from_spec(spec, seed=0)
    losses = train_steps(fused, x, y, loss, lr, order, batch)
    layered = Network.from_spec(spec, seed=0)
    trainer = Trainer(layered, loss, optim.make("sgd", layered, lr=lr))
    ref = [trainer.step(x[idx], y[idx]) for idx in order.reshape(-1, batch)]
    check_close(f"{name}: losses vs the layer path", losses, ref, TRAIN_RTOL, TRAIN_ATOL)
    weights = [[p.value for p in net.parameters()] for net in (fused, layered)]
    check_close(f"{name}: weights after {CHECK_STEPS} steps vs the layer path", *weights, TRAIN_RTOL, TRAIN_ATOL)


def _check_forward(name: str, net: Network, x: np.ndarray) -> None:
    """net.forward(x) against torch's copy of net's current weights (the weights the timed peer
    holds are stale once the fused row has trained net), else against _numpy_forward. atol is
    TRAIN_RTOL times the outputs' rms: once trained, the net's terms are large, and outputs that
    cancel to near zero carry their rounding."""
    from ._harness import check_close

    torch = torch_or_none()
    if torch is None:
        ref = _numpy_forward(net, x)
    else:
        with torch.no_grad():
            ref = _torch_model(torch, net)(torch.from_numpy(x)).numpy().astype(np.float64)
    check_close(f"{name}: outputs", net.forward(x), ref, TRAIN_RTOL, TRAIN_RTOL * np.sqrt(np.mean(ref**2)))


def _numpy_forward(net: Network, x: np.ndarray) -> np.ndarray:
    """A chain of dense/tanh/relu layers in float64: the reference without torch."""
    h = x.astype(np.float64)
    for layer in net.layers.values():
        if layer.type == "dense":
            h = h @ layer.weight.value.T + (layer.bias.value if layer.bias is not None else 0.0)
        else:
            h = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}[layer.type](h)
    return h


def _playground(quick: bool) -> list[Case]:
    rng = np.random.default_rng(0)
    x_all = rng.uniform(-5, 5, size=(200, 2)).astype(np.float32)
    y_all = (x_all[:, 0] * x_all[:, 1] > 0).astype(np.float32)  # XOR quadrants
    x, y = x_all[:10], y_all[:10]
    cases, _ = _step_cases("playground 2-8-8-1 tanh b10 step (layers)", PLAYGROUND, x, y, "bce", 0.03, "")
    layered = cases[0]

    fused_net = Network.from_spec(PLAYGROUND, seed=0)
    chunks = sample_order(len(x_all), FUSED_CHUNK * 64, 10, rng).reshape(64, -1)
    calls = [0]

    def fused(steps):  # walks through a long shuffled order, as the app would
        calls[0] += 1
        train_steps(fused_net, x_all, y_all, "bce", 0.03, chunks[calls[0] % len(chunks)], 10)

    name = f"playground step fused ({FUSED_CHUNK}/call, per step)"
    cases.append(Case(name, Amortised(fused), "torch", layered.theirs, target="<= 1/5 torch (>= 5x faster)"))
    cases[-1].check = lambda: _check_fused(name, PLAYGROUND, x_all, y_all, "bce", 0.03, chunks[0], 10)

    side = np.linspace(-6, 6, 200, dtype=np.float32)
    grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)
    case = Case(
        "playground 2-8-8-1 forward 200x200 grid",
        lambda: fused_net.forward(grid),
        "torch",
        target="<= 3 ms",
        flops=len(grid) * sum(layer.flops() for layer in fused_net.layers.values()),
    )
    case.check = lambda: _check_forward(case.name, fused_net, grid)
    torch = torch_or_none()
    if torch is not None:
        model, tgrid = _torch_model(torch, fused_net), torch.from_numpy(grid)

        def torch_forward():
            with torch.no_grad():
                return model(tgrid)

        case.theirs = torch_forward
    cases.append(case)
    return cases


def _mlp(quick: bool) -> list[Case]:
    rng = np.random.default_rng(1)
    x = rng.random((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    cases, _ = _step_cases("mlp 784-256-128-10 relu b128 step", MLP, x, y, "cross_entropy", 0.01, "<= 1.1x torch")
    # one step per call: at ~1 ms a step the call overhead (~20 us) needs no amortising
    fused_net, order = Network.from_spec(MLP, seed=0), rng.permutation(128)
    name = "mlp 784-256-128-10 step fused"
    cases.append(
        Case(
            name,
            lambda: train_steps(fused_net, x, y, "cross_entropy", 0.01, order, 128),
            "torch",
            cases[0].theirs,
            flops=cases[0].flops,
            check=lambda: _check_fused(name, MLP, x, y, "cross_entropy", 0.01, np.tile(order, CHECK_STEPS), 128),
        )
    )
    return cases


def _lenet(quick: bool) -> list[Case]:
    rng = np.random.default_rng(2)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    cases, _ = _step_cases("lenet 28x28 b64 step", LENET, x, y, "cross_entropy", 0.01, "<= 1.5x torch")
    return cases


def cases(quick: bool = False) -> list[Case]:
    return _playground(quick) + _mlp(quick) + _lenet(quick)

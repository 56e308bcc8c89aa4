"""Convolution and pooling kernels, float32, single thread.

Ours: nv.ops.conv2d then nv.ops.conv2d_backward (grad_x, grad_w and grad_b), timed at the
Python call level, wrappers included.
Peer: torch.nn.functional.conv2d plus autograd backward of a random upstream gradient with
gradients for x, w and b, like ours. Forward-only rows time inference (torch under no_grad).

Run alone with `python -m neuralviz.bench kernels --only conv` (or --only pool).
"""

from __future__ import annotations

import numpy as np

import neuralviz as nv

from ._harness import Case, torch_or_none

# label -> (N, C, H, W, C_out, k, padding); stride 1, dilation 1
SHAPES = {
    "(a) b64 1->8 28x28 k5": (64, 1, 28, 28, 8, 5, 0),
    "(b) b64 8->16 12x12 k5": (64, 8, 12, 12, 16, 5, 0),
    "(c) b64 1->16 8x8 k3p1": (64, 1, 8, 8, 16, 3, 1),
    "(d) b32 16->32 32x32 k3p1": (32, 16, 32, 32, 32, 3, 1),
}
TARGETS = {"(a)": "< 1x torch", "(b)": "<= 1.5x torch", "(c)": "< 1x torch", "(d)": "<= 1.5x torch"}


def _problem(N, C, H, W, OC, k, p, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = (rng.standard_normal((OC, C, k, k)) / np.sqrt(C * k * k)).astype(np.float32)
    b = rng.standard_normal(OC).astype(np.float32)
    gy = rng.standard_normal((N, OC, H + 2 * p - k + 1, W + 2 * p - k + 1)).astype(np.float32)
    return x, w, b, gy


def _conv_cases(label, shape, backward: bool) -> Case:
    N, C, H, W, OC, k, p = shape
    x, w, b, gy = _problem(*shape)
    flops = 2.0 * gy.size * C * k * k * (3 if backward else 1)
    if backward:

        def ours():
            nv.ops.conv2d(x, w, b, padding=p)
            return nv.ops.conv2d_backward(x, w, gy, padding=p)
    else:

        def ours():
            return nv.ops.conv2d(x, w, b, padding=p)

    theirs = None
    torch = torch_or_none()
    if torch is not None:
        F = torch.nn.functional
        tx, tw, tb = (torch.from_numpy(a).requires_grad_(backward) for a in (x, w, b))
        tgy = torch.from_numpy(gy)
        if backward:

            def theirs():
                y = F.conv2d(tx, tw, tb, padding=p)
                return torch.autograd.grad(y, (tx, tw, tb), tgy)
        else:

            def theirs():
                with torch.no_grad():
                    return F.conv2d(tx, tw, tb, padding=p)

    name = f"conv {label} {'fwd+bwd' if backward else 'fwd'}"
    target = TARGETS[label[:3]] if backward else ""
    return Case(name, ours, "torch", theirs, flops, target)


def _max_pool_case() -> Case:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 16, 24, 24)).astype(np.float32)
    gy = rng.standard_normal((64, 16, 12, 12)).astype(np.float32)

    def ours():
        y, idx = nv.ops.max_pool2d(x, 2)
        return nv.ops.max_pool2d_backward(gy, idx, x.shape)

    theirs = None
    torch = torch_or_none()
    if torch is not None:
        tx, tgy = torch.from_numpy(x).requires_grad_(True), torch.from_numpy(gy)

        def theirs():
            y = torch.nn.functional.max_pool2d(tx, 2)
            return torch.autograd.grad(y, (tx,), tgy)

    return Case("max_pool2d b64 c16 24x24 k2 fwd+bwd", ours, "torch", theirs, 0.0, "")


def cases(quick: bool = False) -> list[Case]:
    """The four target shapes forward+backward, then forward only, then a max-pool row."""
    rows = [_conv_cases(label, shape, True) for label, shape in SHAPES.items()]
    rows += [_conv_cases(label, shape, False) for label, shape in SHAPES.items()]
    rows.append(_max_pool_case())
    return rows


if __name__ == "__main__":
    from ._harness import run_cases, single_thread_peers

    single_thread_peers()
    run_cases(cases())

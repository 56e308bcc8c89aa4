"""The Cython hot-path loops (neuralviz._native: activations, losses, updates, colour), float32,
single thread.

Ours: one call with preallocated outputs, as the layer graph and optimizers call it (tanh of a
large array: the C++ SIMD kernel that the layer switches to from backend.CPU.LARGE elements).
Peers: the equivalent numpy expression (preallocated outputs where numpy allows it) and
torch (eager ops; autograd for the loss gradient; torch.optim for Adam). The small cases
(batch 10) measure per-call overhead, which is what a live Playground-size demo pays.
Each row first checks our outputs against its peer's (Adam against torch: a first step of each).

Run alone with `python -m neuralviz.bench kernels --only fused`.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._native import activations, colour, losses, updates
from ._harness import Case, torch_or_none

# Tolerances against numpy (or torch) in float32: one rounding per formula step, so a few ulp
# (eps ~1.2e-7) relative, with atol for entries that are near zero (gradients of confident rows,
# Adam's second moment of tiny gradients). A wrong kernel misses them by orders of magnitude.
XENT_RTOL, XENT_ATOL = 1e-5, 1e-7  # loss and gradient; gradient entries are below 1/N in size
ADAM_RTOL, ADAM_ATOL = 1e-5, 1e-8  # p, m and v after one update
TANH_RTOL, TANH_ATOL = 4e-6, 1e-7  # ~32 ulp: ours is within ~2 ulp, numpy and torch within a few


def _xent_cases(n: int, c: int) -> list[Case]:
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    labels = rng.integers(0, c, n)
    grad = np.empty_like(logits)
    rows = np.arange(n)

    def ours():
        return losses.softmax_cross_entropy(logits, labels, grad), grad

    def numpy_xent():
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, labels]))
        np.divide(e, s, out=grad)
        grad[rows, labels] -= 1
        np.divide(grad, n, out=grad)
        return loss, grad

    name = f"fused softmax_xent fwd+grad N{n} C{c}"
    cases = [Case(name, ours, "numpy", numpy_xent)]
    torch = torch_or_none()
    if torch is not None:
        t_logits = torch.from_numpy(logits.copy()).requires_grad_(True)
        t_labels = torch.from_numpy(labels)

        def torch_xent():
            loss = torch.nn.functional.cross_entropy(t_logits, t_labels)
            (g,) = torch.autograd.grad(loss, t_logits)
            return loss.item(), g

        cases.append(Case(name, ours, "torch", torch_xent))
    for case in cases:
        case.check = lambda case=case: _check_peer(case, XENT_RTOL, XENT_ATOL)
    return cases


def _check_peer(case: Case, rtol: float, atol: float) -> None:
    """Our result against the peer's. Results are copied before the peer runs: both sides of a
    row may write the same preallocated output."""
    from ._harness import check_close

    ours = _copied(case.ours())
    check_close(f"{case.name} (vs {case.peer})", ours, _copied(case.theirs()), rtol, atol)


def _copied(result):
    if isinstance(result, tuple):
        return tuple(_copied(r) for r in result)
    return result.copy() if isinstance(result, np.ndarray) else result


def _adam_cases(size: int = 200_000) -> list[Case]:
    rng = np.random.default_rng(1)
    p = rng.standard_normal(size).astype(np.float32)
    g = rng.standard_normal(size).astype(np.float32)
    m, v, tmp = (np.zeros_like(p) for _ in range(3))
    lr, b1, b2, eps, step = 1e-3, 0.9, 0.999, 1e-8, 10
    step_size = np.float32(lr / (1 - b1**step))
    bc2_sqrt = np.float32(np.sqrt(1 - b2**step))

    def ours():
        updates.adam_update(p, g, m, v, lr, b1, b2, eps, step)

    def numpy_adam():  # the same update, in place, without allocating temporaries
        np.multiply(m, b1, out=m)
        np.multiply(g, 1 - b1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(v, b2, out=v)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, 1 - b2, out=tmp)
        np.add(v, tmp, out=v)
        np.sqrt(v, out=tmp)
        np.divide(tmp, bc2_sqrt, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, step_size, out=tmp)
        np.subtract(p, tmp, out=p)

    name = f"fused adam_update {size // 1000}k params"
    cases = [Case(name, ours, "numpy", numpy_adam, check=lambda: _check_adam_numpy(name, ours, numpy_adam, (p, m, v)))]
    torch = torch_or_none()
    if torch is not None:
        tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
        tp.grad = torch.from_numpy(g.copy())
        opt = torch.optim.Adam([tp], lr=lr, betas=(b1, b2), eps=eps)
        hp = {"lr": lr, "betas": (b1, b2), "eps": eps}
        cases.append(Case(name, ours, "torch", opt.step, check=lambda: _check_adam_torch(name, torch, p, g, hp)))
    return cases


def _check_adam_numpy(name: str, ours, numpy_adam, state: tuple) -> None:
    """(p, m, v) after our update and after numpy's, each from the same state (restored between)."""
    from ._harness import check_close

    before = [a.copy() for a in state]
    ours()
    got = [a.copy() for a in state]
    for a, b in zip(state, before):
        a[...] = b
    numpy_adam()
    check_close(f"{name} (vs numpy): p, m, v", got, list(state), ADAM_RTOL, ADAM_ATOL)


def _check_adam_torch(name: str, torch, p, g, hp: dict) -> None:
    """p after a first step (step=1, zero moments) of ours and of a fresh torch.optim.Adam: the
    timed torch optimizer counts its own steps, so the timed calls are not the same update."""
    from ._harness import check_close

    ours, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    updates.adam_update(ours, g, m, v, hp["lr"], *hp["betas"], hp["eps"], 1)
    tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
    tp.grad = torch.from_numpy(g.copy())
    torch.optim.Adam([tp], **hp).step()
    check_close(f"{name} (vs torch, first step): p", ours, tp, ADAM_RTOL, ADAM_ATOL)


def _tanh_cases(shape) -> list[Case]:
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    y = np.empty_like(x)
    # The kernel the tanh layer calls at this size: the Cython loop below backend.CPU.LARGE
    # elements (least overhead per call), the C++ SIMD kernel from there on.
    large = x.size >= backend.CPU.LARGE
    kernel = backend.CPU.tanh_forward_large if large else activations.tanh_forward
    name = f"fused tanh fwd {'x'.join(map(str, shape))} ({'C++ SIMD' if large else 'Cython'})"

    def ours():
        return kernel(x, y)

    cases = [Case(name, ours, "numpy", lambda: np.tanh(x, out=y))]
    torch = torch_or_none()
    if torch is not None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y.copy())
        cases.append(Case(name, ours, "torch", lambda: torch.tanh(tx, out=ty)))
    for case in cases:
        case.check = lambda case=case: _check_peer(case, TANH_RTOL, TANH_ATOL)
    return cases


def _colormap_case(size: int = 256) -> Case:
    rng = np.random.default_rng(3)
    values = rng.standard_normal((size, size)).astype(np.float32)
    values[::17, ::13] = np.nan
    # a ramp (any table times the same): a value on a bin edge, which float32 (numpy) and double
    # (ours) may put in neighbouring bins, then differs by at most 1 per channel
    ramp = np.arange(256)
    lut = np.stack([ramp, 255 - ramp, ramp // 2, np.full(256, 255)], axis=1).astype(np.uint8)
    out = np.empty((size, size, 4), np.uint8)
    vmin, vmax = -2.0, 2.0

    def numpy_colormap():
        idx = ((values - vmin) * (256 / (vmax - vmin))).astype(np.intp)
        np.clip(idx, 0, 255, out=idx)
        np.take(lut, idx, axis=0, out=out)
        out[np.isnan(values)] = 0
        return out

    with np.errstate(invalid="ignore"):
        numpy_colormap()  # NaN -> intp casts warn once; the row is about speed
    case = Case(
        f"fused colormap_rgba {size}x{size}",
        lambda: colour.colormap_rgba(values, lut, vmin, vmax, out),
        "numpy",
        lambda: _silenced(numpy_colormap),
    )
    case.check = lambda: _check_peer(case, 0.0, 1.0)
    return case


def _silenced(fn):
    with np.errstate(invalid="ignore"):
        return fn()


def cases(quick: bool = False) -> list[Case]:
    """Float32 rows; `quick` is accepted for the suite's interface (the harness cuts repeats)."""
    return [
        *_xent_cases(128, 10),
        *_xent_cases(10, 2),
        *_adam_cases(),
        *_tanh_cases((128, 256)),
        *_tanh_cases((10, 8)),
        _colormap_case(),
    ]

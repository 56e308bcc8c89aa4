"""Generic float64 finite-difference check for networks (and so for every layer).

The scalar under test is L = sum(forward(x) * G) for a fixed random G (not all ones,
which can hide transposition bugs); its gradient w.r.t. x is backward(G) and w.r.t. each
parameter the accumulated .grad. Central differences with eps 1e-6 are compared with
torch.autograd.gradcheck's tolerances (atol 1e-5, rtol 1e-3).
"""

import numpy as np


def numeric_grad(f, a: np.ndarray, eps: float = 1e-6, max_entries: int = 60, rng=None):
    """Central differences of scalar f() w.r.t. entries of a (a sample of them if large)."""
    rng = rng or np.random.default_rng(0)
    flat = a.reshape(-1)
    idx = np.arange(flat.size) if flat.size <= max_entries else rng.choice(flat.size, max_entries, replace=False)
    out = {}
    for i in idx:
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        out[int(i)] = (fp - fm) / (2 * eps)
    return out


def check_network_gradients(net, x, train=False, reseed=None, atol=1e-5, rtol=1e-3, what=""):
    """Asserts analytic == numeric gradients for the input (if float) and every parameter."""
    rng = np.random.default_rng(1)
    y = net.forward(x, train=train)
    G = rng.standard_normal(y.shape)

    def loss():
        if reseed is not None:
            net.reseed(reseed)
        return float(np.sum(net.forward(x, train=train) * G))

    if reseed is not None:
        net.reseed(reseed)
    net.zero_grad()
    net.forward(x, train=train)
    gx = net.backward(G)
    targets = [(p.name, p.value, p.grad.copy()) for p in net.parameters()]
    if x.dtype.kind == "f":
        targets.append(("input", x, gx))
    for name, arr, analytic in targets:
        for i, num in numeric_grad(loss, arr).items():
            a = analytic.reshape(-1)[i]
            assert abs(a - num) <= atol + rtol * abs(num), (
                f"{what}: d/d{name}[{np.unravel_index(i, arr.shape)}]: analytic {a:.8g} vs numeric {num:.8g}"
            )

"""The CUDA backend against cuBLAS/cuDNN (through PyTorch) on the same GPU, and a whole network
trained on the GPU against one CPU core: issue 23's targets, one row each.

Only meaningful on a machine with a GPU; elsewhere it returns no cases. Our operands live on the
device (DeviceArrays), as a network's do, so the rows time kernels, not copies; each timed call ends
with a synchronize (ours: the module's; torch's: torch.cuda.synchronize), so the clock brackets the
GPU's work. TF32 is off on both sides (the issue compares fp32 arithmetic) except in the one TF32 row,
which turns it on for both (our set_tf32, torch's allow_tf32) only around its own calls. Each row first
checks our result against torch's (or the CPU's) with the GEMM tolerance of its reduction length (TF32's,
wider, for the TF32 row).
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from ._harness import Case


def skip_reason() -> str:
    """Why this suite has no cases here ("" where a GPU is usable)."""
    from neuralviz.backend import CUDA_REASON

    return CUDA_REASON


def cases(quick: bool = False) -> list[Case]:
    from neuralviz import backend

    from ._harness import torch_or_none

    if not backend.HAS_CUDA:
        return []
    dev = backend._CUDA
    torch = torch_or_none()
    if torch is not None and not torch.cuda.is_available():
        torch = None
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    rows = []
    for n in (2048,) if quick else (2048, 4096):
        rows.append(_gemm_row(dev, torch, n))
    rows.append(_gemm_tf32_row(dev, torch, 4096))
    rows.append(_conv_row(dev, torch))
    rows.extend(_lstm_row(dev, torch, mode) for mode in LSTM_MODES)
    rows.append(_digits_cnn_row(dev, 256))
    return rows


def _sync_ours(dev, fn):
    def run():
        out = fn()
        dev.synchronize()
        return out

    return run


def _sync_torch(torch, fn):
    def run():
        out = fn()
        torch.cuda.synchronize()
        return out

    return run


def _tolerance(k: int) -> tuple[float, float]:
    from .matmul import gemm_tolerance

    return gemm_tolerance(np.float32, k)


def _check(name: str, ours, ref, k: int):
    def check():
        from ._harness import check_close

        check_close(name, _host(ours()), _host(ref()), *_tolerance(k))

    return check


def _host(out):
    if isinstance(out, tuple):
        return tuple(_host(o) for o in out if o is not None)
    if hasattr(out, "detach"):
        return out.detach().cpu().numpy()
    return np.asarray(out)


def _gemm_row(dev, torch, n: int) -> Case:
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    da, db = dev.to_device(a), dev.to_device(b)
    ours = _sync_ours(dev, lambda: dev.matmul(da, db, False, False))
    name = f"cuda sgemm {n}^3 (no TF32) vs cuBLAS"
    check = _check(name, ours, lambda: a.astype(np.float64) @ b, n)
    if torch is None:
        return Case(name, ours, "torch", None, 2.0 * n**3, ">= 0.7x cuBLAS speed", check)
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    theirs = _sync_torch(torch, lambda: ta @ tb)
    return Case(name, ours, "torch", theirs, 2.0 * n**3, "<= 1.43x torch", check)


def _tf32_tolerance(k: int) -> tuple[float, float]:
    """(rtol, atol) for a TF32 product of unit-normal matrices over k terms, against an exact one.

    Each input is rounded to 11 significant bits (relative error up to 2^-11), so a product term is off by
    about 2^-11 |a b| with a random sign; over k terms that is ~2^-11 sqrt(k) in an entry of typical size
    sqrt(k), and the worst of millions of entries is ~6 sigma. atol = 8 * 2^-11 sqrt(k) covers that with
    room (0.25 at k = 4096); a wrong kernel misses by the entries' own size, sqrt(k).
    """
    return 4 * 2.0**-11, 8 * 2.0**-11 * np.sqrt(k)


@contextlib.contextmanager
def _tf32(dev, torch):
    """TF32 on for our GEMMs (the CudaBackend's tf32 switch) and, when given, torch's matmuls inside
    the block; the settings before it are restored after."""
    ours_before = dev.tf32
    theirs_before = torch.backends.cuda.matmul.allow_tf32 if torch is not None else None
    dev.tf32 = True
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        dev.tf32 = ours_before
        if torch is not None:
            torch.backends.cuda.matmul.allow_tf32 = theirs_before


def _gemm_tf32_row(dev, torch, n: int) -> Case:
    """Our TF32 tensor-core GEMM (gemm.cu's gemm_tf32) against cuBLAS's, both with TF32 on, checked
    first against our CPU backend's float32 product with a TF32-wide tolerance."""
    from neuralviz import backend

    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    da, db = dev.to_device(a), dev.to_device(b)

    def ours_call():
        with _tf32(dev, None):
            return dev.matmul(da, db, False, False)

    ours = _sync_ours(dev, ours_call)
    name = f"cuda sgemm {n} TF32 vs cuBLAS TF32"

    def check():
        from ._harness import check_close

        check_close(name, _host(ours()), backend.CPU.matmul(a, b, False, False), *_tf32_tolerance(n))

    if torch is None:
        return Case(name, ours, "torch", None, 2.0 * n**3, ">= 0.5x cuBLAS TF32 speed", check)
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()

    def theirs_call():
        with _tf32(dev, torch):
            return ta @ tb

    theirs = _sync_torch(torch, theirs_call)
    return Case(name, ours, "torch", theirs, 2.0 * n**3, "<= 2.0x torch", check)


def _conv_row(dev, torch) -> Case:
    """A VGG-sized layer: 64 images of 64 channels, 32x32, 3x3 kernels, padding 1; forward and the whole backward."""
    from neuralviz import backend

    n, c, oc, hw = 64, 64, 64, 32
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((oc, c, 3, 3)) * 0.05).astype(np.float32)
    bias = rng.standard_normal(oc).astype(np.float32)
    gy = rng.standard_normal((n, oc, hw, hw)).astype(np.float32)
    dx, dw, dbias, dgy = (dev.to_device(v) for v in (x, w, bias, gy))
    geometry = (1, 1, 1, 1, 1, 1)

    def ours_pass():
        y = dev.conv2d(dx, dw, dbias, *geometry)
        return (y, *dev.conv2d_backward(dx, dw, dgy, *geometry, True, True, True))

    def cpu_pass():
        cpu = backend.CPU
        return (cpu.conv2d(x, w, bias, *geometry), *cpu.conv2d_backward(x, w, gy, *geometry, True, True, True))

    ours = _sync_ours(dev, ours_pass)
    flops = 3 * 2.0 * n * oc * c * 9 * hw * hw
    name = "cuda conv2d fwd+bwd b64 64->64 32x32 k3 vs cuDNN"
    check = _check(name, ours, cpu_pass, n * hw * hw)
    if torch is None:
        return Case(name, ours, "torch", None, flops, ">= 0.5x cuDNN speed", check)
    tx = torch.from_numpy(x).cuda().requires_grad_()
    tw = torch.from_numpy(w).cuda().requires_grad_()
    tb = torch.from_numpy(bias).cuda().requires_grad_()
    tgy = torch.from_numpy(gy).cuda()

    def theirs_pass():
        tx.grad = tw.grad = tb.grad = None
        y = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
        y.backward(tgy)
        return y, tx.grad, tw.grad, tb.grad

    theirs = _sync_torch(torch, theirs_pass)
    return Case(name, ours, "torch", theirs, flops, "<= 2.0x torch", check)


# The recurrence paths of csrc/cuda/recurrent.cu, and the environment that selects each (read per call):
# persistent, one launch per sequence (the default); the fused step launched once per step; two launches
# per step (input projection, then the step).
LSTM_MODES = ("persistent", "fused", "2-launch")
_LSTM_ENV = {
    "persistent": {"NVZ_RNN_PERSISTENT": None, "NVZ_RNN_FUSED": None},
    "fused": {"NVZ_RNN_PERSISTENT": "0", "NVZ_RNN_FUSED": None},
    "2-launch": {"NVZ_RNN_PERSISTENT": "0", "NVZ_RNN_FUSED": "0"},
}
_LSTM_LABEL = {"persistent": "persistent", "fused": "fused per step", "2-launch": "2-launch"}


def _put_environ(values: dict) -> None:
    """Sets each variable of `values` in os.environ; None unsets it."""
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@contextlib.contextmanager
def _environ(values: dict):
    """os.environ with `values` set (None: unset) inside the block, restored after."""
    before = {k: os.environ.get(k) for k in values}
    try:
        _put_environ(values)
        yield
    finally:
        _put_environ(before)


def _lstm_row(dev, torch, mode: str) -> Case:
    """LSTM T50 N32 I16 H128, forward keeping the gates and the backward, as the CPU suite's row, on one
    of LSTM_MODES: "persistent" (the default), "fused" (NVZ_RNN_PERSISTENT=0: one launch per step) or
    "2-launch" (NVZ_RNN_FUSED=0), to compare them on a GPU."""
    from neuralviz import backend

    if mode not in _LSTM_ENV:
        raise ValueError(f"_lstm_row: mode must be one of {LSTM_MODES}, got {mode!r}")
    t, n, i, h = 50, 32, 16, 128
    rng = np.random.default_rng(2)
    x = rng.standard_normal((t, n, i)).astype(np.float32)
    w_ih, w_hh = ((rng.standard_normal((4 * h, k)) * 0.1).astype(np.float32) for k in (i, h))
    b_ih, b_hh = ((rng.standard_normal(4 * h) * 0.1).astype(np.float32) for _ in range(2))
    gy = rng.standard_normal((t, n, h)).astype(np.float32)
    zeros = np.zeros((n, h), np.float32)
    d = [dev.to_device(v) for v in (x, zeros, zeros, w_ih, w_hh, b_ih, b_hh, gy)]
    dx, dh0, dc0, dwih, dwhh, dbih, dbhh, dgy = d

    def ours_pass():
        with _environ(_LSTM_ENV[mode]):
            out = dev.lstm_forward(dx, dh0, dc0, dwih, dwhh, dbih, dbhh, True)
            y, cache = out[0], out[-1]
            grads = dev.lstm_backward(cache, dx, dh0, dc0, dwih, dwhh, y, dgy, None, None)
        return (y, grads[0], *grads[-4:])

    def cpu_pass():
        cpu = backend.CPU
        out = cpu.lstm_forward(x, zeros, zeros, w_ih, w_hh, b_ih, b_hh, True)
        grads = cpu.lstm_backward(out[-1], x, zeros, zeros, w_ih, w_hh, out[0], gy, None, None)
        return (out[0], grads[0], *grads[-4:])

    ours = _sync_ours(dev, ours_pass)
    flops = 3 * 2.0 * t * n * 4 * h * (i + h)
    name = f"cuda LSTM T50 N32 H128 {_LSTM_LABEL[mode]} vs cuDNN"
    check = _check(name, ours, cpu_pass, t * n)
    if torch is None:
        return Case(name, ours, "torch", None, flops, ">= 0.5x cuDNN speed", check)
    lstm = torch.nn.LSTM(i, h).cuda()
    with torch.no_grad():
        for p, v in zip((lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0), d[3:7]):
            p.copy_(torch.from_numpy(v.numpy()))
    tx = torch.from_numpy(x).cuda().requires_grad_()
    tgy = torch.from_numpy(gy).cuda()

    def theirs_pass():
        lstm.zero_grad()
        tx.grad = None
        y, _ = lstm(tx)
        y.backward(tgy)
        return (y, tx.grad, lstm.weight_ih_l0.grad, lstm.weight_hh_l0.grad, lstm.bias_ih_l0.grad, lstm.bias_hh_l0.grad)

    theirs = _sync_torch(torch, theirs_pass)
    return Case(name, ours, "torch", theirs, flops, "<= 2.0x torch", check)


def _digits_cnn_row(dev, batch: int) -> Case:
    """The digits-cnn preset's training step at `batch` images: the GPU against one CPU core (our own kernels)."""
    from neuralviz import backend, presets

    preset = presets.load("digits-cnn")
    gpu, cpu = presets.build(preset, seed=0), presets.build(preset, seed=0)
    x, y = gpu.dataset.x_train[:batch], gpu.dataset.y_train[:batch]
    x = np.resize(x, (batch, *x.shape[1:])) if len(x) < batch else x
    y = np.resize(y, batch) if len(y) < batch else y

    def on(setup, name):
        def step():
            with backend.use(name):
                return setup.trainer.step(x, y)

        return step

    ours, theirs = on(gpu, dev), on(cpu, "cpu")

    def check():
        from ._harness import CheckFailed

        a, b = ours(), theirs()  # one step each from the same start: the same loss
        if not abs(a - b) <= 1e-4 * max(1.0, abs(b)):
            raise CheckFailed(f"digits-cnn step: GPU loss {a} but CPU loss {b}")

    name = f"cuda digits-cnn train step b{batch} vs 1 CPU core"
    return Case(name, ours, "cpu", theirs, target="< 1.0x (faster on the GPU)", check=check)

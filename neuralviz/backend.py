"""The kernel backends: which exist in this process, the objects the engine calls, and which one is active.

needle's pattern (STYLE.md): a backend is an object exposing one flat set of kernels (`KERNELS`)
with the raw bindings' signatures and no validation. Layers, losses and optimizers call
`backend.current.<kernel>(...)`; `neuralviz.ops` validates its arguments, then calls the same
object. So `nv.set_backend("cuda")` reaches a Network, the Trainer and nv.ops alike.

- `CpuBackend`: the C++ extension `_C` (always built) and the Cython loops of `neuralviz._native`
  (activations, losses, optimizer updates), which are cheaper per call on small arrays.
- `CudaBackend`: the optional extension `_C_cuda` (hand-written kernels in csrc/cuda) on
  DeviceArrays (neuralviz.device): parameters, activations and gradients stay on the GPU.
  `simulator()` builds one over `_C_cudasim`, the same kernels compiled for the CPU, so the
  CUDA path is tested on machines without a GPU.

Switching is process-wide (the app's worker threads see it too): `set_backend("cpu" | "cuda")`,
or `use(...)` for one with-block. Both also take a backend object (a CpuBackend instance or a
subclass's), which is how tests put a fake that counts calls under the engine.

This is the only module that imports the compiled `_C` / `_C_cuda` (they live in the subpackage
`neuralviz._native`, which imports nothing, so no low module runs the package `__init__` to reach
them); the package re-exports `neuralviz._C` for tests
and outside scripts. `_C_cuda` is built only where nvcc exists and usable only where a GPU is
present; its absence is a normal state, reported in CUDA_REASON rather than raised.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

# Idle OpenMP workers sleep instead of spinning: libgomp reads this once, when _C loads it. A spinning worker
# takes the core from the thread doing the work on a 2-core laptop (2 threads measured slower than 1) and from
# the app's GUI thread. A value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._native import _C  # noqa: E402 - after the OpenMP setting above
from ._native import activations as _activations
from ._native import losses as _losses
from ._native import updates as _updates
from .device import DeviceArray, to_device

_cuda_module = None
CUDA_REASON = "CUDA backend not built (no nvcc at build time)"
try:
    from ._native import _C_cuda as _cuda_module  # type: ignore[attr-defined]
except ImportError as err:
    if "_C_cuda" not in str(err):
        CUDA_REASON = f"CUDA backend failed to import: {err}"


# cudaGetDeviceCount's codes for "there is no GPU to use": 100 is cudaErrorNoDevice; 35
# (cudaErrorInsufficientDriver) is also what the runtime reports when no NVIDIA driver is
# installed at all, i.e. on every machine without an NVIDIA GPU, and its text ("CUDA driver
# version is insufficient for CUDA runtime version") then sends users after a driver update.
_NO_GPU_ERRORS = (35, 100)
NO_GPU = "no NVIDIA GPU found"


def _driver_present() -> bool:
    """Whether the NVIDIA driver's user-space library (libcuda) can be loaded."""
    import ctypes

    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll", "libcuda.dylib"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def plain_cuda_reason(count: int, message: str) -> str:
    """The user-facing text for `_C_cuda.device_count()`'s (count, reason); "" when a GPU is usable.

    "no NVIDIA GPU found" for no device (count 0 without error, cudaError 100) and for
    cudaError 35 on a machine without an NVIDIA driver; other errors keep the runtime's text
    (where a driver is installed, error 35 really means it is older than the CUDA runtime)."""
    if count > 0:
        return ""
    match = re.search(r"\(cudaError (\d+)\)\s*$", message or "")
    code = int(match.group(1)) if match else None
    if code is None and (not message or "no CUDA device" in message):
        return NO_GPU
    if code in _NO_GPU_ERRORS and (code != 35 or not _driver_present()):
        return NO_GPU
    if code == 35:
        return f"{message}: the NVIDIA driver is older than the CUDA runtime this build uses; update the driver"
    return message or "unknown CUDA error"


CUDA_ERROR = ""  # the CUDA runtime's own text when it reported an error (kept for bug reports)
if _cuda_module is not None:
    _count, CUDA_ERROR = _cuda_module.device_count()
    _reason = plain_cuda_reason(_count, CUDA_ERROR)
    CUDA_REASON = f"CUDA backend unavailable: {_reason}" if _reason else ""

HAS_CUDA = _cuda_module is not None and CUDA_REASON == ""


class CpuBackend:
    """The CPU kernels: `_C` (C++, GIL released in long kernels) and `neuralviz._native` (Cython).

    The kernels are the compiled functions themselves as static methods, not wrappers: a call
    through the backend costs one attribute lookup more than calling the binding, which is what
    the Playground-size nets need (about twenty kernel calls per training step). staticmethod
    because Cython functions bind like Python ones; pybind11's would not need it. Arguments are
    the bindings': C-contiguous arrays of one float dtype with consistent shapes, checked by
    nv.ops for outside callers and by the layer builds for networks, not here. Subclasses
    replace single kernels (CudaBackend; the fakes of tests/test_backend.py).
    """

    name = "cpu"
    device = None  # host memory: a network under this backend holds numpy arrays

    # dense: op(a) @ op(b) with (a, b, trans_a, trans_b); x wᵀ + b with (x, w, b or None)
    matmul = staticmethod(_C.matmul)
    linear_forward = staticmethod(_C.linear_forward)
    # convolution and pooling over NCHW; geometry as flat ints, (h, w) pairs in turn
    conv2d = staticmethod(_C.conv2d)
    conv2d_backward = staticmethod(_C.conv2d_backward)
    conv_transpose2d = staticmethod(_C.conv_transpose2d)  # geometry: s, p, output_padding, d pairs
    conv_transpose2d_backward = staticmethod(_C.conv_transpose2d_backward)
    max_pool2d = staticmethod(_C.max_pool2d)
    max_pool2d_backward = staticmethod(_C.max_pool2d_backward)
    avg_pool2d = staticmethod(_C.avg_pool2d)
    avg_pool2d_backward = staticmethod(_C.avg_pool2d_backward)
    # recurrence over time-major (T, N, I) sequences; the forward keeps the gate cache on request
    rnn_tanh_forward = staticmethod(_C.rnn_tanh_forward)
    rnn_tanh_backward = staticmethod(_C.rnn_tanh_backward)
    lstm_forward = staticmethod(_C.lstm_forward)
    lstm_backward = staticmethod(_C.lstm_backward)
    gru_forward = staticmethod(_C.gru_forward)
    gru_backward = staticmethod(_C.gru_backward)
    # elementwise activations, into preallocated outputs; backward from the saved output or input.
    # The Cython loops cost least per call; from LARGE elements on, tanh and sigmoid's *_large
    # kernels (C++, AVX2/AVX-512 chosen at run time) are faster, and the layers pick by size
    # themselves: a dispatching wrapper here would add a Python call to every small step
    # (measured: 3% of a Playground step). A 200x200 decision-boundary grid through 8 tanh
    # units is 320k elements.
    LARGE = 16384
    relu_forward = staticmethod(_activations.relu_forward)
    relu_backward = staticmethod(_activations.relu_backward)
    leaky_relu_forward = staticmethod(_activations.leaky_relu_forward)
    leaky_relu_backward = staticmethod(_activations.leaky_relu_backward)
    tanh_forward = staticmethod(_activations.tanh_forward)
    tanh_forward_large = staticmethod(_C.tanh_forward)
    tanh_backward = staticmethod(_activations.tanh_backward)
    sigmoid_forward = staticmethod(_activations.sigmoid_forward)
    sigmoid_forward_large = staticmethod(_C.sigmoid_forward)
    sigmoid_backward = staticmethod(_activations.sigmoid_backward)

    # losses: the mean value, and its gradient into grad_out when one is given
    mse = staticmethod(_losses.mse)
    bce_with_logits = staticmethod(_losses.bce_with_logits)
    softmax_cross_entropy = staticmethod(_losses.softmax_cross_entropy)
    # optimizer updates, in place on (param, grad, state...)
    sgd_update = staticmethod(_updates.sgd_update)
    momentum_update = staticmethod(_updates.momentum_update)
    adam_update = staticmethod(_updates.adam_update)
    rmsprop_update = staticmethod(_updates.rmsprop_update)
    # many SGD steps of a small dense network in one call (neuralviz.fastpath)
    mlp_sgd_steps = staticmethod(_C.mlp_sgd_steps)


KERNELS = tuple(k for k, v in vars(CpuBackend).items() if isinstance(v, staticmethod))  # the flat kernel set


class CudaBackend(CpuBackend):
    """The CUDA module's kernels on DeviceArrays (neuralviz.device), the CPU's on host arrays.

    Each kernel of KERNELS that the module has is wrapped: with a DeviceArray among its
    arguments it runs on the device (every array argument must then be a DeviceArray: a host
    array there would be a silent copy, or an in-place result written to a copy and lost, so it
    raises TypeError naming the argument); with host arrays only it runs CpuBackend's kernel, so
    a network that stays in host memory (Network.follow_backend) trains on the CPU unchanged. A
    kernel the module lacks (mlp_sgd_steps) is the CPU's on host arrays and refuses device arrays
    by name. nv.ops copies host arrays to the device itself (nv.ops.matmul runs on the GPU).

    Networks follow the active backend (Network.forward moves the parameters when it changes),
    so `set_backend("cuda")` is all a user does. `module` is `_C_cuda`, or the CPU simulator
    `_C_cudasim` that tests install under the name "cuda-sim".
    """

    def __init__(self, module, name: str = "cuda") -> None:
        self.module = module
        self.name = name
        self.device = self  # what a network's parameters live on under this backend
        for kernel in KERNELS:
            setattr(self, kernel, self._wrap(kernel))

    def _wrap(self, kernel: str):
        cpu = getattr(CpuBackend, kernel)
        dev = getattr(self.module, kernel, None)
        wrap_result = self._result

        def run(*args):
            if not any(type(a) is DeviceArray for a in args):
                return cpu(*args)
            if dev is None:
                raise TypeError(f"{kernel}: no CUDA kernel; this operation runs on the CPU backend only")
            return wrap_result(dev(*[_unwrap(kernel, i, a) for i, a in enumerate(args)]))

        run.__name__ = kernel
        return run

    def _result(self, out):
        if isinstance(out, tuple):
            return tuple(self._result(o) for o in out)
        return DeviceArray(out, self.module) if isinstance(out, self.module.Tensor) else out

    def to_device(self, a) -> DeviceArray:
        """A host array copied to this backend's device (data in)."""
        return to_device(a, self.module)

    def synchronize(self) -> None:
        """Waits for the queued kernels (timings: profile.layer_costs calls it around each layer)."""
        self.module.synchronize()

    @property
    def tf32(self) -> bool:
        """Whether float32 matrix products (dense, convolution, recurrence) run on TF32 tensor cores.

        Off by default, so results compare with the CPU's: TF32 keeps 10 of float32's 23 mantissa bits
        on the inputs (sums stay float32), about 1e-3 relative error for several times the speed on a
        GPU with tensor cores. float64 never uses it. Process-wide, like torch's allow_tf32."""
        return bool(self.module.tf32())

    @tf32.setter
    def tf32(self, enabled: bool) -> None:
        self.module.set_tf32(bool(enabled))


def _unwrap(kernel: str, index: int, a):
    """A device kernel's argument: the tensor of a DeviceArray; scalars and None as they are."""
    if type(a) is DeviceArray:
        return a.t
    if isinstance(a, np.ndarray):
        raise TypeError(
            f"{kernel}: argument {index} is a host (numpy) array of shape {a.shape} but the others live on the "
            "GPU; move it with backend.current.to_device(...) (a network moves its own arrays)"
        )
    return a


CPU = CpuBackend()
_CUDA = CudaBackend(_cuda_module) if HAS_CUDA else None


_SIM: list[CudaBackend] = []  # one simulator backend per process: a network's device is compared by identity


def simulator() -> CudaBackend | None:
    """The CudaBackend over `_C_cudasim` (the .cu kernels compiled for the CPU), named "cuda-sim";
    `set_backend("cuda-sim")` installs it. Tests run whole networks through the CUDA code path
    with it on machines without a GPU. None where the simulator was not built."""
    if not _SIM:
        try:
            from ._native import _C_cudasim  # type: ignore[attr-defined]
        except ImportError:
            return None
        _SIM.append(CudaBackend(_C_cudasim, name="cuda-sim"))
    return _SIM[0]


current: CpuBackend = CPU  # the active backend; read it as `backend.current`, never import the name


def backends() -> list[str]:
    """Names of the usable backends, best last: ["cpu"] or ["cpu", "cuda"]."""
    return ["cpu", "cuda"] if HAS_CUDA else ["cpu"]


def _resolve(backend: str | CpuBackend) -> CpuBackend:
    """The backend object for a name or an object; a name that is not usable here raises, naming why."""
    if isinstance(backend, CpuBackend):
        return backend
    if not isinstance(backend, str):
        raise TypeError(f"set_backend: expected 'cpu', 'cuda' or a CpuBackend object, got {type(backend).__name__}")
    if backend == "cpu":
        return CPU
    if backend == "cuda-sim":
        sim = simulator()
        if sim is None:
            raise RuntimeError("set_backend('cuda-sim'): the CUDA simulator (_C_cudasim) was not built")
        return sim
    if backend != "cuda":
        raise ValueError(f"set_backend: unknown backend {backend!r} (use 'cpu' or 'cuda')")
    if _CUDA is None:
        raise RuntimeError(f"set_backend('cuda'): {CUDA_REASON}")
    return _CUDA


# Held by Trainer.step for the whole step and taken by set_backend/use to switch: a switch from another
# thread (the app's menu while a worker trains) lands between steps, never between a step's forward (which
# moved the network to the old backend's memory) and its backward and update.
step_lock = threading.RLock()


def set_backend(backend: str | CpuBackend) -> None:
    """Choose what the engine's kernels run on: layers, losses, optimizers and nv.ops.

    "cpu" or "cuda" (RuntimeError with CUDA_REASON where no GPU is usable), or a backend
    object (a CpuBackend instance or a subclass's) installed as it is, e.g. a fake in a test.
    Process-wide: every thread's next kernel call uses it.
    """
    global current
    chosen = _resolve(backend)
    with step_lock:
        current = chosen


@contextmanager
def use(backend: str | CpuBackend) -> Iterator[CpuBackend]:
    """Run a with-block on a backend (a name or an object, as set_backend takes), then restore
    the one active before, also after an error: `with backend.use(fake): net.forward(x)`."""
    global current
    chosen = _resolve(backend)
    with step_lock:
        before, current = current, chosen
    try:
        yield chosen
    finally:
        with step_lock:
            current = before


def get_backend() -> str:
    """The active backend's name: "cpu" or "cuda" (a fake's own name while one is installed)."""
    return current.name


def active() -> CpuBackend:
    """The active backend object (what `backend.current` holds: the engine reads that attribute)."""
    return current


def cuda_module():
    """The CUDA extension module when the active backend is 'cuda', else None (for `bench cuda`)."""
    return _cuda_module if current.name == "cuda" else None


def set_num_threads(n: int) -> None:
    """Threads used by the CPU kernels (default 1; the app trains beside a GUI thread)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _C.set_num_threads(n)


def get_num_threads() -> int:
    return _C.get_num_threads()


def cpu_isa() -> str:
    """The instruction set the CPU kernels use ("generic", "avx2", "avx512"), for info text."""
    return _C.get_isa()


def has_openmp() -> bool:
    """Whether the CPU extension was built with OpenMP (threads for large kernels)."""
    return bool(_C.has_openmp())

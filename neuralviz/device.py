"""Arrays that live on the GPU: what a network's parameters, activations and gradients become
under `nv.set_backend("cuda")`.

A `DeviceArray` wraps one device tensor of the CUDA backend's module (`_C_cuda`, or the CPU
simulator `_C_cudasim` in tests) and speaks enough of numpy's language that the layers run
unchanged: `shape`, `dtype`, `reshape` (a view), `+=`, `+`, `*`, `sum(axis=0)`, `fill`, `copy`,
`np.empty_like` and `np.zeros_like` all stay on the device. The backend's kernels take and
return them (backend.CudaBackend).

Copies happen only at the edges, and every one is explicit or visible:
- data in: `to_device(array)`, which Network.forward does with its input batch;
- results out: `a.numpy()`; and, so that plotting code, metrics and user scripts keep working,
  any other numpy function given a DeviceArray (`np.isfinite(a)`, `a[i]`, `a.argmax()`)
  works on a host copy and returns a numpy array. The transfer counters of the module
  (`transfer_stats()`) see each of those copies; tests use them to prove a training step
  copies only its batch in and its loss out.
A write can never be lost on a host copy: a numpy ufunc or function asked to write *into* a
DeviceArray raises TypeError, and `a[...] = value` uploads.
"""

from __future__ import annotations

import math

import numpy as np


class DeviceArray:
    """A C-contiguous float32/float64/int64 array in device memory (see the module doc)."""

    __slots__ = ("t", "module")
    __array_priority__ = 1000  # numpy's binary operators defer to ours

    def __init__(self, tensor, module) -> None:
        self.t = tensor
        self.module = module

    # ------------------------------------------------------------------ what it is
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.t.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.t.dtype)

    @property
    def ndim(self) -> int:
        return len(self.t.shape)

    @property
    def size(self) -> int:
        return math.prod(self.t.shape)

    @property
    def nbytes(self) -> int:
        return self.t.nbytes

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d device array")
        return self.shape[0]

    def __repr__(self) -> str:
        where = "simulated GPU" if getattr(self.module, "simulated", False) else "GPU"
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype}, on the {where})"

    # ------------------------------------------------------------------ copies at the edges
    def numpy(self) -> np.ndarray:
        """A host copy (counted by the module's transfer_stats)."""
        return self.t.numpy()

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("a DeviceArray lives in GPU memory: numpy cannot view it without a copy")
        host = self.t.numpy()
        return host if dtype is None else host.astype(dtype, copy=False)

    def __setitem__(self, key, value) -> None:
        """Whole-array assignment only (`a[...] = v`, `a[:] = v`): a scalar fills, an array uploads."""
        if not (key is Ellipsis or key == slice(None)):
            raise TypeError(f"a DeviceArray supports whole-array assignment only (a[...] = value), not a[{key!r}]")
        if isinstance(value, DeviceArray):
            self._check_same(value, "assignment")
            self.t.copy_(value.t)
        elif np.isscalar(value):
            self.fill(value)
        else:
            host = np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=self.dtype), self.shape))
            self.t.upload_(host)

    def __getitem__(self, key):
        return self.numpy()[key]

    # ------------------------------------------------------------------ device arithmetic
    def reshape(self, *shape) -> DeviceArray:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = _resolve_shape(shape, self.size)
        return DeviceArray(self.t.view(list(shape)), self.module)

    def ravel(self) -> DeviceArray:
        return self.reshape(-1)

    def copy(self) -> DeviceArray:
        return DeviceArray(self.t.copy(), self.module)

    def __copy__(self) -> DeviceArray:  # numpy's copy.copy copies the data too
        return self.copy()

    def __deepcopy__(self, memo) -> DeviceArray:
        return self.copy()

    def __reduce__(self):
        """Pickles as its host copy; unpickled onto the same module's device where that module loads."""
        return _rebuild, (self.numpy(), self.module.__name__)

    def fill(self, value) -> None:
        self.module.fill_(self.t, float(value))

    def transpose(self, *axes) -> DeviceArray:
        """Only what the recurrent layers use: swapping the first two of three axes (a copy)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if self.ndim != 3 or tuple(axes) != (1, 0, 2):
            raise TypeError(f"DeviceArray.transpose supports (1, 0, 2) on 3-D arrays, got {axes} on {self.shape}")
        return DeviceArray(self.module.swap01(self.t), self.module)

    def sum(self, axis=None):
        """Sum over all axes but the last (a bias gradient) stays on the device; any other sum
        is taken on a host copy."""
        leading = tuple(range(self.ndim - 1))
        if self.ndim >= 2 and (axis == 0 if self.ndim == 2 else axis == leading):
            return DeviceArray(self.module.sum_rows(self.t), self.module)
        return self.numpy().sum(axis=axis)

    def __iadd__(self, other):
        self.module.add_(self.t, self._operand(other, "+="), 1.0)
        return self

    def __isub__(self, other):
        self.module.add_(self.t, self._operand(other, "-="), -1.0)
        return self

    def __imul__(self, other):
        if not np.isscalar(other):
            return NotImplemented
        self.module.scale_(self.t, float(other))
        return self

    def __add__(self, other):
        return DeviceArray(self.module.add(self.t, self._operand(other, "+")), self.module)

    __radd__ = __add__

    def __mul__(self, other):
        if np.isscalar(other):
            out = self.copy()
            out.module.scale_(out.t, float(other))
            return out
        return DeviceArray(self.module.mul(self.t, self._operand(other, "*")), self.module)

    __rmul__ = __mul__

    def __sub__(self, other):
        out = self.copy()
        out.module.add_(out.t, self._operand(other, "-"), -1.0)
        return out

    # The other operators compute on host copies and return numpy arrays (results out, see the module doc).
    def __rsub__(self, other):
        return np.subtract(other, self)

    def __truediv__(self, other):
        return np.true_divide(self, other)

    def __rtruediv__(self, other):
        return np.true_divide(other, self)

    def __pow__(self, other):
        return np.power(self, other)

    def __neg__(self):
        return np.negative(self)

    def __abs__(self):
        return np.abs(self)

    def __lt__(self, other):
        return np.less(self, other)

    def __le__(self, other):
        return np.less_equal(self, other)

    def __gt__(self, other):
        return np.greater(self, other)

    def __ge__(self, other):
        return np.greater_equal(self, other)

    def __getattr__(self, name: str):
        """numpy's other array methods (argmax, max, mean, astype, ...) on a host copy."""
        if name.startswith("__") or name in ("t", "module"):
            raise AttributeError(name)
        if name in _IN_PLACE:
            raise TypeError(f"DeviceArray.{name} would change a host copy; copy to the host first (a.numpy())")
        return getattr(self.numpy(), name)

    def _operand(self, other, op: str):
        """other as a device tensor of this array's size and dtype; a host array is uploaded (data in)."""
        if isinstance(other, DeviceArray):
            self._check_same(other, op)
            return other.t
        host = np.asarray(other)
        if host.shape != self.shape:
            raise ValueError(f"DeviceArray {op}: operand of shape {host.shape} does not match {self.shape}")
        return self.module.to_device(np.ascontiguousarray(host, dtype=self.dtype))

    def _check_same(self, other: DeviceArray, op: str) -> None:
        if other.module is not self.module:
            raise ValueError(f"DeviceArray {op}: the operands live on different devices")
        if other.shape != self.shape or other.dtype != self.dtype:
            raise ValueError(
                f"DeviceArray {op}: operand {other.dtype}{other.shape} does not match {self.dtype}{self.shape}"
            )

    # ------------------------------------------------------------------ numpy protocol
    def __array_function__(self, func, types, args, kwargs):
        if func in _ON_DEVICE:
            return _ON_DEVICE[func](*args, **kwargs)
        if func is np.copyto and isinstance(args[0] if args else kwargs.get("dst"), DeviceArray):
            raise TypeError("np.copyto into a DeviceArray: assign instead (a[...] = value)")
        return func(*_to_host(args), **_to_host(kwargs))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out", ())
        if any(isinstance(o, DeviceArray) for o in (out if isinstance(out, tuple) else (out,))):
            raise TypeError(
                f"np.{ufunc.__name__} cannot write into a DeviceArray (GPU memory); use the array's own "
                "operators (+=, fill, a[...] = value)"
            )
        return getattr(ufunc, method)(*_to_host(inputs), **kwargs)


_IN_PLACE = {"sort", "put", "resize", "partition", "setflags", "itemset", "byteswap", "setfield"}


def _rebuild(host: np.ndarray, module_name: str):
    """A pickled DeviceArray: back on its device where that module loads (else the host array)."""
    import importlib

    try:
        module = importlib.import_module(module_name)
        return DeviceArray(module.to_device(host), module)
    except (ImportError, RuntimeError):
        return host


def _to_host(obj):
    """Every DeviceArray inside args/kwargs (lists, tuples, dicts) replaced by a host copy."""
    if isinstance(obj, DeviceArray):
        return obj.numpy()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_host(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_host(v) for k, v in obj.items()}
    return obj


def _resolve_shape(shape, size: int) -> tuple[int, ...]:
    shape = tuple(int(d) for d in shape)
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape a device array of size {size} into shape {shape}")
        shape = tuple(size // known if d == -1 else d for d in shape)
    if math.prod(shape) != size:
        raise ValueError(f"cannot reshape a device array of size {size} into shape {shape}")
    return shape


def _like(a: DeviceArray, dtype, shape) -> tuple[list[int], str]:
    """The shape and dtype name of np.*_like(a, dtype=..., shape=...)."""
    dt = np.dtype(a.dtype if dtype is None else dtype)
    return list(a.shape if shape is None else shape), dt.name


def _empty_like(a, dtype=None, order="K", subok=True, shape=None, **_):
    shape, dt = _like(a, dtype, shape)
    return DeviceArray(a.module.empty(shape, dt), a.module)


def _zeros_like(a, dtype=None, order="K", subok=True, shape=None, **_):
    shape, dt = _like(a, dtype, shape)
    return DeviceArray(a.module.zeros(shape, dt), a.module)


def _copy(a, order="K", subok=False):
    return a.copy()


def _shape(a):
    return a.shape


def _ndim(a):
    return a.ndim


def _size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


_ON_DEVICE = {
    np.empty_like: _empty_like,
    np.zeros_like: _zeros_like,
    np.copy: _copy,
    np.shape: _shape,
    np.ndim: _ndim,
    np.size: _size,
}


# ---------------------------------------------------------------------- helpers for the engine
def to_device(a, module) -> DeviceArray:
    """A host array (or anything np.asarray takes) copied to the device of `module`."""
    if isinstance(a, DeviceArray):
        if a.module is not module:
            raise ValueError("the array lives on another device")
        return a
    return DeviceArray(module.to_device(np.ascontiguousarray(a)), module)


def to_host(a):
    """A DeviceArray's host copy; anything else unchanged."""
    return a.numpy() if isinstance(a, DeviceArray) else a


def beside(host: np.ndarray, like):
    """A host array moved to where `like` lives: the device of a DeviceArray (data in), else unchanged."""
    return to_device(host, like.module) if type(like) is DeviceArray else host


def contiguous(a, _device_array=DeviceArray, _host=np.ascontiguousarray):
    """np.ascontiguousarray for host arrays; a DeviceArray is always contiguous and stays put.

    The layers call this where they used np.ascontiguousarray: numpy's version would copy a
    device array to the host (it does not dispatch to __array_function__). The defaults bind the
    names once: this runs several times per layer per step on tiny networks."""
    return a if type(a) is _device_array else _host(a)


def zeros(shape, dtype, like):
    """np.zeros on the device of `like` when it is a DeviceArray, else on the host."""
    if type(like) is DeviceArray:
        return DeviceArray(like.module.zeros(list(shape), np.dtype(dtype).name), like.module)
    return np.zeros(shape, dtype)

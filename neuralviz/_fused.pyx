# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Fused elementwise loops for the layer graph's hot path: activations, losses, optimizer
updates and the heat-map colour mapping of the app.

Contract shared by every function here:

* Arrays are numpy ``ndarray`` objects, C-contiguous, aligned, native byte order, of dtype
  float32 or float64 (labels: int64; colour tables and images: uint8). Every floating array of
  one call has the same dtype: nothing is ever cast, so a float64 array next to a float32 one is
  a ``TypeError``, as is an int array. Wrong shapes, layouts and read-only outputs are
  ``ValueError``. Errors name the function, the argument and the offending value.
* Elementwise functions accept any number of dimensions and work on the flat buffer; their
  outputs must have exactly the input's shape. An output may be the input itself (in place) but
  must not otherwise overlap it. When an optional output is ``None`` a new array is allocated and
  returned; the hot path passes preallocated outputs.
* Arithmetic is done in the arrays' precision (reductions such as loss sums in float64) without
  fast-math. Loops release the GIL when they are long enough for that to pay off
  (``_NOGIL_MIN_WORK`` elements): releasing it for a 10x8 array costs more than the loop, and
  handing the GIL to a busy GUI thread can stall the caller for a whole switch interval (5 ms).
* No OpenMP: these loops are memory-bound or small; threads live in the C++ kernels.

Build note: GCC only vectorises the loops that contain a select (relu, clamps, sign) or a
square root under ``-fno-trapping-math -fno-math-errno``, which change no result (they are
Clang's defaults); without them the results are identical and those loops 2-4x slower.
"""

cimport numpy as cnp
from cpython.number cimport PyIndex_Check
from libc.math cimport (copysign, copysignf, exp, fabs, fabsf, isfinite, log, log1p, pow, sqrt,
                       sqrtf)
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

import numpy as np

cnp.import_array()

cdef extern from "Python.h":
    ctypedef struct PyThreadState:
        pass
    PyThreadState* PyEval_SaveThread() nogil
    void PyEval_RestoreThread(PyThreadState*) nogil

ctypedef fused floating:
    float
    double

# Below this many elements a loop keeps the GIL (see the module docstring). 16k elements take
# ~4 us of relu and ~25 us of tanh here, far longer than the ~0.1 us a release/reacquire costs.
cdef Py_ssize_t _NOGIL_MIN_WORK = 16384


# ----------------------------------------------------------------------------------------------
# Validation. Cheap checks on the fast path; the messages are only formatted on failure.
# ----------------------------------------------------------------------------------------------

cdef inline tuple _shape(cnp.ndarray a):
    return (<object>a).shape          # the typed attribute is the C-level npy_intp*


cdef inline tuple _strides(cnp.ndarray a):
    return (<object>a).strides


cdef inline bint _well_laid_out(cnp.ndarray a) noexcept:
    return (cnp.PyArray_IS_C_CONTIGUOUS(a) and cnp.PyArray_ISALIGNED(a)
            and cnp.PyArray_ISNOTSWAPPED(a))


cdef int _check_layout(str fn, str name, cnp.ndarray a) except -1:
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError(f"{fn}: {name} must be C-contiguous (use np.ascontiguousarray), "
                         f"got strides {_strides(a)} for shape {_shape(a)}")
    if not cnp.PyArray_ISALIGNED(a):
        raise ValueError(f"{fn}: {name} is not aligned to its {a.dtype} item size")
    if not cnp.PyArray_ISNOTSWAPPED(a):
        raise ValueError(f"{fn}: {name} has non-native byte order ({a.dtype.str})")
    return 0


cdef int _float_type(str fn, str name, cnp.ndarray a) except -1:
    """Return the numpy type number of `a`, checking it is a well laid out float32/float64."""
    cdef int t = cnp.PyArray_TYPE(a)
    if t != cnp.NPY_FLOAT and t != cnp.NPY_DOUBLE:
        raise TypeError(f"{fn}: {name} must be float32 or float64, got {a.dtype}")
    if not _well_laid_out(a):
        _check_layout(fn, name, a)
    return t


cdef int _check_like(str fn, str name, cnp.ndarray a, str ref_name, cnp.ndarray ref,
                     bint writable) except -1:
    """Check that `a` has exactly the dtype and shape of `ref` (and can be written to)."""
    if cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(ref):
        raise TypeError(f"{fn}: {name} has dtype {a.dtype} but {ref_name} has dtype "
                        f"{ref.dtype}; the dtypes must match (nothing is cast)")
    if not cnp.PyArray_SAMESHAPE(a, ref):
        raise ValueError(f"{fn}: {name} has shape {_shape(a)} but {ref_name} has shape "
                         f"{_shape(ref)}; they must be equal")
    if not _well_laid_out(a):
        _check_layout(fn, name, a)
    if writable and not cnp.PyArray_ISWRITEABLE(a):
        raise ValueError(f"{fn}: {name} is read-only")
    return 0


cdef cnp.ndarray _output_like(str fn, str name, object out, str ref_name, cnp.ndarray ref):
    """`out` checked as a writable twin of `ref`, or a new uninitialised one if it is None."""
    if out is None:
        return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(ref), cnp.PyArray_DIMS(ref),
                                 cnp.PyArray_TYPE(ref), 0)
    if not isinstance(out, cnp.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy array or None, got {type(out).__name__}")
    _check_like(fn, name, <cnp.ndarray>out, ref_name, ref, True)
    return <cnp.ndarray>out


# ----------------------------------------------------------------------------------------------
# Conditional GIL release. Between the two calls only `noexcept nogil` kernels may run, on
# pointers taken beforehand; the arrays stay alive because the caller holds references.
# ----------------------------------------------------------------------------------------------

cdef inline PyThreadState* _release_gil_if_long(Py_ssize_t work) noexcept:
    if work >= _NOGIL_MIN_WORK:
        return PyEval_SaveThread()
    return NULL


cdef inline void _reacquire_gil(PyThreadState* state) noexcept:
    if state != NULL:
        PyEval_RestoreThread(state)


# ----------------------------------------------------------------------------------------------
# Keeping float32 arithmetic in float32. Cython writes a bare literal 1 as the C double 1.0 and
# knows libc's fabs/sqrt/copysign only as double functions, so `1 - y` or `sqrt(v)` in a float
# loop would quietly be computed in double precision (and a fused callee given fabs(x) would
# pick its double version). Literals are therefore typed locals (`one`, `two`) or casts, and
# libm goes through these typed wrappers.
# ----------------------------------------------------------------------------------------------

cdef inline floating _fabs(floating x) noexcept nogil:
    if floating is float:
        return fabsf(x)
    else:
        return fabs(x)


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline floating _copysign(floating magnitude, floating sign) noexcept nogil:
    if floating is float:
        return copysignf(magnitude, sign)
    else:
        return copysign(magnitude, sign)


# ----------------------------------------------------------------------------------------------
# exp / expm1 / tanh / sigmoid written so that GCC vectorises the loops that call them (libm's
# scalar tanh costs ~25 ns an element here). Classic scheme: x = k ln2 + r with |r| <= ln2/2
# (Cody-Waite split of ln2), expm1(r) by its Taylor series, then scaling by 2^k built from the
# exponent bits. Taylor degree 7 (float) / 13 (double) leaves a truncation error far below half
# an ulp on |r| <= 0.347, so the results are within ~2 ulp of the correctly rounded value
# (tests/test_fused.py checks <= 3 ulp against a long-double reference).
# ----------------------------------------------------------------------------------------------

cdef inline floating _round_shift(floating like) noexcept nogil:
    """1.5 * 2^mantissa_bits: adding it rounds a small float to an integer kept in the low bits."""
    if floating is float:
        return 12582912.0
    else:
        return 6755399441055744.0


cdef inline floating _pow2_of_shifted(floating t) noexcept nogil:
    """2^k from t = k + _round_shift, for k in the normal exponent range, via the bit pattern."""
    cdef uint32_t u32
    cdef uint64_t u64
    cdef floating r
    if floating is float:
        memcpy(&u32, &t, 4)
        u32 = (u32 + 127) << 23   # the low bits of t hold k; the shift drops t's own exponent
        memcpy(&r, &u32, 4)
    else:
        memcpy(&u64, &t, 8)
        u64 = (u64 + 1023) << 52
        memcpy(&r, &u64, 8)
    return r


cdef inline floating _expm1_reduced(floating r) noexcept nogil:
    """expm1(r) for |r| <= ln2/2 by Horner on the Taylor series (no cancellation near 0)."""
    if floating is float:
        return r + r * r * (<float>(1 / 2.) + r * (<float>(1 / 6.) + r * (<float>(1 / 24.)
               + r * (<float>(1 / 120.) + r * (<float>(1 / 720.) + r * <float>(1 / 5040.))))))
    else:
        return r + r * r * (1 / 2. + r * (1 / 6. + r * (1 / 24. + r * (1 / 120. + r * (
               1 / 720. + r * (1 / 5040. + r * (1 / 40320. + r * (1 / 362880. + r * (
               1 / 3628800. + r * (1 / 39916800. + r * (1 / 479001600. + r * (
               1 / 6227020800.))))))))))))


cdef inline floating _reduce(floating x, floating* r) noexcept nogil:
    """Split x = k ln2 + r; returns k + _round_shift(x) (k rounded to nearest)."""
    cdef floating log2e = 1.4426950408889634, ln2_hi, ln2_lo, shift = _round_shift(x)
    if floating is float:
        ln2_hi = 0.693145751953125        # 16 significant bits: k * ln2_hi is exact
        ln2_lo = 1.428606765330187e-06
    else:
        ln2_hi = 0.6931471803691238       # 0x3fe62e42fee00000
        ln2_lo = 1.9082149292705877e-10
    cdef floating t = x * log2e + shift
    cdef floating k = t - shift
    r[0] = (x - k * ln2_hi) - k * ln2_lo
    return t


cdef inline floating _exp(floating x) noexcept nogil:
    """e^x, including gradual underflow to subnormals and overflow to inf; NaN propagates."""
    cdef floating lo, hi, r, shift = _round_shift(x)
    if floating is float:
        lo = -105.0; hi = 89.0      # beyond these e^x rounds to 0 / inf
    else:
        lo = -746.0; hi = 710.0
    x = lo if x < lo else x         # written so that NaN passes through both clamps
    x = hi if x > hi else x
    cdef floating t = _reduce(x, &r)
    cdef floating k = t - shift
    # 2^k as 2^k1 * 2^k2 with k1 = floor(k/2): each factor stays a normal number even where
    # e^x itself is subnormal or overflows, so the last multiply rounds (or overflows) once.
    cdef floating t1 = (k * <floating>0.5 - <floating>0.25) + shift
    cdef floating t2 = (k - (t1 - shift)) + shift
    return (<floating>1 + _expm1_reduced(r)) * _pow2_of_shifted(t1) * _pow2_of_shifted(t2)


cdef inline floating _tanh(floating x) noexcept nogil:
    """tanh(x) = -u / (2 + u) with u = expm1(-2|x|): accurate at 0 and exactly +-1 far out."""
    cdef floating a = _fabs(x), r, saturate, one = 1, two = 2
    if floating is float:
        saturate = 10.0             # tanhf(x) rounds to 1 from x ~ 9.01 on
    else:
        saturate = 20.0             # tanh(x) rounds to 1 from x ~ 19.06 on
    a = saturate if a > saturate else a
    cdef floating t = _reduce(-two * a, &r)
    cdef floating s = _pow2_of_shifted(t)
    cdef floating u = s * _expm1_reduced(r) + (s - one)   # expm1(-2a) = 2^k expm1(r) + 2^k - 1
    return _copysign(-u / (two + u), x)


cdef inline floating _sigmoid(floating x) noexcept nogil:
    """1 / (1 + e^-x) from e = e^-|x| <= 1: no overflow, no cancellation for either sign."""
    cdef floating e = _exp(-_fabs(x)), one = 1
    cdef floating s = one / (one + e)
    return s if x >= 0 else e * s


# ----------------------------------------------------------------------------------------------
# Activations (elementwise over the flat buffer)
# ----------------------------------------------------------------------------------------------

cdef void _relu_fwd(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating zero = 0
    for i in range(n):
        y[i] = zero if x[i] <= zero else x[i]   # NaN propagates, as in torch.relu


cdef void _relu_bwd(const floating* y, const floating* gy, floating* gx,
                    Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating g, zero = 0
    for i in range(n):
        g = gy[i]                   # loaded unconditionally, so that the select vectorises
        gx[i] = g if y[i] > zero else zero  # a select, not g * mask: inf/NaN grads stay masked


cdef void _leaky_fwd(const floating* x, floating slope, floating* y,
                     Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating zero = 0
    for i in range(n):
        y[i] = x[i] if x[i] > zero else x[i] * slope


cdef void _leaky_bwd(const floating* x, floating slope, const floating* gy, floating* gx,
                     Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating zero = 0
    for i in range(n):
        gx[i] = gy[i] if x[i] > zero else gy[i] * slope


cdef void _tanh_fwd(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = _tanh(x[i])


cdef void _tanh_bwd(const floating* y, const floating* gy, floating* gx,
                    Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating one = 1
    for i in range(n):
        gx[i] = gy[i] * (one - y[i] * y[i])


cdef void _sigmoid_fwd(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = _sigmoid(x[i])


cdef void _sigmoid_bwd(const floating* y, const floating* gy, floating* gx,
                       Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating one = 1
    for i in range(n):
        gx[i] = gy[i] * (one - y[i]) * y[i]     # torch's order of operations


cdef enum Activation:
    RELU, LEAKY_RELU, TANH, SIGMOID


cdef void _act_fwd(Activation op, const floating* x, floating slope, floating* y,
                   Py_ssize_t n) noexcept nogil:
    if op == RELU:
        _relu_fwd(x, y, n)
    elif op == LEAKY_RELU:
        _leaky_fwd(x, slope, y, n)
    elif op == TANH:
        _tanh_fwd(x, y, n)
    else:
        _sigmoid_fwd(x, y, n)


cdef void _act_bwd(Activation op, const floating* saved, floating slope, const floating* gy,
                   floating* gx, Py_ssize_t n) noexcept nogil:
    if op == RELU:
        _relu_bwd(saved, gy, gx, n)
    elif op == LEAKY_RELU:
        _leaky_bwd(saved, slope, gy, gx, n)
    elif op == TANH:
        _tanh_bwd(saved, gy, gx, n)
    else:
        _sigmoid_bwd(saved, gy, gx, n)


cdef cnp.ndarray _run_forward(str fn, Activation op, cnp.ndarray x, object out, double slope=0):
    """The body every *_forward shares: check x, allocate or check `out`, release the GIL
    for long arrays, and run op on the flat buffer in x's dtype."""
    cdef int t = _float_type(fn, "x", x)
    cdef cnp.ndarray y = _output_like(fn, "out", out, "x", x)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _act_fwd(op, <float*>px, <float>slope, <float*>py, n)
    else:
        _act_fwd(op, <double*>px, slope, <double*>py, n)
    _reacquire_gil(gil)
    return y


cdef cnp.ndarray _run_backward(str fn, Activation op, str saved_name, cnp.ndarray saved,
                               cnp.ndarray grad_y, object grad_x, double slope=0):
    """The body every *_backward shares; `saved` is what the rule reads (the forward
    input or output, named saved_name in error messages)."""
    cdef int t = _float_type(fn, saved_name, saved)
    _check_like(fn, "grad_y", grad_y, saved_name, saved, False)
    cdef cnp.ndarray gx = _output_like(fn, "grad_x", grad_x, saved_name, saved)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(saved)
    cdef void* ps = cnp.PyArray_DATA(saved)
    cdef void* pgy = cnp.PyArray_DATA(grad_y)
    cdef void* pgx = cnp.PyArray_DATA(gx)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _act_bwd(op, <float*>ps, <float>slope, <float*>pgy, <float*>pgx, n)
    else:
        _act_bwd(op, <double*>ps, slope, <double*>pgy, <double*>pgx, n)
    _reacquire_gil(gil)
    return gx


def relu_forward(cnp.ndarray x not None, out=None):
    """y = max(x, 0) elementwise into `out` (may be `x`; allocated if None); returns it.

    NaN inputs give NaN, as torch.relu does.
    """
    return _run_forward("relu_forward", RELU, x, out)


def relu_backward(cnp.ndarray y_or_x not None, cnp.ndarray grad_y not None, grad_x=None):
    """grad_x = grad_y where y_or_x > 0, else 0 (the gradient at 0 is 0, like torch).

    Either the forward input or its output works: both are positive at the same places.
    `grad_x` may be `grad_y` (in place); it is written, not accumulated. Returns grad_x.
    """
    return _run_backward("relu_backward", RELU, "y_or_x", y_or_x, grad_y, grad_x)


def leaky_relu_forward(cnp.ndarray x not None, double slope, out=None):
    """y = x if x > 0 else slope * x, into `out` (may be `x`; allocated if None); returns it."""
    return _run_forward("leaky_relu_forward", LEAKY_RELU, x, out, slope)


def leaky_relu_backward(cnp.ndarray x not None, double slope, cnp.ndarray grad_y not None,
                        grad_x=None):
    """grad_x = grad_y if x > 0 else slope * grad_y (slope at x == 0, as torch); returns it.

    `x` is the forward input (its output has the same sign for slope > 0). `grad_x` may be
    `grad_y`; it is written, not accumulated.
    """
    return _run_backward("leaky_relu_backward", LEAKY_RELU, "x", x, grad_y, grad_x, slope)


def tanh_forward(cnp.ndarray x not None, out=None):
    """y = tanh(x) into `out` (may be `x`; allocated if None); returns it. Within ~2 ulp."""
    return _run_forward("tanh_forward", TANH, x, out)


def tanh_backward(cnp.ndarray y not None, cnp.ndarray grad_y not None, grad_x=None):
    """grad_x = grad_y * (1 - y^2) from the saved forward output `y`; returns grad_x.

    `grad_x` may be `grad_y`; it is written, not accumulated.
    """
    return _run_backward("tanh_backward", TANH, "y", y, grad_y, grad_x)


def sigmoid_forward(cnp.ndarray x not None, out=None):
    """y = 1 / (1 + exp(-x)) into `out` (may be `x`; allocated if None); returns it.

    Stable for any |x|: tiny outputs keep their relative accuracy (down to subnormals) and
    large |x| neither overflows nor produces NaN.
    """
    return _run_forward("sigmoid_forward", SIGMOID, x, out)


def sigmoid_backward(cnp.ndarray y not None, cnp.ndarray grad_y not None, grad_x=None):
    """grad_x = grad_y * (1 - y) * y from the saved forward output `y`; returns grad_x.

    `grad_x` may be `grad_y`; it is written, not accumulated.
    """
    return _run_backward("sigmoid_backward", SIGMOID, "y", y, grad_y, grad_x)


# ----------------------------------------------------------------------------------------------
# Losses: means as PyTorch's defaults. Sums are accumulated in float64 for both dtypes.
# ----------------------------------------------------------------------------------------------

cdef double _softmax_xent(const floating* x, const int64_t* labels, Py_ssize_t n,
                          Py_ssize_t c, floating* grad, floating* scratch) noexcept nogil:
    """Sum over rows of logsumexp(x_i) - x_i[label_i]; grad (if not NULL) = (p - onehot) / n.

    Per row: m = max, e = exp(x - m) written to the grad row (or `scratch`), s = sum e (in
    float64), loss = m + log(s) - x[label]. The row's label logit and max are read before the row is
    overwritten, so `grad` may be `x` itself.
    """
    cdef Py_ssize_t i, j
    cdef const floating* xi
    cdef floating* ei
    cdef floating m, x_label, inv_s
    cdef floating inv_n = <floating>(1.0 / n)
    cdef double s, total = 0
    for i in range(n):
        xi = x + i * c
        ei = grad + i * c if grad != NULL else scratch
        m = xi[0]
        for j in range(1, c):
            m = xi[j] if xi[j] > m else m
        x_label = xi[labels[i]]
        for j in range(c):
            ei[j] = _exp(xi[j] - m)
        s = 0
        for j in range(c):
            s += ei[j]
        total += (m + log(s)) - x_label
        if grad != NULL:
            inv_s = <floating>(1 / s)
            for j in range(c):
                ei[j] = ei[j] * inv_s * inv_n
            ei[labels[i]] -= inv_n
    return total


def softmax_cross_entropy(cnp.ndarray logits not None, cnp.ndarray labels not None,
                          grad_out=None):
    """Mean softmax cross-entropy of `logits` (N, C) against int64 class `labels` (N,).

    Equals ``F.cross_entropy(logits, labels)`` (reduction mean). Stable for any logits
    (log-sum-exp with the row max subtracted). If `grad_out` (N, C) is given, the gradient of
    the mean loss, (softmax(logits) - onehot(labels)) / N, is written into it; it may be
    `logits` itself. A label outside [0, C) raises ValueError naming it and its index (there is
    no ignore_index) and nothing is written. N == 0 gives NaN, as torch. A non-finite loss is
    returned as it is: the caller detects divergence.
    """
    cdef str fn = "softmax_cross_entropy"
    cdef int t = _float_type(fn, "logits", logits)
    if cnp.PyArray_NDIM(logits) != 2:
        raise ValueError(f"{fn}: logits must be 2-D (N, C), got shape {_shape(logits)}")
    cdef Py_ssize_t n = cnp.PyArray_DIMS(logits)[0], c = cnp.PyArray_DIMS(logits)[1]
    if not (cnp.PyArray_ISINTEGER(labels) and cnp.PyArray_ISSIGNED(labels)
            and cnp.PyArray_ITEMSIZE(labels) == 8):
        raise TypeError(f"{fn}: labels must be int64, got {labels.dtype}")
    if cnp.PyArray_NDIM(labels) != 1 or cnp.PyArray_DIMS(labels)[0] != n:
        raise ValueError(f"{fn}: labels must have shape ({n},) to match logits "
                         f"{_shape(logits)}, got {_shape(labels)}")
    if not _well_laid_out(labels):
        _check_layout(fn, "labels", labels)
    cdef const int64_t* lab = <const int64_t*>cnp.PyArray_DATA(labels)
    cdef Py_ssize_t i
    for i in range(n):
        if lab[i] < 0 or lab[i] >= c:
            raise ValueError(f"{fn}: label {lab[i]} at index {i} is out of range for "
                             f"{c} classes (expected 0 <= label < {c})")
    cdef cnp.ndarray grad
    cdef void* pg = NULL
    if grad_out is not None:
        grad = _output_like(fn, "grad_out", grad_out, "logits", logits)
        pg = cnp.PyArray_DATA(grad)
    cdef void* scratch = NULL
    if pg == NULL:
        scratch = malloc(c * cnp.PyArray_ITEMSIZE(logits) + 1)
        if scratch == NULL:
            raise MemoryError(f"{fn}: cannot allocate a row of {c} classes")
    cdef void* px = cnp.PyArray_DATA(logits)
    cdef double total
    cdef PyThreadState* gil = _release_gil_if_long(n * c)
    if t == cnp.NPY_FLOAT:
        total = _softmax_xent(<float*>px, lab, n, c, <float*>pg, <float*>scratch)
    else:
        total = _softmax_xent(<double*>px, lab, n, c, <double*>pg, <double*>scratch)
    _reacquire_gil(gil)
    free(scratch)
    return total / n


cdef double _bce_logits(const floating* x, const floating* target, Py_ssize_t n,
                        floating* grad) noexcept nogil:
    """Sum of max(x,0) - x t + log1p(e^-|x|); grad (if not NULL) = (sigmoid(x) - t) / n.

    Computed in float64 with libm (log1p keeps this loop scalar anyway); BCE outputs are
    small (N, 1) or (N, K) arrays.
    """
    cdef Py_ssize_t i
    cdef double xi, ti, e, s, total = 0, inv_n = 1.0 / n
    for i in range(n):
        xi = x[i]
        ti = target[i]
        e = exp(-fabs(xi))
        total += (xi if xi > 0 else 0.0) - xi * ti + log1p(e)
        if grad != NULL:
            s = 1 / (1 + e)
            s = s if xi >= 0 else e * s
            grad[i] = <floating>((s - ti) * inv_n)
    return total


def bce_with_logits(cnp.ndarray logits not None, cnp.ndarray targets not None, grad_out=None):
    """Mean binary cross-entropy on logits over all elements (any shape).

    Equals ``F.binary_cross_entropy_with_logits(logits, targets)``, computed stably as
    max(x, 0) - x t + log1p(exp(-|x|)). `targets` has the logits' shape and dtype (soft
    targets in [0, 1] are fine). If `grad_out` is given, (sigmoid(x) - t) / numel is written
    into it; it may be `logits`. Empty input gives NaN; non-finite losses are returned as is.
    """
    cdef str fn = "bce_with_logits"
    cdef int t = _float_type(fn, "logits", logits)
    _check_like(fn, "targets", targets, "logits", logits, False)
    cdef cnp.ndarray grad
    cdef void* pg = NULL
    if grad_out is not None:
        grad = _output_like(fn, "grad_out", grad_out, "logits", logits)
        pg = cnp.PyArray_DATA(grad)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(logits)
    cdef void* px = cnp.PyArray_DATA(logits)
    cdef void* pt = cnp.PyArray_DATA(targets)
    cdef double total
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        total = _bce_logits(<float*>px, <float*>pt, n, <float*>pg)
    else:
        total = _bce_logits(<double*>px, <double*>pt, n, <double*>pg)
    _reacquire_gil(gil)
    return total / n


cdef double _mse(const floating* p, const floating* target, Py_ssize_t n,
                 floating* grad) noexcept nogil:
    """Sum of (p - t)^2; grad (if not NULL) = 2 (p - t) / n.

    The sum runs in 8 interleaved float64 partial sums: without fast-math a single running sum
    is latency-bound and cannot be vectorised; 8 fixed lanes can, and give the same result on
    every machine.
    """
    cdef double acc[8]
    cdef double d, total = 0
    cdef floating scale = <floating>(2.0 / n)
    cdef Py_ssize_t i, j, n8 = n - n % 8
    memset(acc, 0, sizeof(acc))
    for i in range(0, n8, 8):
        for j in range(8):
            d = <double>p[i + j] - <double>target[i + j]
            acc[j] += d * d
    for i in range(n8, n):
        d = <double>p[i] - <double>target[i]
        total += d * d
    for j in range(8):
        total += acc[j]
    if grad != NULL:
        for i in range(n):
            grad[i] = scale * (p[i] - target[i])
    return total


def mse(cnp.ndarray pred not None, cnp.ndarray target not None, grad_out=None):
    """Mean squared error over all elements (any shape), as ``F.mse_loss(pred, target)``.

    `target` has the shape and dtype of `pred`. If `grad_out` is given, 2 (pred - target) /
    numel is written into it; it may be `pred`. Empty input gives NaN.
    """
    cdef str fn = "mse"
    cdef int t = _float_type(fn, "pred", pred)
    _check_like(fn, "target", target, "pred", pred, False)
    cdef cnp.ndarray grad
    cdef void* pg = NULL
    if grad_out is not None:
        grad = _output_like(fn, "grad_out", grad_out, "pred", pred)
        pg = cnp.PyArray_DATA(grad)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(pred)
    cdef void* pp = cnp.PyArray_DATA(pred)
    cdef void* pt = cnp.PyArray_DATA(target)
    cdef double total
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        total = _mse(<float*>pp, <float*>pt, n, <float*>pg)
    else:
        total = _mse(<double*>pp, <double*>pt, n, <double*>pg)
    _reacquire_gil(gil)
    return total / n


# ----------------------------------------------------------------------------------------------
# Optimizer updates, in place, with PyTorch's semantics and (except where noted) its order of
# operations, so multi-step trajectories match torch.optim closely. The effective gradient is
#     d = grad + weight_decay * param + l1 * sign(param)        (sign(0) = 0)
# and is grad itself when both are zero, as torch skips a zero weight decay (0 * inf param
# would otherwise turn into NaN). Scalars are computed in float64, rounded once to the dtype.
# ----------------------------------------------------------------------------------------------

cdef inline floating _sign(floating v) noexcept nogil:
    cdef floating zero = 0, one = 1
    return one if v > zero else (-one if v < zero else zero)


cdef inline floating _effective_grad(floating g, floating p, floating wd, floating l1,
                                     bint regularise) noexcept nogil:
    # `regularise` is loop-invariant: the compiler hoists the test and vectorises both loops.
    if not regularise:
        return g
    return g + wd * p + l1 * _sign(p)


cdef void _sgd(floating* p, const floating* g, Py_ssize_t n, floating lr, floating wd,
               floating l1) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint reg = wd != 0 or l1 != 0
    for i in range(n):
        p[i] = p[i] - lr * _effective_grad(g[i], p[i], wd, l1, reg)


cdef void _momentum(floating* p, const floating* g, floating* buf, Py_ssize_t n, floating lr,
                    floating mu, bint nesterov, floating wd, floating l1) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating d
    cdef bint reg = wd != 0 or l1 != 0
    if nesterov:
        for i in range(n):
            d = _effective_grad(g[i], p[i], wd, l1, reg)
            buf[i] = buf[i] * mu + d
            p[i] = p[i] - lr * (d + mu * buf[i])
    else:
        for i in range(n):
            d = _effective_grad(g[i], p[i], wd, l1, reg)
            buf[i] = buf[i] * mu + d
            p[i] = p[i] - lr * buf[i]


cdef void _adam(floating* p, const floating* g, floating* m, floating* v, Py_ssize_t n,
                floating b1, floating w1, floating b2, floating w2, floating step_scale,
                floating eps_scaled, floating wd, floating l1) noexcept nogil:
    """w1 = 1 - b1 and w2 = 1 - b2 weigh the new gradient in the two averages.

    torch steps by -step_size m / (sqrt(v) / bc2 + eps), bc2 = sqrt(1 - b2^t). Multiplied
    through by bc2 that is -step_scale m / (sqrt(v) + eps_scaled) with step_scale =
    step_size bc2 and eps_scaled = eps bc2: the same value with one division per element
    instead of two (the last bits may differ).
    """
    cdef Py_ssize_t i
    cdef floating d
    cdef bint reg = wd != 0 or l1 != 0
    # m.lerp_(d, w1) the way torch's lerp computes it: from m when the weight is below 1/2,
    # from d otherwise.
    cdef bint from_m = w1 < <floating>0.5
    for i in range(n):
        d = _effective_grad(g[i], p[i], wd, l1, reg)
        m[i] = m[i] + w1 * (d - m[i]) if from_m else d - (d - m[i]) * b1
        v[i] = v[i] * b2 + w2 * d * d
        p[i] = p[i] + (-step_scale * m[i]) / (_sqrt(v[i]) + eps_scaled)


cdef void _rmsprop(floating* p, const floating* g, floating* sq, Py_ssize_t n, floating lr,
                   floating alpha, floating one_minus_alpha, floating eps, floating wd,
                   floating l1) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating d
    cdef bint reg = wd != 0 or l1 != 0
    for i in range(n):
        d = _effective_grad(g[i], p[i], wd, l1, reg)
        sq[i] = sq[i] * alpha + one_minus_alpha * d * d
        p[i] = p[i] + (-lr * d) / (_sqrt(sq[i]) + eps)


cdef int _check_param(str fn, cnp.ndarray param, cnp.ndarray grad) except -1:
    """Check param (written) and grad; returns the numpy type number."""
    cdef int t = _float_type(fn, "param", param)
    if not cnp.PyArray_ISWRITEABLE(param):
        raise ValueError(f"{fn}: param is read-only")
    _check_like(fn, "grad", grad, "param", param, False)
    return t


def sgd_update(cnp.ndarray param not None, cnp.ndarray grad not None, double lr,
               double weight_decay=0.0, double l1=0.0):
    """param -= lr * (grad + weight_decay * param + l1 * sign(param)), in place.

    torch.optim.SGD without momentum. `grad` is left unchanged.
    """
    cdef int t = _check_param("sgd_update", param, grad)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(param)
    cdef void* pp = cnp.PyArray_DATA(param)
    cdef void* pg = cnp.PyArray_DATA(grad)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _sgd(<float*>pp, <float*>pg, n, <float>lr, <float>weight_decay, <float>l1)
    else:
        _sgd(<double*>pp, <double*>pg, n, lr, weight_decay, l1)
    _reacquire_gil(gil)


def momentum_update(cnp.ndarray param not None, cnp.ndarray grad not None,
                    cnp.ndarray velocity not None, double lr, double momentum, bint nesterov,
                    double weight_decay=0.0, double l1=0.0):
    """torch.optim.SGD with momentum (dampening 0), in place on `param` and `velocity`.

    d = grad + weight_decay * param + l1 * sign(param); velocity = momentum * velocity + d;
    param -= lr * (d + momentum * velocity if nesterov else velocity). `velocity` must start
    at zeros, which reproduces torch's first step (where its buffer is a copy of d).
    """
    cdef str fn = "momentum_update"
    cdef int t = _check_param(fn, param, grad)
    _check_like(fn, "velocity", velocity, "param", param, True)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(param)
    cdef void* pp = cnp.PyArray_DATA(param)
    cdef void* pg = cnp.PyArray_DATA(grad)
    cdef void* pv = cnp.PyArray_DATA(velocity)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _momentum(<float*>pp, <float*>pg, <float*>pv, n, <float>lr, <float>momentum, nesterov,
                  <float>weight_decay, <float>l1)
    else:
        _momentum(<double*>pp, <double*>pg, <double*>pv, n, lr, momentum, nesterov,
                  weight_decay, l1)
    _reacquire_gil(gil)


def adam_update(cnp.ndarray param not None, cnp.ndarray grad not None, cnp.ndarray m not None,
                cnp.ndarray v not None, double lr, double beta1, double beta2, double eps,
                step, double weight_decay=0.0, double l1=0.0):
    """torch.optim.Adam (not AdamW, no amsgrad), in place on `param`, `m` and `v`.

    d = grad + weight_decay * param + l1 * sign(param) (weight decay as L2 on the gradient);
    m = lerp(m, d, 1 - beta1); v = beta2 v + (1 - beta2) d^2;
    param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
    `step` counts from 1 (the first update); `m` and `v` start at zeros.
    """
    cdef str fn = "adam_update"
    if not PyIndex_Check(step):     # an int, numpy integer...; a float step would be truncated
        raise TypeError(f"{fn}: step must be an integer, got {type(step).__name__}")
    if step < 1:
        raise ValueError(f"{fn}: step must be >= 1 (the first update is step 1), got {step}")
    cdef int t = _check_param(fn, param, grad)
    _check_like(fn, "m", m, "param", param, True)
    _check_like(fn, "v", v, "param", param, True)
    cdef double k = <long long>step
    cdef double step_size = lr / (1 - pow(beta1, k))
    cdef double bc2_sqrt = sqrt(1 - pow(beta2, k))
    cdef double step_scale = step_size * bc2_sqrt, eps_scaled = eps * bc2_sqrt
    cdef Py_ssize_t n = cnp.PyArray_SIZE(param)
    cdef void* pp = cnp.PyArray_DATA(param)
    cdef void* pg = cnp.PyArray_DATA(grad)
    cdef void* pm = cnp.PyArray_DATA(m)
    cdef void* pv = cnp.PyArray_DATA(v)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _adam(<float*>pp, <float*>pg, <float*>pm, <float*>pv, n, <float>beta1,
              <float>(1 - beta1), <float>beta2, <float>(1 - beta2), <float>step_scale,
              <float>eps_scaled, <float>weight_decay, <float>l1)
    else:
        _adam(<double*>pp, <double*>pg, <double*>pm, <double*>pv, n, beta1, 1 - beta1, beta2,
              1 - beta2, step_scale, eps_scaled, weight_decay, l1)
    _reacquire_gil(gil)


def rmsprop_update(cnp.ndarray param not None, cnp.ndarray grad not None,
                   cnp.ndarray sq not None, double lr, double alpha, double eps,
                   double weight_decay=0.0, double l1=0.0):
    """torch.optim.RMSprop without momentum or centering, in place on `param` and `sq`.

    d = grad + weight_decay * param + l1 * sign(param); sq = alpha sq + (1 - alpha) d^2;
    param -= lr * d / (sqrt(sq) + eps). `sq` starts at zeros.
    """
    cdef str fn = "rmsprop_update"
    cdef int t = _check_param(fn, param, grad)
    _check_like(fn, "sq", sq, "param", param, True)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(param)
    cdef void* pp = cnp.PyArray_DATA(param)
    cdef void* pg = cnp.PyArray_DATA(grad)
    cdef void* ps = cnp.PyArray_DATA(sq)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _rmsprop(<float*>pp, <float*>pg, <float*>ps, n, <float>lr, <float>alpha,
                 <float>(1 - alpha), <float>eps, <float>weight_decay, <float>l1)
    else:
        _rmsprop(<double*>pp, <double*>pg, <double*>ps, n, lr, alpha, 1 - alpha, eps,
                 weight_decay, l1)
    _reacquire_gil(gil)


# ----------------------------------------------------------------------------------------------
# Colour mapping for the app's heat-maps
# ----------------------------------------------------------------------------------------------

cdef void _colormap(const floating* values, Py_ssize_t n, const uint8_t* lut, double vmin,
                    double vmax, uint8_t* rgba) noexcept nogil:
    """256 equal-width bins over [vmin, vmax] (matplotlib's rule), clipped at both ends."""
    cdef double scale = 256.0 / (vmax - vmin) if vmax > vmin else 0.0
    cdef double f
    cdef Py_ssize_t i
    cdef int idx
    for i in range(n):
        f = (values[i] - vmin) * scale
        if values[i] != values[i]:
            memset(rgba + 4 * i, 0, 4)          # NaN: transparent
            continue
        if not (f >= 0):                        # also the NaN of inf * 0 when vmin == vmax
            idx = 0
        elif f >= 255:
            idx = 255
        else:
            idx = <int>f
        memcpy(rgba + 4 * i, lut + 4 * idx, 4)


def colormap_rgba(cnp.ndarray values not None, cnp.ndarray lut not None, double vmin,
                  double vmax, out=None):
    """Map `values` (H, W) through a (256, 4) uint8 RGBA table into `out` (H, W, 4) uint8.

    Value v goes to row floor(256 (v - vmin) / (vmax - vmin)) of `lut`, clipped to [0, 255]
    (so vmin maps to row 0 and vmax to row 255); with vmin == vmax every value maps to row 0.
    NaN maps to transparent (0, 0, 0, 0). `out` is allocated if None; returns it.
    """
    cdef str fn = "colormap_rgba"
    cdef int t = _float_type(fn, "values", values)
    if cnp.PyArray_NDIM(values) != 2:
        raise ValueError(f"{fn}: values must be 2-D (H, W), got shape {_shape(values)}")
    if cnp.PyArray_TYPE(lut) != cnp.NPY_UINT8:
        raise TypeError(f"{fn}: lut must be uint8, got {lut.dtype}")
    if (cnp.PyArray_NDIM(lut) != 2 or cnp.PyArray_DIMS(lut)[0] != 256
            or cnp.PyArray_DIMS(lut)[1] != 4):
        raise ValueError(f"{fn}: lut must have shape (256, 4), got {_shape(lut)}")
    if not _well_laid_out(lut):
        _check_layout(fn, "lut", lut)
    if not (isfinite(vmin) and isfinite(vmax) and vmin <= vmax):
        raise ValueError(f"{fn}: need finite vmin <= vmax, got vmin={vmin}, vmax={vmax}")
    cdef Py_ssize_t h = cnp.PyArray_DIMS(values)[0], w = cnp.PyArray_DIMS(values)[1]
    if out is None:
        out = np.empty((h, w, 4), dtype=np.uint8)
    elif not isinstance(out, cnp.ndarray):
        raise TypeError(f"{fn}: out must be a numpy array or None, got {type(out).__name__}")
    cdef cnp.ndarray rgba = <cnp.ndarray>out
    if cnp.PyArray_TYPE(rgba) != cnp.NPY_UINT8:
        raise TypeError(f"{fn}: out must be uint8, got {rgba.dtype}")
    if (cnp.PyArray_NDIM(rgba) != 3 or cnp.PyArray_DIMS(rgba)[0] != h
            or cnp.PyArray_DIMS(rgba)[1] != w or cnp.PyArray_DIMS(rgba)[2] != 4):
        raise ValueError(f"{fn}: out must have shape ({h}, {w}, 4) for values of shape "
                         f"{_shape(values)}, got {_shape(rgba)}")
    if not _well_laid_out(rgba):
        _check_layout(fn, "out", rgba)
    if not cnp.PyArray_ISWRITEABLE(rgba):
        raise ValueError(f"{fn}: out is read-only")
    cdef Py_ssize_t n = h * w
    cdef void* pv = cnp.PyArray_DATA(values)
    cdef const uint8_t* plut = <const uint8_t*>cnp.PyArray_DATA(lut)
    cdef uint8_t* po = <uint8_t*>cnp.PyArray_DATA(rgba)
    cdef PyThreadState* gil = _release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _colormap(<float*>pv, n, plut, vmin, vmax, po)
    else:
        _colormap(<double*>pv, n, plut, vmin, vmax, po)
    _reacquire_gil(gil)
    return rgba

# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Losses and their gradients in one pass, numerically stable: softmax cross-entropy and
binary cross-entropy on logits, mean squared error.

Means as PyTorch's defaults; sums are accumulated in float64 for both dtypes. The per-row and
per-element maths is csrc/common/nn_math.h's, shared with the fused MLP trainer; the contract
shared by every module of neuralviz._native is in its package docstring. A gradient output may
be the predictions (logits) array itself.
"""

cimport numpy as cnp
from cython cimport floating
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from neuralviz._native._checks cimport (Call, call_on, check_layout, check_like, float_type,
                                        output_like, run, shape_of, well_laid_out)
from neuralviz._native._nn_math cimport (bce_logits_grad, bce_logits_term, mean_scale, mse_grad,
                                         mse_term, softmax_xent_row, softmax_xent_row_grad)

cnp.import_array()


# ----------------------------------------------------------------------------------------------
# Softmax cross-entropy
# ----------------------------------------------------------------------------------------------

cdef double _softmax_xent(const floating* x, const int64_t* labels, Py_ssize_t n,
                          Py_ssize_t c, floating* grad, floating* scratch) noexcept nogil:
    """Sum over rows of logsumexp(x_i) - x_i[label_i]; grad (if not NULL) = (p - onehot) / n.

    Each row's exponentials go to its grad row (or `scratch`), which may be the logits row.
    """
    cdef Py_ssize_t i
    cdef floating* ei
    cdef floating inv_n
    cdef double s = 0, total = 0
    if floating is float:   # Cython passes no fused type as a template argument
        inv_n = mean_scale[float](n, 1.0)
    else:
        inv_n = mean_scale[double](n, 1.0)
    for i in range(n):
        ei = grad + i * c if grad != NULL else scratch
        total += softmax_xent_row(x + i * c, 1, c, labels[i], ei, s)
        if grad != NULL:
            softmax_xent_row_grad(ei, 1, c, labels[i], s, inv_n)
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
    float_type(fn, "logits", logits)
    if cnp.PyArray_NDIM(logits) != 2:
        raise ValueError(f"{fn}: logits must be 2-D (N, C), got shape {shape_of(logits)}")
    cdef Py_ssize_t n = cnp.PyArray_DIMS(logits)[0], c = cnp.PyArray_DIMS(logits)[1]
    if not (cnp.PyArray_ISINTEGER(labels) and cnp.PyArray_ISSIGNED(labels)
            and cnp.PyArray_ITEMSIZE(labels) == 8):
        raise TypeError(f"{fn}: labels must be int64, got {labels.dtype}")
    if cnp.PyArray_NDIM(labels) != 1 or cnp.PyArray_DIMS(labels)[0] != n:
        raise ValueError(f"{fn}: labels must have shape ({n},) to match logits "
                         f"{shape_of(logits)}, got {shape_of(labels)}")
    if not well_laid_out(labels):
        check_layout(fn, "labels", labels)
    cdef const int64_t* lab = <const int64_t*>cnp.PyArray_DATA(labels)
    cdef Py_ssize_t i
    for i in range(n):
        if lab[i] < 0 or lab[i] >= c:
            raise ValueError(f"{fn}: label {lab[i]} at index {i} is out of range for "
                             f"{c} classes (expected 0 <= label < {c})")
    cdef cnp.ndarray grad
    cdef void* pg = NULL
    if grad_out is not None:
        grad = output_like(fn, "grad_out", grad_out, "logits", logits)
        pg = cnp.PyArray_DATA(grad)
    cdef void* scratch = NULL
    if pg == NULL:
        scratch = malloc(c * cnp.PyArray_ITEMSIZE(logits) + 1)
        if scratch == NULL:
            raise MemoryError(f"{fn}: cannot allocate a row of {c} classes")
    cdef Call call = call_on(XENT, logits)
    call.rows = n
    call.a[1], call.a[2], call.a[3] = pg, scratch, <void*>lab
    cdef double total = run(_dispatch, &call)
    free(scratch)
    return total / n


# ----------------------------------------------------------------------------------------------
# Binary cross-entropy on logits
# ----------------------------------------------------------------------------------------------

cdef double _bce_logits(const floating* x, const floating* target, Py_ssize_t n,
                        floating* grad) noexcept nogil:
    """Sum of max(x,0) - x t + log1p(e^-|x|); grad (if not NULL) = (sigmoid(x) - t) / n.

    In float64 (log1p keeps this loop scalar anyway); BCE outputs are small (N, 1) or (N, K)
    arrays.
    """
    cdef Py_ssize_t i
    cdef double e = 0, total = 0, inv_n = 1.0 / n
    for i in range(n):
        total += bce_logits_term(x[i], target[i], e)
        if grad != NULL:
            grad[i] = <floating>(bce_logits_grad(x[i], target[i], e) * inv_n)
    return total


def bce_with_logits(cnp.ndarray logits not None, cnp.ndarray targets not None, grad_out=None):
    """Mean binary cross-entropy on logits over all elements (any shape).

    Equals ``F.binary_cross_entropy_with_logits(logits, targets)``, computed stably as
    max(x, 0) - x t + log1p(exp(-|x|)). `targets` has the logits' shape and dtype (soft
    targets in [0, 1] are fine). If `grad_out` is given, (sigmoid(x) - t) / numel is written
    into it; it may be `logits`. Empty input gives NaN; non-finite losses are returned as is.
    """
    return _mean_elementwise("bce_with_logits", BCE, "logits", logits, "targets", targets,
                             grad_out)


# ----------------------------------------------------------------------------------------------
# Mean squared error
# ----------------------------------------------------------------------------------------------

cdef double _mse(const floating* p, const floating* target, Py_ssize_t n,
                 floating* grad) noexcept nogil:
    """Sum of (p - t)^2; grad (if not NULL) = 2 (p - t) / n.

    The sum runs in 8 interleaved float64 partial sums: without fast-math a single running sum
    is latency-bound and cannot be vectorised; 8 fixed lanes can, and give the same result on
    every machine.
    """
    cdef double acc[8]
    cdef double total = 0
    cdef floating scale
    if floating is float:
        scale = mean_scale[float](n, 2.0)
    else:
        scale = mean_scale[double](n, 2.0)
    cdef Py_ssize_t i, j, n8 = n - n % 8
    memset(acc, 0, sizeof(acc))
    for i in range(0, n8, 8):
        for j in range(8):
            acc[j] += mse_term(p[i + j], target[i + j])
    for i in range(n8, n):
        total += mse_term(p[i], target[i])
    for j in range(8):
        total += acc[j]
    if grad != NULL:
        for i in range(n):
            grad[i] = mse_grad(p[i], target[i], scale)
    return total


def mse(cnp.ndarray pred not None, cnp.ndarray target not None, grad_out=None):
    """Mean squared error over all elements (any shape), as ``F.mse_loss(pred, target)``.

    `target` has the shape and dtype of `pred`. If `grad_out` is given, 2 (pred - target) /
    numel is written into it; it may be `pred`. Empty input gives NaN.
    """
    return _mean_elementwise("mse", MSE, "pred", pred, "target", target, grad_out)


# ----------------------------------------------------------------------------------------------
# The one float32/float64 dispatch (see Call in _checks.pxd)
# ----------------------------------------------------------------------------------------------

cdef enum Loss:
    XENT, BCE, MSE


cdef void _apply(Call* c, const floating* x) noexcept nogil:
    """a = (x, grad or NULL, targets (BCE, MSE) or a scratch row (XENT), labels (XENT))."""
    cdef floating* grad = <floating*>c.a[1]
    if c.op == XENT:
        c.result = _softmax_xent(x, <const int64_t*>c.a[3], c.rows,
                                 c.n // c.rows if c.rows else 0, grad, <floating*>c.a[2])
    elif c.op == BCE:
        c.result = _bce_logits(x, <floating*>c.a[2], c.n, grad)
    else:
        c.result = _mse(x, <floating*>c.a[2], c.n, grad)


cdef void _dispatch(Call* c) noexcept nogil:
    if c.single:
        _apply(c, <float*>c.a[0])
    else:
        _apply(c, <double*>c.a[0])


cdef object _mean_elementwise(str fn, Loss op, str x_name, cnp.ndarray x, str target_name,
                              cnp.ndarray target, object grad_out):
    """The body of the elementwise losses: check x (any shape), the target (x's shape and
    dtype) and grad_out, run op, return the mean (NaN for empty input)."""
    float_type(fn, x_name, x)
    check_like(fn, target_name, target, x_name, x, False)
    cdef object grad = None
    if grad_out is not None:
        grad = output_like(fn, "grad_out", grad_out, x_name, x)
    cdef Call c = call_on(op, x, grad, target)
    return run(_dispatch, &c) / c.n

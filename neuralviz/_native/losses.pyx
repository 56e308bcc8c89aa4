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

from neuralviz._native._checks cimport (PyThreadState, check_layout, check_like, float_type,
                                        output_like, reacquire_gil, release_gil_if_long,
                                        shape_of, well_laid_out)
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
    cdef int t = float_type(fn, "logits", logits)
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
    cdef void* px = cnp.PyArray_DATA(logits)
    cdef double total
    cdef PyThreadState* gil = release_gil_if_long(n * c)
    if t == cnp.NPY_FLOAT:
        total = _softmax_xent(<float*>px, lab, n, c, <float*>pg, <float*>scratch)
    else:
        total = _softmax_xent(<double*>px, lab, n, c, <double*>pg, <double*>scratch)
    reacquire_gil(gil)
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
    cdef str fn = "bce_with_logits"
    cdef int t = float_type(fn, "logits", logits)
    check_like(fn, "targets", targets, "logits", logits, False)
    cdef cnp.ndarray grad
    cdef void* pg = NULL
    if grad_out is not None:
        grad = output_like(fn, "grad_out", grad_out, "logits", logits)
        pg = cnp.PyArray_DATA(grad)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(logits)
    cdef void* px = cnp.PyArray_DATA(logits)
    cdef void* pt = cnp.PyArray_DATA(targets)
    cdef double total
    cdef PyThreadState* gil = release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        total = _bce_logits(<float*>px, <float*>pt, n, <float*>pg)
    else:
        total = _bce_logits(<double*>px, <double*>pt, n, <double*>pg)
    reacquire_gil(gil)
    return total / n


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
    cdef str fn = "mse"
    cdef int t = float_type(fn, "pred", pred)
    check_like(fn, "target", target, "pred", pred, False)
    cdef cnp.ndarray grad
    cdef void* pg = NULL
    if grad_out is not None:
        grad = output_like(fn, "grad_out", grad_out, "pred", pred)
        pg = cnp.PyArray_DATA(grad)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(pred)
    cdef void* pp = cnp.PyArray_DATA(pred)
    cdef void* pt = cnp.PyArray_DATA(target)
    cdef double total
    cdef PyThreadState* gil = release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        total = _mse(<float*>pp, <float*>pt, n, <float*>pg)
    else:
        total = _mse(<double*>pp, <double*>pt, n, <double*>pg)
    reacquire_gil(gil)
    return total / n

# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Elementwise activations and their gradients for the layer graph: relu, leaky_relu, tanh,
sigmoid, forward and backward, over the flat buffer of arrays of any shape.

The maths is csrc/common/nn_math.h's (shared with the fused MLP trainer and the C++ kernels
for large arrays); the contract, shared by every module of neuralviz._native, is in its
package docstring. An output may be the input itself (in place) but must not otherwise
overlap it.
"""

cimport numpy as cnp
from cython cimport floating

from neuralviz._native._checks cimport (PyThreadState, check_like, data_or_null, float_type,
                                        output_like, reacquire_gil, release_gil_if_long)
from neuralviz._native._nn_math cimport (leaky_relu, leaky_relu_grad, relu, relu_grad,
                                         sigmoid_grad, tanh_grad, vsigmoid, vtanh)

cnp.import_array()


# One loop per rule: GCC vectorises each (nn_math's tanh/sigmoid are written for that).

cdef void _relu_fwd(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = relu(x[i])


cdef void _relu_bwd(const floating* y, const floating* gy, floating* gx,
                    Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        gx[i] = relu_grad(y[i], gy[i])


cdef void _leaky_fwd(const floating* x, floating slope, floating* y,
                     Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = leaky_relu(x[i], slope)


cdef void _leaky_bwd(const floating* x, floating slope, const floating* gy, floating* gx,
                     Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        gx[i] = leaky_relu_grad(x[i], slope, gy[i])


cdef void _tanh_fwd(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = vtanh(x[i])


cdef void _tanh_bwd(const floating* y, const floating* gy, floating* gx,
                    Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        gx[i] = tanh_grad(y[i], gy[i])


cdef void _sigmoid_fwd(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = vsigmoid(x[i])


cdef void _sigmoid_bwd(const floating* y, const floating* gy, floating* gx,
                       Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        gx[i] = sigmoid_grad(y[i], gy[i])


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


cdef void _act(Activation op, bint backward, const floating* a0, floating slope, floating* a1,
               floating* a2, Py_ssize_t n) noexcept nogil:
    if backward:
        _act_bwd(op, a0, slope, a1, a2, n)
    else:
        _act_fwd(op, a0, slope, a1, n)


cdef void _run(Activation op, bint backward, cnp.ndarray a0, cnp.ndarray a1, object a2,
               double slope):
    """The one float32/float64 dispatch of this module: op forward on (x, y) or backward on
    (saved, grad_y, grad_x), in a0's dtype, without the GIL for long arrays. (Not a _checks.Call:
    handing op to the loops through memory made the 128x256 tanh 3% slower; as an argument it
    costs nothing.)"""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a0)
    cdef void* p0 = cnp.PyArray_DATA(a0)
    cdef void* p1 = cnp.PyArray_DATA(a1)
    cdef void* p2 = data_or_null(a2)
    cdef PyThreadState* gil = release_gil_if_long(n)
    if cnp.PyArray_TYPE(a0) == cnp.NPY_FLOAT:
        _act(op, backward, <float*>p0, <float>slope, <float*>p1, <float*>p2, n)
    else:
        _act(op, backward, <double*>p0, slope, <double*>p1, <double*>p2, n)
    reacquire_gil(gil)


cdef cnp.ndarray _run_forward(str fn, Activation op, cnp.ndarray x, object out, double slope=0):
    """The body every *_forward shares: check x, allocate or check `out`, and run op on the
    flat buffer in x's dtype."""
    float_type(fn, "x", x)
    cdef cnp.ndarray y = output_like(fn, "out", out, "x", x)
    _run(op, False, x, y, None, slope)
    return y


cdef cnp.ndarray _run_backward(str fn, Activation op, str saved_name, cnp.ndarray saved,
                               cnp.ndarray grad_y, object grad_x, double slope=0):
    """The body every *_backward shares; `saved` is what the rule reads (the forward
    input or output, named saved_name in error messages)."""
    float_type(fn, saved_name, saved)
    check_like(fn, "grad_y", grad_y, saved_name, saved, False)
    cdef cnp.ndarray gx = output_like(fn, "grad_x", grad_x, saved_name, saved)
    _run(op, True, saved, grad_y, gx, slope)
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

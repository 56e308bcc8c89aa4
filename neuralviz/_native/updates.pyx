# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Optimizer updates, in place, with PyTorch's semantics and (except where noted) its order of
operations, so multi-step trajectories match torch.optim closely: SGD, momentum (heavy ball or
Nesterov), Adam, RMSprop.

The effective gradient is

    d = grad + weight_decay * param + l1 * sign(param)        (sign(0) = 0)

and is grad itself when both are zero, as torch skips a zero weight decay (0 * inf param would
otherwise turn into NaN); it and the SGD rule come from csrc/common/nn_math.h, which the fused
MLP trainer compiles too. Scalars are computed in float64 and rounded once to the dtype. The
contract shared by every module of neuralviz._native is in its package docstring; `grad` is
only read.
"""

cimport numpy as cnp
from cpython.number cimport PyIndex_Check
from cython cimport floating
from libc.math cimport pow, sqrt, sqrtf

from neuralviz._native._checks cimport Call, call_on, check_like, float_type, run
from neuralviz._native._nn_math cimport effective_grad, sgd_step

cnp.import_array()


# Cython knows libc's sqrt only as a double function: in a float loop, sqrt(v) would quietly be
# computed in double precision. Literals in the loops are typed (casts) for the same reason.
cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef void _sgd(floating* p, const floating* g, Py_ssize_t n, floating lr, floating wd,
               floating l1) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint reg = wd != 0 or l1 != 0
    for i in range(n):
        p[i] = sgd_step(p[i], g[i], lr, wd, l1, reg)  # the fused MLP trainer's rule too


cdef void _momentum(floating* p, const floating* g, floating* buf, Py_ssize_t n, floating lr,
                    floating mu, bint nesterov, floating wd, floating l1) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating d
    cdef bint reg = wd != 0 or l1 != 0
    if nesterov:
        for i in range(n):
            d = effective_grad(g[i], p[i], wd, l1, reg)
            buf[i] = buf[i] * mu + d
            p[i] = p[i] - lr * (d + mu * buf[i])
    else:
        for i in range(n):
            d = effective_grad(g[i], p[i], wd, l1, reg)
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
        d = effective_grad(g[i], p[i], wd, l1, reg)
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
        d = effective_grad(g[i], p[i], wd, l1, reg)
        sq[i] = sq[i] * alpha + one_minus_alpha * d * d
        p[i] = p[i] + (-lr * d) / (_sqrt(sq[i]) + eps)


cdef enum Rule:
    SGD, MOMENTUM, ADAM, RMSPROP


cdef void _apply(const Call* c, floating* p) noexcept nogil:
    """a = (param, grad, state...), s = the rule's scalars in the order of its kernel."""
    cdef const floating* g = <floating*>c.a[1]
    cdef const double* s = <const double*>c.s
    if c.op == SGD:
        _sgd(p, g, c.n, <floating>s[0], <floating>s[1], <floating>s[2])
    elif c.op == MOMENTUM:
        _momentum(p, g, <floating*>c.a[2], c.n, <floating>s[0], <floating>s[1], c.flag,
                  <floating>s[2], <floating>s[3])
    elif c.op == ADAM:
        _adam(p, g, <floating*>c.a[2], <floating*>c.a[3], c.n, <floating>s[0], <floating>(1 - s[0]),
              <floating>s[1], <floating>(1 - s[1]), <floating>s[2], <floating>s[3], <floating>s[4],
              <floating>s[5])
    else:
        _rmsprop(p, g, <floating*>c.a[2], c.n, <floating>s[0], <floating>s[1],
                 <floating>(1 - s[1]), <floating>s[2], <floating>s[3], <floating>s[4])


cdef void _dispatch(Call* c) noexcept nogil:
    if c.single:
        _apply(c, <float*>c.a[0])
    else:
        _apply(c, <double*>c.a[0])


cdef int _check_param(str fn, cnp.ndarray param, cnp.ndarray grad) except -1:
    """Check param (written) and grad; returns the numpy type number."""
    cdef int t = float_type(fn, "param", param)
    if not cnp.PyArray_ISWRITEABLE(param):
        raise ValueError(f"{fn}: param is read-only")
    check_like(fn, "grad", grad, "param", param, False)
    return t


def sgd_update(cnp.ndarray param not None, cnp.ndarray grad not None, double lr,
               double weight_decay=0.0, double l1=0.0):
    """param -= lr * (grad + weight_decay * param + l1 * sign(param)), in place.

    torch.optim.SGD without momentum. `grad` is left unchanged.
    """
    _check_param("sgd_update", param, grad)
    cdef Call c = call_on(SGD, param, grad)
    c.s[0], c.s[1], c.s[2] = lr, weight_decay, l1
    run(_dispatch, &c)


def momentum_update(cnp.ndarray param not None, cnp.ndarray grad not None,
                    cnp.ndarray velocity not None, double lr, double momentum, bint nesterov,
                    double weight_decay=0.0, double l1=0.0):
    """torch.optim.SGD with momentum (dampening 0), in place on `param` and `velocity`.

    d = grad + weight_decay * param + l1 * sign(param); velocity = momentum * velocity + d;
    param -= lr * (d + momentum * velocity if nesterov else velocity). `velocity` must start
    at zeros, which reproduces torch's first step (where its buffer is a copy of d).
    """
    cdef str fn = "momentum_update"
    _check_param(fn, param, grad)
    check_like(fn, "velocity", velocity, "param", param, True)
    cdef Call c = call_on(MOMENTUM, param, grad, velocity)
    c.s[0], c.s[1], c.s[2], c.s[3] = lr, momentum, weight_decay, l1
    c.flag = nesterov
    run(_dispatch, &c)


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
    _check_param(fn, param, grad)
    check_like(fn, "m", m, "param", param, True)
    check_like(fn, "v", v, "param", param, True)
    cdef double k = <long long>step
    cdef double step_size = lr / (1 - pow(beta1, k))
    cdef double bc2_sqrt = sqrt(1 - pow(beta2, k))
    cdef double step_scale = step_size * bc2_sqrt, eps_scaled = eps * bc2_sqrt
    cdef Call c = call_on(ADAM, param, grad, m, v)
    c.s[0], c.s[1], c.s[2], c.s[3] = beta1, beta2, step_scale, eps_scaled
    c.s[4], c.s[5] = weight_decay, l1
    run(_dispatch, &c)


def rmsprop_update(cnp.ndarray param not None, cnp.ndarray grad not None,
                   cnp.ndarray sq not None, double lr, double alpha, double eps,
                   double weight_decay=0.0, double l1=0.0):
    """torch.optim.RMSprop without momentum or centering, in place on `param` and `sq`.

    d = grad + weight_decay * param + l1 * sign(param); sq = alpha sq + (1 - alpha) d^2;
    param -= lr * d / (sqrt(sq) + eps). `sq` starts at zeros.
    """
    cdef str fn = "rmsprop_update"
    _check_param(fn, param, grad)
    check_like(fn, "sq", sq, "param", param, True)
    cdef Call c = call_on(RMSPROP, param, grad, sq)
    c.s[0], c.s[1], c.s[2], c.s[3], c.s[4] = lr, alpha, eps, weight_decay, l1
    run(_dispatch, &c)

# cython: language_level=3
"""What every Cython module of neuralviz._native shares: argument checks, the conditional GIL
release and the one way a module calls its float32 or float64 kernels (Call, run); the contract
they enforce is in neuralviz/_native/__init__.py.

Cheap checks on the fast path; error messages are only formatted on failure.
"""

cimport numpy as cnp

cdef extern from "Python.h":
    ctypedef struct PyThreadState:
        pass
    PyThreadState* PyEval_SaveThread() nogil
    void PyEval_RestoreThread(PyThreadState*) nogil

# Below this many elements a loop keeps the GIL. 16k elements take ~4 us of relu and ~25 us of
# tanh here, far longer than the ~0.1 us a release/reacquire costs; for a 10x8 array the release
# costs more than the loop, and handing the GIL to a busy GUI thread can stall the caller for a
# whole switch interval (5 ms).
cdef enum:
    NOGIL_MIN_WORK = 16384


cdef inline tuple shape_of(cnp.ndarray a):
    return (<object>a).shape          # the typed attribute is the C-level npy_intp*


cdef inline bint well_laid_out(cnp.ndarray a) noexcept:
    return (cnp.PyArray_IS_C_CONTIGUOUS(a) and cnp.PyArray_ISALIGNED(a)
            and cnp.PyArray_ISNOTSWAPPED(a))


cdef inline int check_layout(str fn, str name, cnp.ndarray a) except -1:
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError(f"{fn}: {name} must be C-contiguous (use np.ascontiguousarray), "
                         f"got strides {(<object>a).strides} for shape {shape_of(a)}")
    if not cnp.PyArray_ISALIGNED(a):
        raise ValueError(f"{fn}: {name} is not aligned to its {a.dtype} item size")
    if not cnp.PyArray_ISNOTSWAPPED(a):
        raise ValueError(f"{fn}: {name} has non-native byte order ({a.dtype.str})")
    return 0


cdef inline int float_type(str fn, str name, cnp.ndarray a) except -1:
    """Return the numpy type number of `a`, checking it is a well laid out float32/float64."""
    cdef int t = cnp.PyArray_TYPE(a)
    if t != cnp.NPY_FLOAT and t != cnp.NPY_DOUBLE:
        raise TypeError(f"{fn}: {name} must be float32 or float64, got {a.dtype}")
    if not well_laid_out(a):
        check_layout(fn, name, a)
    return t


cdef inline int check_like(str fn, str name, cnp.ndarray a, str ref_name, cnp.ndarray ref,
                           bint writable) except -1:
    """Check that `a` has exactly the dtype and shape of `ref` (and can be written to)."""
    if cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(ref):
        raise TypeError(f"{fn}: {name} has dtype {a.dtype} but {ref_name} has dtype "
                        f"{ref.dtype}; the dtypes must match (nothing is cast)")
    if not cnp.PyArray_SAMESHAPE(a, ref):
        raise ValueError(f"{fn}: {name} has shape {shape_of(a)} but {ref_name} has shape "
                         f"{shape_of(ref)}; they must be equal")
    if not well_laid_out(a):
        check_layout(fn, name, a)
    if writable and not cnp.PyArray_ISWRITEABLE(a):
        raise ValueError(f"{fn}: {name} is read-only")
    return 0


cdef inline cnp.ndarray output_like(str fn, str name, object out, str ref_name, cnp.ndarray ref):
    """`out` checked as a writable twin of `ref`, or a new uninitialised one if it is None."""
    if out is None:
        return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(ref), cnp.PyArray_DIMS(ref),
                                 cnp.PyArray_TYPE(ref), 0)
    if not isinstance(out, cnp.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy array or None, got {type(out).__name__}")
    check_like(fn, name, <cnp.ndarray>out, ref_name, ref, True)
    return <cnp.ndarray>out


# Conditional GIL release. Between the two calls only `noexcept nogil` kernels may run, on
# pointers taken beforehand; the arrays stay alive because the caller holds references.

cdef inline PyThreadState* release_gil_if_long(Py_ssize_t work) noexcept:
    if work >= NOGIL_MIN_WORK:
        return PyEval_SaveThread()
    return NULL


cdef inline void reacquire_gil(PyThreadState* state) noexcept:
    if state != NULL:
        PyEval_RestoreThread(state)


# One kernel call on arrays of a single float dtype. A module checks its arguments, fills a Call
# (call_on) and hands it to run() with its one dispatcher, which picks the float32 or float64
# specialisation of the kernel named by `op`: the float/double choice is written once per
# module instead of once per function (losses, updates). activations, whose kernels are short
# loops where a few nanoseconds show, passes its op as an argument instead (its _run).

cdef struct Call:
    int op             # which kernel of the module
    bint single        # float32 (else float64)
    bint flag          # a yes/no option of the kernel (Nesterov momentum)
    Py_ssize_t n       # elements of a[0]: the work that decides the GIL release
    Py_ssize_t rows    # row count, for kernels on 2-D arrays
    void* a[4]         # data pointers (NULL where absent), a[0] has the call's dtype
    double s[6]        # scalars, in float64; a kernel rounds each once to the dtype
    double result      # what the kernel returns (a loss sum)

ctypedef void (*Dispatch)(Call*) noexcept nogil


cdef inline void* data_or_null(object a) noexcept:
    return cnp.PyArray_DATA(<cnp.ndarray>a) if a is not None else NULL


cdef inline Call call_on(int op, cnp.ndarray a0, object a1=None, object a2=None,
                         object a3=None) noexcept:
    """A Call of kernel `op` on a0 (whose dtype and size it takes) and the optional arrays a1..a3."""
    cdef Call c             # c.s is left for the caller to fill: only the kernel's own scalars
    c.op = op
    c.single = cnp.PyArray_TYPE(a0) == cnp.NPY_FLOAT
    c.flag = False
    c.n = cnp.PyArray_SIZE(a0)
    c.rows = 0
    c.result = 0
    c.a[0] = cnp.PyArray_DATA(a0)
    c.a[1] = data_or_null(a1)
    c.a[2] = data_or_null(a2)
    c.a[3] = data_or_null(a3)
    return c


cdef inline double run(Dispatch dispatch, Call* c) noexcept:
    """dispatch(c), without the GIL for long arrays; returns c.result."""
    cdef PyThreadState* gil = release_gil_if_long(c.n)
    dispatch(c)
    reacquire_gil(gil)
    return c.result

# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=True
"""Colour mapping of value arrays through a 256-entry RGBA table, in one pass: the engine's
heat-maps (neuralviz.viz.colour is the public face; the app draws with it).

The contract shared by every module of neuralviz._native is in its package docstring; here
the table and image are uint8.
"""

cimport numpy as cnp
from cython cimport floating
from libc.math cimport isfinite
from libc.stdint cimport uint8_t
from libc.string cimport memcpy, memset

import numpy as np

from neuralviz._native._checks cimport (PyThreadState, check_layout, float_type, reacquire_gil,
                                        release_gil_if_long, shape_of, well_laid_out)

cnp.import_array()


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
    cdef int t = float_type(fn, "values", values)
    if cnp.PyArray_NDIM(values) != 2:
        raise ValueError(f"{fn}: values must be 2-D (H, W), got shape {shape_of(values)}")
    if cnp.PyArray_TYPE(lut) != cnp.NPY_UINT8:
        raise TypeError(f"{fn}: lut must be uint8, got {lut.dtype}")
    if (cnp.PyArray_NDIM(lut) != 2 or cnp.PyArray_DIMS(lut)[0] != 256
            or cnp.PyArray_DIMS(lut)[1] != 4):
        raise ValueError(f"{fn}: lut must have shape (256, 4), got {shape_of(lut)}")
    if not well_laid_out(lut):
        check_layout(fn, "lut", lut)
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
                         f"{shape_of(values)}, got {shape_of(rgba)}")
    if not well_laid_out(rgba):
        check_layout(fn, "out", rgba)
    if not cnp.PyArray_ISWRITEABLE(rgba):
        raise ValueError(f"{fn}: out is read-only")
    cdef Py_ssize_t n = h * w
    cdef void* pv = cnp.PyArray_DATA(values)
    cdef const uint8_t* plut = <const uint8_t*>cnp.PyArray_DATA(lut)
    cdef uint8_t* po = <uint8_t*>cnp.PyArray_DATA(rgba)
    cdef PyThreadState* gil = release_gil_if_long(n)
    if t == cnp.NPY_FLOAT:
        _colormap(<float*>pv, n, plut, vmin, vmax, po)
    else:
        _colormap(<double*>pv, n, plut, vmin, vmax, po)
    reacquire_gil(gil)
    return rgba

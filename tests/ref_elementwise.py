"""Shared helpers of the elementwise-kernel tests (activations, losses, updates): random inputs,
the dtype tolerances and the float64 sigmoid reference.

References are computed in float64 (longdouble where an ulp-level claim is checked) from the
same inputs, so float32 results are compared with a tolerance of a few ulp.
"""

import numpy as np

DTYPES = [np.float32, np.float64]
# (rtol, atol) against a float64 reference: a few ulp of the dtype
TOL = {np.float32: (1e-6, 1e-7), np.float64: (1e-14, 1e-15)}


def rand(shape, dtype=np.float64, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def away_from_zero(shape, dtype, seed=0):
    """Random values with |x| >= 0.1: no finite-difference step crosses a kink at 0."""
    x = rand(shape, np.float64, seed)
    return (np.sign(x) * (0.1 + np.abs(x))).astype(dtype)


def assert_close(ours, ref, dtype, what=""):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, err_msg=what)


def ref_sigmoid(x):
    x = np.asarray(x, np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

"""Package-level API: version, backends, threads, instruction-set control."""

import numpy as np
import pytest

import neuralviz as nv


def test_version_and_backends():
    assert isinstance(nv.__version__, str) and nv.__version__.count(".") == 2
    assert nv.backends()[0] == "cpu"
    assert set(nv.backends()) <= {"cpu", "cuda"}


def test_set_num_threads_roundtrip():
    assert nv.get_num_threads() == 1  # the default: the app shares cores with its GUI
    nv.set_num_threads(2)
    try:
        assert nv.get_num_threads() == 2
        a = np.random.default_rng(0).standard_normal((300, 200))
        np.testing.assert_allclose(nv.ops.matmul(a, a.T.copy()), a @ a.T, rtol=1e-12, atol=1e-10)
    finally:
        nv.set_num_threads(1)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="set_num_threads"):
        nv.set_num_threads(bad)


def test_set_backend_validates():
    with pytest.raises(ValueError, match="unknown backend"):
        nv.set_backend("tpu")
    if "cuda" not in nv.backends():
        with pytest.raises(RuntimeError, match="cuda"):
            nv.set_backend("cuda")
    nv.set_backend("cpu")
    assert nv.get_backend() == "cpu"


def test_isa_control():
    isas = nv._C.available_isas()
    assert isas[0] == "generic"
    assert nv._C.get_isa() == isas[-1]
    with pytest.raises(ValueError, match="unknown instruction set"):
        nv._C.set_isa("sse9")


def test_kernels_refuse_implicit_conversion():
    """The raw binding never casts: float64 must not be downcast silently."""
    a = np.ones((2, 2), np.float32)
    with pytest.raises(TypeError):
        nv._C.matmul(a, a.astype(np.float64), False, False)
    with pytest.raises(TypeError):
        nv._C.matmul(a, np.asfortranarray(np.ones((2, 3), np.float32)), False, False)

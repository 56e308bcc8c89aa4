"""neuralviz.viz.colormap_rgba (the engine's heat-map colour mapping, neuralviz._native.colour)
against a numpy reference; plus its input validation.
"""

import numpy as np
import pytest
from ref_elementwise import DTYPES

from neuralviz import viz as F


def ref_colormap(values, lut, vmin, vmax):
    v = values.astype(np.float64)
    with np.errstate(all="ignore"):
        f = (v - vmin) * (256.0 / (vmax - vmin) if vmax > vmin else 0.0)
        idx = np.clip(np.nan_to_num(np.floor(f), nan=0.0, posinf=255, neginf=0), 0, 255).astype(np.intp)
    out = lut[idx]
    out[np.isnan(v)] = 0
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (130, 131)])
def test_colormap_matches_numpy(dtype, shape):
    rng = np.random.default_rng(50)
    lut = rng.integers(0, 256, (256, 4), dtype=np.uint8)
    values = rng.uniform(-1.5, 2.5, shape).astype(dtype)
    flat = values.reshape(-1)
    flat[:6] = [np.nan, np.inf, -np.inf, -1.0, 2.0, 0.5][: flat.size]
    out = np.full(shape + (4,), 7, np.uint8)
    assert F.colormap_rgba(values, lut, -1.0, 2.0, out) is out
    np.testing.assert_array_equal(out, ref_colormap(values, lut, -1.0, 2.0))
    np.testing.assert_array_equal(
        F.colormap_rgba(values, lut, 0.5, 0.5), ref_colormap(values, lut, 0.5, 0.5)
    )  # vmin == vmax: row 0


def test_colormap_ends_and_nan():
    lut = np.arange(256 * 4, dtype=np.int64).reshape(256, 4).astype(np.uint8)
    lut[:, 0] = np.arange(256)
    v = np.array([[0.0, 1.0, 0.5, np.nan, -3.0, 9.0, 1 / 256 - 1e-12, 1 / 256]])
    out = F.colormap_rgba(v, lut, 0.0, 1.0)
    np.testing.assert_array_equal(out[0, :, 0], [0, 255, 128, 0, 0, 255, 0, 1])
    np.testing.assert_array_equal(out[0, 3], [0, 0, 0, 0])  # NaN: transparent


# ---------------------------------------------------------------------------------------------
# Bad input is reported, never silently cast, never a crash
# ---------------------------------------------------------------------------------------------


def test_wrong_dtypes_raise_type_error():
    with pytest.raises(TypeError, match="lut must be uint8, got float64"):
        F.colormap_rgba(np.zeros((2, 2)), np.zeros((256, 4)), 0, 1)
    with pytest.raises(TypeError, match="out must be uint8, got float32"):
        F.colormap_rgba(np.zeros((2, 2)), np.zeros((256, 4), np.uint8), 0, 1, np.zeros((2, 2, 4), np.float32))


def test_wrong_shapes_and_layouts_raise_value_error():
    a = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"lut must have shape \(256, 4\), got \(256, 3\)"):
        F.colormap_rgba(a, np.zeros((256, 3), np.uint8), 0, 1)
    with pytest.raises(ValueError, match="values must be 2-D"):
        F.colormap_rgba(np.zeros(3), np.zeros((256, 4), np.uint8), 0, 1)
    with pytest.raises(ValueError, match=r"out must have shape \(3, 4, 4\)"):
        F.colormap_rgba(a, np.zeros((256, 4), np.uint8), 0, 1, np.zeros((3, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="vmin <= vmax"):
        F.colormap_rgba(a, np.zeros((256, 4), np.uint8), 1, 0)
    with pytest.raises(ValueError, match="finite"):
        F.colormap_rgba(a, np.zeros((256, 4), np.uint8), 0, np.nan)

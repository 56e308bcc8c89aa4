"""neuralviz.texture: bundled textures, Gram matrices, the pixel gradient, L-BFGS and texture synthesis.

Small images and budgets keep this to seconds; the full default budget on every bundled texture is timed in
benchmarks/texture.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import neuralviz.texture as tex
from neuralviz.texture.features import FeatureSpec, RandomFilters, circular_conv, circular_conv_backward
from neuralviz.texture.ppm import read_ppm, write_ppm
from neuralviz.texture.procedural import make

SMALL = FeatureSpec(sizes=(3, 5), maps=6, seed=0)


def test_names_and_load():
    names = tex.names()
    assert len(names) >= 4 and "bricks" in names
    for name in names:
        image = tex.load(name)
        assert image.shape == (64, 64, 3) and image.dtype == np.float64
        assert 0.0 <= image.min() and image.max() <= 1.0 and np.ptp(image) > 0.2
    with pytest.raises(ValueError, match="no bundled texture 'nope'"):
        tex.load("nope")


def test_bundled_files_are_the_generators_output():
    """assets/textures/ is what procedural.py draws (rebuildable), up to 8-bit rounding (and a libm's last bits)."""
    for name in tex.names():
        assert np.max(np.abs(tex.load(name) - make(name))) <= 0.5 / 255 + 1e-6


def test_ppm_round_trip_and_errors(tmp_path):
    image = np.random.default_rng(0).random((5, 7, 3))
    back = read_ppm(write_ppm(tmp_path / "a.ppm", image))
    assert back.shape == (5, 7, 3) and np.max(np.abs(back - image)) <= 0.5 / 255 + 1e-12
    (tmp_path / "b.ppm").write_bytes(b"P5\n2 2\n255\n" + bytes(4))
    with pytest.raises(ValueError, match="not a binary PPM"):
        read_ppm(tmp_path / "b.ppm")
    (tmp_path / "c.ppm").write_bytes(b"P6\n# comment\n2 2\n255\n" + bytes(5))
    with pytest.raises(ValueError, match="12 expected"):
        read_ppm(tmp_path / "c.ppm")


def test_gram_against_plain_numpy():
    rng = np.random.default_rng(1)
    f = rng.standard_normal((5, 6, 7))
    flat = f.reshape(5, 42)
    expect = np.array([[np.mean(flat[i] * flat[j]) for j in range(5)] for i in range(5)])
    np.testing.assert_allclose(tex.gram(f), expect, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tex.gram(f[None]), expect, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tex.gram(f.astype(np.float32)), expect, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="batch of 2"):
        tex.gram(np.zeros((2, 3, 4, 4)))


def test_gram_loss_gradient_by_finite_differences():
    rng = np.random.default_rng(2)
    f, target = rng.standard_normal((4, 9)), tex.gram(rng.standard_normal((4, 9)))
    _, grad = tex.gram_loss(f, target)
    eps = 1e-6
    for idx in [(0, 0), (1, 4), (3, 8)]:
        up, down = f.copy(), f.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (tex.gram_loss(up, target)[0] - tex.gram_loss(down, target)[0]) / (2 * eps)
        assert abs(grad[idx] - numeric) <= 1e-7 + 1e-5 * abs(numeric)


def test_circular_conv_is_a_torus_and_its_adjoint():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3))
    y = circular_conv(x, w)
    # reference: each output pixel sums w over the wrapped neighbourhood
    ref = np.zeros_like(y)
    for o in range(3):
        for i in range(6):
            for j in range(5):
                for a in range(3):
                    for b in range(3):
                        ref[0, o, i, j] += w[o, :, a, b] @ x[0, :, (i + a - 1) % 6, (j + b - 1) % 5]
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(y.shape)  # <conv(x), g> == <x, conv_backward(g)>
    assert np.isclose(np.sum(y * g), np.sum(x * circular_conv_backward(g, w)), rtol=1e-10)


@pytest.mark.parametrize("relu", [True, False])
def test_pixel_gradient_against_float64_finite_differences(relu):
    source = np.random.default_rng(4).random((8, 8, 3))
    s = tex.Synthesis(source, seed=1, features=FeatureSpec((3, 5), 4, relu, 0), dtype=np.float64)
    x = s.optimizer.x.copy()
    x[:5] += 0.7  # a few pixels outside [0, 1]: the box penalty's gradient is checked too
    _, grad = s._objective(x)
    rng = np.random.default_rng(5)
    eps = 1e-6
    for i in rng.choice(x.size, 25, replace=False):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric = (s._objective(up)[0] - s._objective(down)[0]) / (2 * eps)
        assert abs(grad[i] - numeric) <= 1e-6 + 1e-4 * abs(numeric), (i, grad[i], numeric)


def test_lbfgs_on_a_quadratic_and_on_rosenbrock():
    a = np.diag([1.0, 10.0, 100.0])
    b = np.array([1.0, -2.0, 3.0])
    x, losses = tex.minimize(lambda x: (0.5 * x @ a @ x - b @ x, a @ x - b), np.zeros(3), steps=30)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-6, atol=1e-8)

    def rosenbrock(v):
        x, y = v
        r = y - x * x
        return (1 - x) ** 2 + 100 * r**2, np.array([-2 * (1 - x) - 400 * x * r, 200 * r])

    x, losses = tex.minimize(rosenbrock, np.array([-1.2, 1.0]), steps=200)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-4)
    assert all(b <= a for a, b in zip(losses, losses[1:]))  # Armijo: never uphill


def test_lbfgs_bad_input():
    with pytest.raises(ValueError, match="history"):
        tex.LBFGS(lambda x: (0.0, x), np.zeros(2), history=0)
    with pytest.raises(ValueError, match="non-empty vector"):
        tex.LBFGS(lambda x: (0.0, x), np.zeros((2, 2)))
    with pytest.raises(FloatingPointError, match="non-finite"):
        tex.LBFGS(lambda x: (np.nan, x), np.zeros(2))


def test_synthesis_is_deterministic_and_drops_90_percent():
    """A cheap version of the benchmark's claim: 32×32 crop, few small filters, 15 steps."""
    source = tex.load("cells")[:32, :32]
    a, losses = tex.synthesize(source, steps=15, seed=3, features=SMALL)
    b, again = tex.synthesize(source, steps=15, seed=3, features=SMALL)
    c, _ = tex.synthesize(source, steps=2, seed=4, features=SMALL)
    assert np.array_equal(a, b) and losses == again
    assert not np.array_equal(a[:4], c[:4])
    assert len(losses) == 16 and a.shape == (32, 32, 3) and 0.0 <= a.min() and a.max() <= 1.0
    assert losses[-1] <= 0.1 * losses[0]


def test_synthesis_object_and_callback():
    seen = []
    source = tex.load("dots")[:16, :16]
    image, losses = tex.synthesize(
        source.transpose(2, 0, 1), steps=3, features=SMALL, callback=lambda *a: seen.append((a[0], a[1].shape))
    )
    assert seen == [(1, (16, 16, 3)), (2, (16, 16, 3)), (3, (16, 16, 3))]
    s = tex.Synthesis(source, features=SMALL)
    assert s.step_count == 0 and len(s.targets) == 2 and s.targets[0].shape == (6, 6)
    s.step()
    assert s.step_count == 1 and [g.shape for g in s.grams()] == [(6, 6), (6, 6)] and s.drop > 0
    x = s.optimizer.x.reshape(s.shape)  # grams() reuses the last step's features: the same as a fresh forward
    for cached, fresh in zip(s.grams(), (tex.gram(f) for f in s.net.forward(x - s.mean))):
        np.testing.assert_array_equal(cached, fresh)


def test_linear_filters_match_only_second_order_statistics():
    """Both versions run, and both lower their own loss (the page shows the blotchy linear result)."""
    source = tex.load("bricks")[:16, :16]
    for relu in (True, False):
        _, losses = tex.synthesize(source, steps=5, features=FeatureSpec((3,), 4, relu, 0))
        assert losses[-1] < losses[0]


def test_bad_input_errors():
    with pytest.raises(ValueError, match="no bundled texture"):
        tex.synthesize("no-such-texture")
    with pytest.raises(TypeError, match="divide 8-bit by 255"):
        tex.synthesize(np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\(H, W, 3\) or \(3, H, W\)"):
        tex.synthesize(np.zeros((16, 16)))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        tex.synthesize(np.full((16, 16, 3), 2.0))
    with pytest.raises(ValueError, match="at least 8x8"):
        tex.synthesize(np.random.default_rng(0).random((4, 4, 3)))
    with pytest.raises(ValueError, match="flat colour"):
        tex.synthesize(np.full((16, 16, 3), 0.5))
    with pytest.raises(ValueError, match="steps must be an integer"):
        tex.synthesize("bricks", steps=-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        tex.synthesize("bricks", seed=1.5)
    with pytest.raises(ValueError, match="odd integers"):
        RandomFilters(FeatureSpec(sizes=(4,)))
    with pytest.raises(TypeError, match="bundled name or a numpy image"):
        tex.synthesize([[0.0]])

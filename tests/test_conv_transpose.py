"""conv_transpose2d: the kernels (forward and the three gradients) against a numpy scatter-add
reference and float64 finite differences on every instruction set, PyTorch (when installed),
bad arguments, and the layer (spec round trip, gradients, init, a small net that learns)."""

import gradcheck
import numpy as np
import pytest
from gil_probe import ticks_inside

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError


# ------------------------------------------------------------------ numpy reference
def pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def out_hw(h, w, kh, kw, stride, padding, output_padding, dilation):
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(pair, (stride, padding, output_padding, dilation))
    return (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1


def _taps(x_shape, w_shape, stride, padding, output_padding, dilation):
    """The uncropped output canvas size and, per tap, the canvas slices input pixel (i, j) lands on:
    canvas row i*s + kh*d, kept rows p .. p + OH - 1 (output row = canvas row - p)."""
    _, _, h, w = x_shape
    _, _, kh, kw = w_shape
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    oh, ow = out_hw(h, w, kh, kw, stride, padding, output_padding, dilation)
    canvas = (max(ph + oh, (h - 1) * sh + dh * (kh - 1) + 1), max(pw + ow, (w - 1) * sw + dw * (kw - 1) + 1))
    taps = [
        (i, j, slice(i * dh, i * dh + (h - 1) * sh + 1, sh), slice(j * dw, j * dw + (w - 1) * sw + 1, sw))
        for i in range(kh)
        for j in range(kw)
    ]
    return canvas, taps, (slice(ph, ph + oh), slice(pw, pw + ow))


def ref_forward(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """y = crop(sum over taps of x scattered at stride s, offset tap*d, times w[:, :, tap]) + b (float64)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    canvas, taps, keep = _taps(x.shape, w.shape, stride, padding, output_padding, dilation)
    full = np.zeros((x.shape[0], w.shape[1], *canvas))
    for i, j, rows, cols in taps:
        full[:, :, rows, cols] += np.einsum("nchw,co->nohw", x, w[:, :, i, j])
    y = full[:, :, keep[0], keep[1]]
    return y if b is None else y + np.asarray(b, np.float64)[None, :, None, None]


def ref_backward(x, w, gy, stride=1, padding=0, output_padding=0, dilation=1):
    """(grad_x, grad_w, grad_b) of sum(gy * conv_transpose2d(x, w, b)), by the same tap slices."""
    x, w, gy = (np.asarray(a, np.float64) for a in (x, w, gy))
    canvas, taps, keep = _taps(x.shape, w.shape, stride, padding, output_padding, dilation)
    full = np.zeros((x.shape[0], w.shape[1], *canvas))
    full[:, :, keep[0], keep[1]] = gy
    gx, gw = np.zeros(x.shape), np.zeros(w.shape)
    for i, j, rows, cols in taps:
        gx += np.einsum("nohw,co->nchw", full[:, :, rows, cols], w[:, :, i, j])
        gw[:, :, i, j] = np.einsum("nchw,nohw->co", x, full[:, :, rows, cols])
    return gx, gw, gy.sum(axis=(0, 2, 3))


# ------------------------------------------------------------------ kernels
# (N, C_in, H, W, C_out, kH, kW, stride, padding, output_padding, dilation)
GEOMETRIES = [
    (2, 3, 5, 6, 4, 3, 3, 1, 0, 0, 1),  # stride 1: the direct conv kernels
    (2, 3, 5, 6, 4, 3, 3, 1, 1, 0, 1),  # stride 1, padding trims the border
    (2, 4, 7, 7, 3, 4, 4, 2, 1, 0, 1),  # DCGAN's k4 s2 p1: 7x7 -> 14x14
    (2, 3, 4, 5, 2, 3, 3, 2, 1, 1, 1),  # output_padding 1 under stride 2
    (2, 2, 4, 3, 3, 3, 3, 3, 1, 2, 1),  # stride 3, output_padding 2
    (1, 2, 5, 4, 3, 3, 2, (2, 3), (1, 0), (1, 2), 1),  # non-square everything, batch 1
    (2, 2, 4, 5, 3, 3, 3, 1, 1, 0, 2),  # dilation
    (2, 2, 4, 4, 2, 3, 3, 1, 2, 1, 3),  # output_padding >= stride (allowed below dilation)
    (2, 3, 4, 6, 2, 2, 3, (2, 1), (0, 1), (1, 0), (1, 2)),  # mixed pairs
    (2, 5, 6, 7, 4, 1, 1, 1, 0, 0, 1),  # 1x1: a per-pixel matrix product
    (2, 3, 3, 4, 2, 1, 1, 2, 0, 1, 1),  # 1x1 with stride: zeros between the pixels
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1),  # everything 1
    (1, 2, 1, 1, 3, 3, 3, 5, 0, 0, 1),  # one pixel: the stride never applies
    (2, 1, 9, 17, 1, 5, 5, 1, 2, 0, 1),  # one channel in and out, wide rows
    (1, 32, 3, 3, 64, 3, 3, 1, 1, 0, 1),  # large patch and C_out: im2col + GEMM paths
    (2, 2, 3, 4, 3, 3, 2, 2, 1, 2, 3),  # strided (batched GEMMs) with output_padding >= stride
    (6, 2, 16, 16, 3, 3, 3, 2, 1, 1, 1),  # 256 pixels per image: chunks of 4 images, the last partial
]
IDS = ["x".join(map(str, g[:7])) + f"-s{g[7]}-p{g[8]}-op{g[9]}-d{g[10]}".replace(" ", "") for g in GEOMETRIES]
DTYPES = [np.float32, np.float64]


def make(geom, dtype, seed=0):
    n, c, h, w, oc, kh, kw, stride, padding, output_padding, dilation = geom
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((c, oc, kh, kw)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    geo = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    oh, ow = out_hw(h, w, kh, kw, **geo)
    gy = rng.standard_normal((n, oc, oh, ow)).astype(dtype)
    return x, wt, b, gy, geo


def assert_close(ours, ref, dtype, terms):
    """Elementwise, with an absolute slack growing like the sqrt of the summed terms."""
    assert ours.dtype == dtype and ours.shape == ref.shape
    if dtype == np.float32:
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=2e-5 * np.sqrt(terms))
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12 * np.sqrt(terms))


def test_reference_is_the_adjoint_of_conv2d():
    """<conv_transpose2d(x), y> = <x, conv2d(y)>: the reference itself is the transpose, checked
    against the engine's conv2d (tested on its own in test_conv.py)."""
    x, w, _, gy, geo = make(GEOMETRIES[3], np.float64)
    conv = nv.ops.conv2d(gy, w, stride=geo["stride"], padding=geo["padding"], dilation=geo["dilation"])
    assert np.isclose(np.sum(ref_forward(x, w, **geo) * gy), np.sum(x * conv), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES, ids=IDS)
def test_forward_matches_reference(isa, geom, dtype):
    x, w, b, _, geo = make(geom, dtype)
    terms = w.shape[0] * w.shape[2] * w.shape[3]
    assert_close(nv.ops.conv_transpose2d(x, w, b, **geo), ref_forward(x, w, b, **geo), dtype, terms)
    assert_close(nv.ops.conv_transpose2d(x, w, **geo), ref_forward(x, w, **geo), dtype, terms)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES, ids=IDS)
def test_backward_matches_reference(isa, geom, dtype):
    x, w, _, gy, geo = make(geom, dtype)
    gx, gw, gb = nv.ops.conv_transpose2d_backward(x, w, gy, **geo)
    rx, rw, rb = ref_backward(x, w, gy, **geo)
    assert_close(gx, rx, dtype, w.shape[1] * w.shape[2] * w.shape[3])
    assert_close(gw, rw, dtype, x.shape[0] * x.shape[2] * x.shape[3])
    assert_close(gb, rb, dtype, gy[:, 0].size)


def test_backward_can_skip_grad_x():
    x, w, _, gy, geo = make(GEOMETRIES[2], np.float64)
    gx, gw, gb = nv.ops.conv_transpose2d_backward(x, w, gy, need_grad_x=False, **geo)
    _, rw, rb = ref_backward(x, w, gy, **geo)
    assert gx is None
    assert_close(gw, rw, np.float64, 100)
    assert_close(gb, rb, np.float64, 100)


def test_output_shape_formula():
    assert nv.ops.conv_transpose2d_output_shape((64, 128, 7, 7), (128, 64, 4, 4), 2, 1) == (64, 64, 14, 14)
    assert nv.ops.conv_transpose2d_output_shape((1, 2, 5, 4), (2, 3, 3, 2), (2, 3), (1, 0), (1, 2)) == (1, 3, 10, 13)
    x, w, _, _, geo = make(GEOMETRIES[7], np.float64)
    assert nv.ops.conv_transpose2d(x, w, **geo).shape == nv.ops.conv_transpose2d_output_shape(x.shape, w.shape, **geo)


def numeric_grad(f, a, eps=1e-6):
    """Central differences of the scalar f() with respect to every element of a (in place)."""
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        up = f()
        a[i] = old - eps
        down = f()
        a[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


FD_GEOMETRIES = [
    (2, 2, 3, 3, 2, 3, 3, 1, 1, 0, 1),  # stride 1 (direct kernels)
    (1, 2, 3, 2, 2, 4, 3, 2, 1, 1, 1),  # strided (im2col + col2im), output_padding
    (1, 2, 3, 3, 1, 2, 2, 1, 1, 1, 2),  # output_padding >= stride: the extended x
    (1, 2, 2, 3, 2, 2, 3, 2, 0, 2, 3),  # ... strided
]


@pytest.mark.parametrize("geom", FD_GEOMETRIES)
def test_backward_matches_finite_differences(isa, geom):
    x, w, b, gy, geo = make(geom, np.float64, seed=1)

    def loss():
        return float(np.sum(gy * nv.ops.conv_transpose2d(x, w, b, **geo)))

    gx, gw, gb = nv.ops.conv_transpose2d_backward(x, w, gy, **geo)
    for ours, wrt in ((gx, x), (gw, w), (gb, b)):
        np.testing.assert_allclose(ours, numeric_grad(loss, wrt), rtol=1e-3, atol=1e-5)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 5, 3)).transpose(0, 3, 2, 1)[:, :, :, ::2]  # (2, 3, 5, 4)
    w = np.asfortranarray(rng.standard_normal((3, 2, 3, 3)))
    b = rng.standard_normal(4)[::2]
    geo = dict(stride=2, padding=1, output_padding=1, dilation=1)
    gy = np.swapaxes(rng.standard_normal((2, 2, 8, 10)), 2, 3)  # (2, 2, 10, 8): the output
    assert not x.flags.c_contiguous and not w.flags.c_contiguous and not gy.flags.c_contiguous
    assert_close(nv.ops.conv_transpose2d(x, w, b, **geo), ref_forward(x, w, b, **geo), np.float64, 20)
    for ours, ref in zip(nv.ops.conv_transpose2d_backward(x, w, gy, **geo), ref_backward(x, w, gy, **geo)):
        assert_close(ours, ref, np.float64, 100)


@pytest.mark.parametrize("stride", [1, 2])
def test_threads_give_the_same_result(stride):
    x, w, b, gy, geo = make((8, 4, 9, 9, 6, 4, 4, stride, 1, 0, 1), np.float64, seed=4)
    before = nv._C.get_num_threads()
    try:
        nv.set_num_threads(1)
        one = [nv.ops.conv_transpose2d(x, w, b, **geo), *nv.ops.conv_transpose2d_backward(x, w, gy, **geo)]
        nv.set_num_threads(2)
        two = [nv.ops.conv_transpose2d(x, w, b, **geo), *nv.ops.conv_transpose2d_backward(x, w, gy, **geo)]
    finally:
        nv.set_num_threads(before)
    for a, c in zip(one, two):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_empty_batch_through_the_kernels():
    """The layers pass a batch of 0 straight to the kernels (nv.ops refuses empty arrays)."""
    x, w, b, gy, geo = make(GEOMETRIES[3], np.float64)
    flat = (2, 2, 1, 1, 1, 1, 1, 1)  # stride, padding, output_padding, dilation as pairs
    y = nv._C.conv_transpose2d(x[:0], w, b, *flat)
    assert y.shape == (0, 2, 8, 10)
    gx, gw, gb = nv._C.conv_transpose2d_backward(x[:0], w, gy[:0], *flat)
    assert gx.shape == (0, *x.shape[1:]) and not gw.any() and not gb.any()


# ------------------------------------------------------------------ PyTorch
TORCH_GEOMETRIES = [GEOMETRIES[i] for i in (0, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 16)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", TORCH_GEOMETRIES)
def test_matches_torch(geom, dtype):
    torch = pytest.importorskip("torch")
    x, w, b, gy, geo = make(geom, dtype, seed=2)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, **geo)
    ty.backward(torch.tensor(gy))
    terms = w.shape[0] * w.shape[2] * w.shape[3]
    assert_close(nv.ops.conv_transpose2d(x, w, b, **geo), ty.detach().numpy().astype(np.float64), dtype, terms)
    for ours, ref in zip(nv.ops.conv_transpose2d_backward(x, w, gy, **geo), (tx.grad, tw.grad, tb.grad)):
        assert_close(ours, ref.numpy().astype(np.float64), dtype, gy[:, 0].size * terms)


# ------------------------------------------------------------------ bad inputs
def _ok():
    rng = np.random.default_rng(5)
    return rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((3, 5, 3, 3))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda x, w: nv.ops.conv_transpose2d(x, w[:2]), ValueError, "x has 3 channels but w expects 2"),
        (lambda x, w: nv.ops.conv_transpose2d(x[0], w), ValueError, "x must be 4-D"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w[0]), ValueError, "w must be 4-D"),
        (lambda x, w: nv.ops.conv_transpose2d(x[:, :, :0], w), ValueError, "zero-size"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, stride=0), ValueError, "stride"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, padding=-1), ValueError, "padding"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, dilation=0), ValueError, "dilation"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, output_padding=-1), ValueError, "output_padding"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, stride=2, output_padding=2), ValueError, "output_padding"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, output_padding=(0, 1)), ValueError, "smaller than either"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, stride=(1, 2, 3)), TypeError, "stride"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, padding=4), ValueError, "output size -2 along axis 2"),
        (lambda x, w: nv.ops.conv_transpose2d(x.astype(np.int64), w), TypeError, "x"),
        (lambda x, w: nv.ops.conv_transpose2d(x.astype(np.float32), w), TypeError, "dtype"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, np.zeros(3)), ValueError, "b has 3 entries"),
        (lambda x, w: nv.ops.conv_transpose2d(x, w, np.zeros(5, np.float32)), TypeError, "b"),
        (lambda x, w: nv.ops.conv_transpose2d_backward(x, w, np.zeros((2, 5, 5, 6))), ValueError, "grad_y"),
        (lambda x, w: nv.ops.conv_transpose2d_backward(x, w, np.zeros((2, 5, 6, 6), np.float32)), TypeError, "grad_y"),
        (lambda x, w: nv.ops.conv_transpose2d_backward(x, w[:1], np.zeros((2, 5, 6, 6))), ValueError, "channels"),
    ],
)
def test_bad_inputs_raise(call, exc, match):
    x, w = _ok()
    with pytest.raises(exc, match=match):
        call(x, w)


def test_kernel_rechecks_geometry():
    """The compiled entry points check what the kernels rely on, for direct callers."""
    x, w = _ok()
    with pytest.raises(ValueError, match="stride"):
        nv._C.conv_transpose2d(x, w, None, 0, 1, 0, 0, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="output_padding"):
        nv._C.conv_transpose2d(x, w, None, 2, 2, 0, 0, 2, 0, 1, 1)
    with pytest.raises(ValueError, match="not positive"):
        nv._C.conv_transpose2d(x, w, None, 1, 1, 9, 0, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="channels"):
        nv._C.conv_transpose2d(x, w[:1], None, 1, 1, 0, 0, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="overflows"):
        nv._C.conv_transpose2d(x, w, None, 2**62, 1, 0, 0, 0, 0, 1, 1)


# ------------------------------------------------------------------ the layer
def test_layer_matches_the_kernel_and_torch_init_bound():
    layer = LAYER_TYPES["conv_transpose2d"](
        "up", {"channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, [(6, 7, 7)], np.float64,
        np.random.default_rng(0),
    )  # fmt: skip
    assert layer.output_shape == (4, 14, 14)
    assert layer.weight.value.shape == (6, 4, 4, 4) and layer.bias.value.shape == (4,)
    bound = 1 / np.sqrt(4 * 4 * 4)  # PyTorch: fan_in of a (C_in, C_out, kH, kW) weight is C_out*kH*kW
    assert np.abs(layer.weight.value).max() <= bound and np.abs(layer.weight.value).max() > 0.8 * bound
    assert np.abs(layer.bias.value).max() <= bound
    x = np.random.default_rng(1).standard_normal((3, 6, 7, 7))
    y = layer.forward([x], False)
    assert_close(y, ref_forward(x, layer.weight.value, layer.bias.value, 2, 1), np.float64, 100)
    assert layer.flops() == 2 * 6 * 4 * 4 * 4 * 7 * 7


LAYER_SPECS = [
    {"channels": 2, "kernel_size": 3},
    {"channels": 3, "kernel_size": 4, "stride": 2, "padding": 1},
    {"channels": 2, "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0], "output_padding": [1, 0]},
    {"channels": 1, "kernel_size": 3, "dilation": 2, "output_padding": 1, "bias": False},
]


@pytest.mark.parametrize("config", LAYER_SPECS, ids=str)
def test_layer_gradients_in_a_network(config):
    spec = {
        "input_shape": [2, 3, 4],
        "layers": [{"id": "up", "type": "conv_transpose2d", **config}, {"id": "act", "type": "tanh"}],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    x = np.random.default_rng(2).standard_normal((2, 2, 3, 4))
    gradcheck.check_network_gradients(net, x, what=str(config))


def test_layer_spec_round_trip_and_save(tmp_path):
    spec = {
        "input_shape": [3, 4, 4],
        "layers": [
            {"id": "up", "type": "conv_transpose2d", "channels": 2, "kernel_size": 4, "stride": 2, "padding": 1},
            {"id": "big", "type": "upsample", "scale": [1, 2]},
        ],
    }
    net = nv.Network.from_spec(spec, seed=3)
    again = nv.Network.from_spec(net.to_spec(), seed=3)
    assert again.to_spec() == net.to_spec()
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(net.forward(x), again.forward(x))
    assert net.forward(x).shape == (2, 2, 8, 16)
    nv.save(net, tmp_path / "up.npz")
    np.testing.assert_array_equal(nv.load(tmp_path / "up.npz").forward(x), net.forward(x))


@pytest.mark.parametrize(
    "config, input_shape, match",
    [
        ({"channels": 2, "kernel_size": 3}, [4], "image input"),
        ({"channels": 2, "kernel_size": 3, "stride": 2, "output_padding": 2}, [1, 4, 4], "output_padding"),
        ({"channels": 2, "kernel_size": 3, "padding": 4}, [1, 4, 4], "is empty"),
        ({"channels": 0, "kernel_size": 3}, [1, 4, 4], "'channels'"),
        ({"kernel_size": 3}, [1, 4, 4], "'channels'"),
        ({"channels": 2, "kernel_size": 3, "groups": 2}, [1, 4, 4], "unknown parameter"),
    ],
)
def test_layer_rejects_bad_specs(config, input_shape, match):
    spec = {"input_shape": input_shape, "layers": [{"id": "up", "type": "conv_transpose2d", **config}]}
    with pytest.raises(SpecError, match=match):
        nv.Network.from_spec(spec)


def test_a_small_decoder_learns():
    """A code vector grown into 8x8 images by two transposed convolutions fits its targets."""
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((16, 4, 2, 2)).astype(np.float32)
    targets = rng.uniform(0, 1, (16, 1, 8, 8)).astype(np.float32)
    spec = {
        "input_shape": [4, 2, 2],
        "layers": [
            {"id": "up1", "type": "conv_transpose2d", "channels": 8, "kernel_size": 4, "stride": 2, "padding": 1},
            {"id": "r1", "type": "relu"},
            {"id": "up2", "type": "conv_transpose2d", "channels": 1, "kernel_size": 4, "stride": 2, "padding": 1},
            {"id": "out", "type": "sigmoid"},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0)
    trainer = nv.Trainer(net, "mse", nv.optim.make("adam", net, lr=0.02), seed=0)
    losses = [trainer.step(codes, targets) for _ in range(150)]
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])


@pytest.mark.parametrize(
    "geometry, match",
    [
        ((2**62, 2**62, 0, 0, 0, 0, 1, 1), "overflows 64-bit arithmetic"),  # stride
        ((1, 1, 0, 0, 0, 0, 2**62, 2**62), "overflows 64-bit arithmetic"),  # dilation
        ((1, 1, 2**62, 2**62, 0, 0, 1, 1), "overflows 64-bit arithmetic"),  # padding
        ((1, 1, 0, 0, 0, 0, 2**31, 2**31), "padded output plane"),  # each side fits, the plane does not
        ((2**20, 2**20, 0, 0, 0, 0, 1, 1), "memory"),  # a 7-terapixel output
    ],
)
def test_huge_geometry_is_refused_before_anything_is_allocated(geometry, match):
    x, w = np.ones((1, 1, 8, 8), np.float32), np.ones((1, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match=match):
        nv._C.conv_transpose2d(x, w, None, *geometry)


def test_kernels_release_the_gil():
    """The app trains a generator in a worker thread: the GUI thread must run during these calls."""
    x, w, b, gy, geo = make((16, 32, 7, 7, 16, 4, 4, 2, 1, 0, 1), np.float32)
    for call in (
        lambda: nv.ops.conv_transpose2d(x, w, b, **geo),
        lambda: nv.ops.conv_transpose2d_backward(x, w, gy, **geo),
    ):
        inside, calls = ticks_inside(call, want=3, max_calls=50)
        assert inside >= 3, f"another thread ticked {inside} times inside {calls} calls: the GIL is held"

"""conv2d forward and backward: numpy reference (ref_conv), float64 finite differences,
PyTorch (when installed), every instruction set, bad inputs and non-contiguous views."""

import numpy as np
import pytest
import ref_conv

import neuralviz as nv

# (N, C, H, W, C_out, kH, kW, stride, padding, dilation): each row exercises something.
GEOMETRIES = [
    (2, 1, 28, 28, 8, 5, 5, 1, 0, 1),  # benchmark (a): direct path, 1 channel
    (2, 8, 12, 12, 16, 5, 5, 1, 0, 1),  # benchmark (b)
    (3, 1, 8, 8, 16, 3, 3, 1, 1, 1),  # benchmark (c)
    (2, 16, 16, 16, 32, 3, 3, 1, 1, 1),  # benchmark (d), smaller images
    (1, 3, 7, 11, 5, 3, 3, 1, 1, 1),  # batch 1, primes, C_out not a multiple of 4
    (2, 2, 13, 17, 3, 3, 5, (2, 1), (1, 2), 1),  # vertical stride only (direct, no transposed)
    (2, 3, 13, 17, 7, 3, 3, 2, 1, 1),  # stride 2: im2col + GEMM
    (2, 2, 11, 9, 4, 3, 2, (1, 3), (0, 1), (2, 1)),  # horizontal stride 3, asymmetric pairs
    (2, 3, 10, 12, 5, 3, 3, 1, 2, 2),  # dilation with padding
    (2, 4, 9, 7, 6, 1, 1, 1, 0, 1),  # pointwise 1x1: no im2col at all
    (2, 4, 9, 7, 6, 1, 1, 2, 1, 1),  # 1x1, stride and padding: bias-only border
    (2, 4, 9, 7, 6, 1, 1, (1, 2), 1, 1),  # 1x1 on the im2col path with padding
    (2, 2, 5, 7, 3, 5, 7, 1, 0, 1),  # kernel = input: 1x1 output
    (2, 2, 3, 4, 3, 5, 6, 1, 1, 1),  # kernel = padded input
    (2, 2, 3, 4, 3, 5, 6, 2, 1, 1),  # ... on the im2col path
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 1),  # everything 1
    (2, 1, 5, 70, 9, 3, 3, 1, 1, 1),  # wide rows: several column blocks
    (2, 1, 19, 37, 2, 2, 4, 1, (1, 0), (3, 2)),  # 1 channel, dilation, 2 outputs
    (2, 1, 12, 13, 4, 3, 3, 2, 0, 1),  # 1 channel, strided: im2col path
    (2, 5, 6, 6, 1, 3, 3, 1, 1, 1),  # one output channel
    (2, 3, 23, 29, 4, 4, 3, 3, (2, 1), (1, 2)),  # primes with strides and dilations
    (2, 2, 4, 5, 3, 1, 3, 1, (3, 1), 1),  # padding wider than the kernel reach
    (2, 3, 9, 4, 5, 3, 2, 1, 1, 1),  # narrow rows: grad x as one flattened row
    (3, 1, 6, 2, 6, 2, 1, 1, 0, 1),  # narrow rows: forward as one flattened row
    (1, 32, 6, 7, 64, 3, 3, 1, 1, 1),  # large patch and C_out: im2col + GEMM
    (2, 256, 3, 5, 64, 1, 1, 1, 0, 1),  # ... pointwise: GEMM on x itself
]
IDS = ["x".join(map(str, g[:7])) + f"-s{g[7]}-p{g[8]}-d{g[9]}".replace(" ", "") for g in GEOMETRIES]
DTYPES = [np.float32, np.float64]


def make(geom, dtype, seed=0):
    n, c, h, w, oc, kh, kw, stride, padding, dilation = geom
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((oc, c, kh, kw)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    oh, ow = ref_conv.conv2d_output_hw(h, w, kh, kw, stride, padding, dilation)
    gy = rng.standard_normal((n, oc, oh, ow)).astype(dtype)  # random, never all ones
    return x, wt, b, gy, dict(stride=stride, padding=padding, dilation=dilation)


def assert_close(ours, ref, dtype, terms):
    """Elementwise, with an absolute slack growing like the sqrt of the summed terms."""
    assert ours.dtype == dtype and ours.shape == ref.shape
    if dtype == np.float32:
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=2e-5 * np.sqrt(terms))
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12 * np.sqrt(terms))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES, ids=IDS)
def test_forward_matches_reference(isa, geom, dtype):
    x, w, b, _, geo = make(geom, dtype)
    terms = w[0].size
    assert_close(nv.ops.conv2d(x, w, b, **geo), ref_conv.conv2d(x, w, b, **geo), dtype, terms)
    assert_close(nv.ops.conv2d(x, w, **geo), ref_conv.conv2d(x, w, **geo), dtype, terms)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES, ids=IDS)
def test_backward_matches_reference(isa, geom, dtype):
    x, w, _, gy, geo = make(geom, dtype)
    gx, gw, gb = nv.ops.conv2d_backward(x, w, gy, **geo)
    rx, rw, rb = ref_conv.conv2d_backward(x, w, gy, **geo)
    assert_close(gx, rx, dtype, w.shape[0] * w.shape[2] * w.shape[3])
    assert_close(gw, rw, dtype, gy.shape[0] * gy.shape[2] * gy.shape[3])
    assert_close(gb, rb, dtype, gy.shape[0] * gy.shape[2] * gy.shape[3])


def test_backward_can_skip_grad_x():
    x, w, _, gy, geo = make(GEOMETRIES[4], np.float64)
    gx, gw, gb = nv.ops.conv2d_backward(x, w, gy, need_grad_x=False, **geo)
    rx, rw, rb = ref_conv.conv2d_backward(x, w, gy, **geo)
    assert gx is None
    assert_close(gw, rw, np.float64, 100)
    assert_close(gb, rb, np.float64, 100)


# ------------------------------------------------------------------ finite differences
FD_GEOMETRIES = [
    (2, 1, 5, 6, 3, 3, 3, 1, 1, 1),  # direct kernels
    (1, 2, 6, 5, 2, 3, 2, (2, 1), (1, 0), (1, 2)),  # direct, vertical stride
    (2, 2, 5, 5, 2, 2, 2, 2, 1, 1),  # im2col + col2im
]


def passes(threads, x, w, b, gy, geo):
    """[y, grad x, grad w, grad b] computed with `threads` CPU threads (the count is restored after)."""
    before = nv._C.get_num_threads()
    nv.set_num_threads(threads)
    try:
        return [nv.ops.conv2d(x, w, b, **geo), *nv.ops.conv2d_backward(x, w, gy, **geo)]
    finally:
        nv.set_num_threads(before)


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


@pytest.mark.parametrize("geom", FD_GEOMETRIES)
def test_backward_matches_finite_differences(isa, geom):
    x, w, b, gy, geo = make(geom, np.float64, seed=1)

    def loss():
        return float(np.sum(gy * nv.ops.conv2d(x, w, b, **geo)))

    gx, gw, gb = nv.ops.conv2d_backward(x, w, gy, **geo)
    for ours, wrt in ((gx, x), (gw, w), (gb, b)):
        np.testing.assert_allclose(ours, numeric_grad(loss, wrt), rtol=1e-3, atol=1e-5)


# ------------------------------------------------------------------ layouts and threads
def test_non_contiguous_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 16, 7, 3)).transpose(0, 3, 2, 1)[:, :, :, ::2]  # (2, 3, 7, 8)
    w = np.asfortranarray(rng.standard_normal((4, 3, 3, 2)))
    b = rng.standard_normal(8)[::2]
    gy = np.swapaxes(rng.standard_normal((2, 4, 7, 5)), 2, 3)  # (2, 4, 5, 7): the conv output
    geo = dict(stride=1, padding=(0, 0), dilation=1)
    assert not x.flags.c_contiguous and not w.flags.c_contiguous and not gy.flags.c_contiguous
    assert_close(nv.ops.conv2d(x, w, b, **geo), ref_conv.conv2d(x, w, b, **geo), np.float64, 20)
    for ours, ref in zip(nv.ops.conv2d_backward(x, w, gy, **geo), ref_conv.conv2d_backward(x, w, gy, **geo)):
        assert_close(ours, ref, np.float64, 100)


@pytest.mark.parametrize("stride", [1, 2])
def test_threads_give_the_same_result(stride):
    x, w, b, gy, geo = make((8, 4, 20, 20, 8, 3, 3, stride, 1, 1), np.float64, seed=4)
    one, two = passes(1, x, w, b, gy, geo), passes(2, x, w, b, gy, geo)
    for a, c in zip(one, two):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ PyTorch
TORCH_GEOMETRIES = [GEOMETRIES[i] for i in (0, 1, 2, 3, 5, 7, 8, 11, 13, 17, 20)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", TORCH_GEOMETRIES)
def test_matches_torch(geom, dtype):
    torch = pytest.importorskip("torch")
    x, w, b, gy, geo = make(geom, dtype, seed=2)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, **geo)
    ty.backward(torch.tensor(gy))
    assert_close(nv.ops.conv2d(x, w, b, **geo), ty.detach().numpy().astype(np.float64), dtype, w[0].size)
    for ours, ref in zip(nv.ops.conv2d_backward(x, w, gy, **geo), (tx.grad, tw.grad, tb.grad)):
        assert_close(ours, ref.numpy().astype(np.float64), dtype, gy[:, 0].size * w[0].size)


# ------------------------------------------------------------------ bad inputs
def _ok():
    rng = np.random.default_rng(5)
    return rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda x, w: nv.ops.conv2d(x, w[:, :2]), ValueError, "channels"),
        (lambda x, w: nv.ops.conv2d(x[:, :, :2, :2], w), ValueError, "larger than the padded input"),
        (lambda x, w: nv.ops.conv2d(x[:, :, :2, :2], w, dilation=2, padding=1), ValueError, "larger"),
        (lambda x, w: nv.ops.conv2d(x[0], w), ValueError, "x must be 4-D"),
        (lambda x, w: nv.ops.conv2d(x, w[0]), ValueError, "w must be 4-D"),
        (lambda x, w: nv.ops.conv2d(x, w, stride=0), ValueError, "stride"),
        (lambda x, w: nv.ops.conv2d(x, w, stride=(1, -2)), ValueError, "stride"),
        (lambda x, w: nv.ops.conv2d(x, w, padding=-1), ValueError, "padding"),
        (lambda x, w: nv.ops.conv2d(x, w, dilation=0), ValueError, "dilation"),
        (lambda x, w: nv.ops.conv2d(x, w, stride=(1, 2, 3)), TypeError, "stride"),
        (lambda x, w: nv.ops.conv2d(x.astype(np.int64), w), TypeError, "x"),
        (lambda x, w: nv.ops.conv2d(x, w.astype(np.int32)), TypeError, "w"),
        (lambda x, w: nv.ops.conv2d(x.astype(np.float32), w), TypeError, "dtype"),
        (lambda x, w: nv.ops.conv2d(x, w, np.zeros(5)), ValueError, "b"),
        (lambda x, w: nv.ops.conv2d(x, w, np.zeros(4, np.float32)), TypeError, "b"),
        (lambda x, w: nv.ops.conv2d_backward(x, w, np.zeros((2, 4, 5, 6))), ValueError, "grad_y"),
        (lambda x, w: nv.ops.conv2d_backward(x, w, np.zeros((2, 4, 6, 6), np.float32)), TypeError, "grad_y"),
        (lambda x, w: nv.ops.conv2d_backward(x, w[:, :1], np.zeros((2, 4, 6, 6))), ValueError, "channels"),
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
        nv._C.conv2d(x, w, None, 0, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="larger"):
        nv._C.conv2d(x, w, None, 1, 1, 0, 0, 5, 1)


# ------------------------------------------------------------------ issue 22: grad x and threads
# Kernels large against their output: on AVX-512 grad x takes the GEMM + flat scatter-add path
# (conv.cpp input_grad_flat), here with padding (the plane is cropped), asymmetric padding and
# dilation; on the other instruction sets the same shapes check the direct path.
FLAT_GRAD_X = [
    (2, 3, 7, 8, 4, 3, 3, 1, 1, (2, 3)),
    (2, 2, 9, 9, 3, 7, 7, 1, 1, 1),
    (1, 3, 10, 6, 2, 7, 3, 1, (2, 0), 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", FLAT_GRAD_X)
def test_grad_x_of_large_kernels_matches_reference(isa, geom, dtype):
    x, w, _, gy, geo = make(geom, dtype, seed=5)
    gx, gw, gb = nv.ops.conv2d_backward(x, w, gy, **geo)
    rx, rw, rb = ref_conv.conv2d_backward(x, w, gy, **geo)
    assert_close(gx, rx, dtype, w.shape[0] * w.shape[2] * w.shape[3])
    assert_close(gw, rw, dtype, gy.shape[0] * gy.shape[2] * gy.shape[3])


# Shapes with enough work per image that two threads are used (parallel.h's
# kMinBatchWorkPerThread): each pass splits the batch, grad w sums per-thread parts.
@pytest.mark.parametrize(
    "geom", [(8, 8, 24, 24, 16, 3, 3, 1, 1, 1), (16, 8, 32, 32, 16, 3, 3, 2, 1, 1), (32, 8, 12, 12, 16, 5, 5, 1, 0, 1)]
)
def test_threads_give_the_same_result_on_large_batches(isa, geom):
    x, w, b, gy, geo = make(geom, np.float64, seed=6)
    one, two = passes(1, x, w, b, gy, geo), passes(2, x, w, b, gy, geo)
    for a, c in zip(one, two):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_tiny_convolutions_stay_serial_with_two_threads():
    """A digits-sized call (8x8, a few images) runs on one thread whatever set_num_threads
    says: its float32 results are bit for bit the serial ones (threads would split the weight
    gradient's sum differently)."""
    x, w, b, gy, geo = make((16, 1, 8, 8, 16, 3, 3, 1, 1, 1), np.float32, seed=7)
    one, two = passes(1, x, w, b, gy, geo), passes(2, x, w, b, gy, geo)
    for a, c in zip(one, two):
        np.testing.assert_array_equal(a, c)


# Channels in whole vectors and rows shorter than one: on AVX-512 the forward is vectorised
# along the output channels (conv.cpp forward_oc): 1 to 4 vectors of them, tiles of 4 or 8
# columns, with vertical stride, padding and dilation; other instruction sets check the
# row-vectorised kernel on the same shapes.
CHANNEL_VECTOR_FORWARD = [
    (2, 8, 12, 12, 16, 5, 5, 1, 0, 1),
    (2, 3, 9, 7, 32, 3, 3, (2, 1), 1, 1),
    (2, 2, 10, 13, 48, 3, 2, 1, (1, 0), (2, 1)),
    (2, 3, 6, 5, 16, 3, 3, 1, 1, 1),
    (1, 2, 5, 6, 64, 3, 3, 1, 1, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", CHANNEL_VECTOR_FORWARD)
def test_forward_vectorised_along_channels_matches_reference(isa, geom, dtype):
    x, w, b, _, geo = make(geom, dtype, seed=8)
    terms = w[0].size
    assert_close(nv.ops.conv2d(x, w, b, **geo), ref_conv.conv2d(x, w, b, **geo), dtype, terms)
    assert_close(nv.ops.conv2d(x, w, **geo), ref_conv.conv2d(x, w, **geo), dtype, terms)


# Issue 22, round 2: grad x as the fused scatter (conv.cpp input_grad_flat, conv_direct.h
# direct_scatter) on every instruction set, where a quarter or more of the direct kernel's
# work would be padding: runs of several column blocks, channel counts that leave a partial
# tile of (channel, tap) pairs, one channel (overlapping taps in a tile), padding, dilation.
SCATTER_GRAD_X = [
    (2, 1, 28, 28, 8, 5, 5, 1, 0, 1),  # benchmark (a): one channel, runs of 668 columns
    (2, 5, 20, 23, 3, 6, 4, 1, (1, 0), (1, 2)),
    (3, 7, 11, 9, 5, 5, 5, 1, 0, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", SCATTER_GRAD_X)
def test_grad_x_by_scatter_matches_reference(isa, geom, dtype):
    x, w, _, gy, geo = make(geom, dtype, seed=9)
    gx, _, _ = nv.ops.conv2d_backward(x, w, gy, **geo)
    rx, _, _ = ref_conv.conv2d_backward(x, w, gy, **geo)
    assert_close(gx, rx, dtype, w.shape[0] * w.shape[2] * w.shape[3])


def test_forward_and_grad_x_do_not_depend_on_threads():
    """Forward and grad x are computed image by image: with two threads (benchmark (b)'s
    layer at batch 32 has the work for them) their float32 results are bit for bit the
    serial ones; only grad w and grad b sum across images."""
    x, w, b, gy, geo = make((32, 8, 12, 12, 16, 5, 5, 1, 0, 1), np.float32, seed=10)
    one, two = passes(1, x, w, b, gy, geo)[:2], passes(2, x, w, b, gy, geo)[:2]
    for a, c in zip(one, two):
        np.testing.assert_array_equal(a, c)


# Issue 22, round 2: grad w vectorised along the input channels (conv.cpp weight_grad_direct_c,
# conv_direct.h direct_wgrad_c) where they fill whole vectors (16 float or 8 double lanes on
# AVX-512, 8/4 on AVX2, 4/2 generic) and there are at least 8 (AVX-512) or 4 output channels:
# output channels that leave an overlapping last block, tap counts that leave a partial
# block of 3, two or more channel vectors, vertical stride, dilation, padding, one-column rows.
CHANNEL_VECTOR_GRAD_W = [
    (2, 16, 10, 9, 13, 3, 3, 1, 1, 1),  # 13 outputs: a last block overlapping the one before
    (2, 32, 7, 6, 8, 2, 2, 1, 0, 1),  # 4 taps: a partial block; 2 float vectors on AVX-512
    (2, 16, 12, 11, 9, 5, 3, (2, 1), (2, 1), (1, 2)),  # vertical stride, dilation, 15 taps
    (3, 48, 5, 1, 20, 3, 1, 1, 1, 1),  # rows one column wide, 3 vectors of channels
    (2, 8, 9, 9, 5, 3, 3, 1, 1, 1),  # 8 channels: AVX2 float, AVX-512 double, generic
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", CHANNEL_VECTOR_GRAD_W)
def test_grad_w_vectorised_along_channels_matches_reference(isa, geom, dtype):
    x, w, _, gy, geo = make(geom, dtype, seed=11)
    gx, gw, gb = nv.ops.conv2d_backward(x, w, gy, **geo)
    rx, rw, rb = ref_conv.conv2d_backward(x, w, gy, **geo)
    terms = gy.shape[0] * gy.shape[2] * gy.shape[3]
    assert_close(gw, rw, dtype, terms)
    assert_close(gb, rb, dtype, terms)
    assert_close(gx, rx, dtype, w.shape[0] * w.shape[2] * w.shape[3])


# grad w and grad x share one parallel region with two threads (conv.cpp run_backward):
# grad w stays the same on every run, grad x (direct and flat-scatter paths) and the forward
# are bit for bit the serial ones, on every instruction set.
@pytest.mark.parametrize("geom", [(32, 16, 16, 16, 32, 3, 3, 1, 1, 1), (32, 8, 12, 12, 16, 5, 5, 1, 0, 1)])
def test_fused_backward_is_deterministic(isa, geom):
    x, w, b, gy, geo = make(geom, np.float32, seed=12)
    one, two, again = passes(1, x, w, b, gy, geo), passes(2, x, w, b, gy, geo), passes(2, x, w, b, gy, geo)
    np.testing.assert_array_equal(one[0], two[0])  # forward
    np.testing.assert_array_equal(one[1], two[1])  # grad x
    for a, c in zip(two, again):
        np.testing.assert_array_equal(a, c)
    for a, c in zip(one[2:], two[2:]):  # grad w, grad b: summed in another order
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-4 * np.sqrt(gy.shape[0] * gy[0, 0].size))
    rx, rw, rb = ref_conv.conv2d_backward(x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64), **geo)
    terms = gy.shape[0] * gy.shape[2] * gy.shape[3]
    assert_close(two[2], rw.astype(np.float32), np.float32, terms)


# Issue 22, round 3: small maps (the digits CNN's second conv: 4x4, 8->16 channels, 3x3 'same').
# Maps of at most one vector of pixels run the forward and grad x as in-register lane
# permutations (conv.cpp forward_lanes, input_grad_lanes; conv_direct.h direct_lanes): 16
# float lanes on AVX-512 (8 double), 8 on AVX2, 4 generic; whole and partial planes, output
# channels past a block of 16 (20), strides (forward), padding, dilation, 1x3 and 2x2 kernels.
# Where they do not fit (doubles at 4x4 on AVX-512), grad x is the channel-vectorised forward
# of the transposed convolution (input_grad_oc). grad w either with direct_wgrad_c's roles
# swapped (weight_grad_direct_t: vectorised along the output channels, x broadcast; the digits
# shape, 2x8x8 at padding = reach, 6 channels on AVX2 and generic, 20 doubles with 12 outputs
# on AVX-512: a partial vector) or vectorised along input channels padded to whole vectors
# (weight_grad_direct_c with zero channels past C; 5 at 5 columns on AVX2).
SMALL_MAPS = [
    (32, 8, 4, 4, 16, 3, 3, 1, 1, 1),  # the digits CNN's c2
    (3, 5, 4, 4, 9, 3, 3, 1, 1, 1),  # 5 channels: a partial vector
    (2, 20, 4, 4, 12, 3, 3, 1, 1, 1),  # 20 channels: two float vectors, a block and a rest
    (2, 8, 2, 8, 16, 3, 3, 1, 2, 1),  # padding = reach: gy read in place
    (2, 8, 4, 4, 8, 3, 3, 1, 2, 2),  # dilation
    (2, 6, 1, 3, 10, 1, 3, 1, (0, 1), 1),  # one-row maps, a 1x3 kernel
    (2, 6, 4, 3, 8, 3, 3, 1, 1, 1),  # 6 channels at 3 columns
    (2, 5, 5, 5, 9, 3, 3, 1, 1, 1),  # 5 channels at 5 columns: grad w by channels on AVX2
    (3, 5, 2, 4, 7, 3, 3, 1, 1, 1),  # 8-pixel maps: lanes on AVX2 and for AVX-512 doubles
    (2, 3, 2, 2, 6, 2, 2, 1, (1, 0), 1),  # 4 pixels in, 3 out: partial planes, generic lanes
    (2, 4, 5, 3, 20, 3, 3, 2, 1, 1),  # stride 2: 15 pixels in, 6 out; 20 output channels
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", SMALL_MAPS)
def test_small_map_passes_match_reference(isa, geom, dtype):
    x, w, b, gy, geo = make(geom, dtype, seed=13)
    assert_close(nv.ops.conv2d(x, w, b, **geo), ref_conv.conv2d(x, w, b, **geo), dtype, w[0].size)
    assert_close(nv.ops.conv2d(x, w, **geo), ref_conv.conv2d(x, w, **geo), dtype, w[0].size)
    gx, gw, gb = nv.ops.conv2d_backward(x, w, gy, **geo)
    rx, rw, rb = ref_conv.conv2d_backward(x, w, gy, **geo)
    terms = gy.shape[0] * gy.shape[2] * gy.shape[3]
    assert_close(gw, rw, dtype, terms)
    assert_close(gb, rb, dtype, terms)
    assert_close(gx, rx, dtype, w.shape[0] * w.shape[2] * w.shape[3])


def test_small_map_backward_is_deterministic_with_threads():
    """A batch of digits-sized c2 maps large enough for two threads: the fused backward runs
    grad x (input_grad_oc) in run_backward's image loop; grad x is bit for bit the serial one
    and every pass repeats exactly."""
    x, w, b, gy, geo = make((512, 8, 4, 4, 16, 3, 3, 1, 1, 1), np.float32, seed=14)
    one, two, again = (passes(t, x, w, b, gy, geo)[1:] for t in (1, 2, 2))  # the gradients
    np.testing.assert_array_equal(one[0], two[0])
    for a, c in zip(two, again):
        np.testing.assert_array_equal(a, c)
    rx, rw, rb = ref_conv.conv2d_backward(x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64), **geo)
    terms = gy.shape[0] * gy.shape[2] * gy.shape[3]
    assert_close(two[1], rw.astype(np.float32), np.float32, terms)
    assert_close(two[2], rb.astype(np.float32), np.float32, terms)

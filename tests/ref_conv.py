"""Plain numpy reference implementations of conv2d and 2-D pooling, forward and backward.

Test oracles, written to be obviously right rather than fast: every kernel tap or pooling
window position is one numpy slice over the whole batch. Semantics are PyTorch's (NCHW,
OIHW weights, cross-correlation, floor output size, max pool padding with -inf and the
first maximum in row-major order winning, average pool with count_include_pad=True).
Results are computed and returned in float64 whatever the input dtype, so float32 kernels
are compared with an exact-as-possible answer.

    import ref_conv
    y = ref_conv.conv2d(x, w, b, stride=1, padding=0, dilation=1)
    gx, gw, gb = ref_conv.conv2d_backward(x, w, gy, stride=..., padding=..., dilation=...)
    oh, ow = ref_conv.pool2d_output_hw(x.shape, kernel_size, stride=None, padding=0)
    y, idx = ref_conv.max_pool2d(x, kernel_size, stride=None, padding=0)
    gx = ref_conv.max_pool2d_backward(gy, idx, x.shape)
    y = ref_conv.avg_pool2d(x, kernel_size, stride=None, padding=0)
    gx = ref_conv.avg_pool2d_backward(gy, x.shape, kernel_size, stride=None, padding=0)
"""

from __future__ import annotations

import numpy as np


def pair(v) -> tuple[int, int]:
    """An int or an (h, w) pair, as PyTorch accepts for stride/padding/dilation/kernel_size."""
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def conv2d_output_hw(h, w, kh, kw, stride, padding, dilation) -> tuple[int, int]:
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    return ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)


def _tap_slices(kh, kw, oh, ow, stride, dilation):
    """(i, j, rows, cols): for each tap, the padded-input slices its output grid reads."""
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    for i in range(kh):
        for j in range(kw):
            yield (i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """y[n, o, oh, ow] = b[o] + sum_{c, i, j} w[o, c, i, j] * xpad[n, c, oh*s + i*d, ow*s + j*d]."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    ph, pw = pair(padding)
    oh, ow = conv2d_output_hw(h, wd, kh, kw, stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, oc, oh, ow))
    for i, j, rows, cols in _tap_slices(kh, kw, oh, ow, stride, dilation):
        y += np.einsum("nchw,oc->nohw", xp[:, :, rows, cols], w[:, :, i, j])
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None]
    return y


def conv2d_backward(x, w, gy, stride=1, padding=0, dilation=1):
    """(grad_x, grad_w, grad_b) of sum(gy * conv2d(x, w, b)), by the same tap slices."""
    x, w, gy = (np.asarray(a, np.float64) for a in (x, w, gy))
    n, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    ph, pw = pair(padding)
    oh, ow = gy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    for i, j, rows, cols in _tap_slices(kh, kw, oh, ow, stride, dilation):
        gw[:, :, i, j] = np.einsum("nohw,nchw->oc", gy, xp[:, :, rows, cols])
        gxp[:, :, rows, cols] += np.einsum("nohw,oc->nchw", gy, w[:, :, i, j])
    gx = gxp[:, :, ph : ph + h, pw : pw + wd]
    return gx, gw, gy.sum(axis=(0, 2, 3))


def _pool_geometry(x_shape, kernel_size, stride, padding):
    kh, kw = pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    ph, pw = pair(padding)
    h, w = x_shape[2], x_shape[3]
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return kh, kw, sh, sw, ph, pw, oh, ow


def pool2d_output_hw(x_shape, kernel_size, stride=None, padding=0) -> tuple[int, int]:
    """(H_out, W_out) of max/avg pooling (floor mode; stride defaults to kernel_size)."""
    return _pool_geometry(x_shape, kernel_size, stride, padding)[-2:]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """(y, indices): window maxima and their flat index ih*W + iw in the unpadded plane."""
    x = np.asarray(x, np.float64)
    n, c, h, w = x.shape
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_geometry(x.shape, kernel_size, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    y = np.empty((n, c, oh, ow))
    idx = np.empty((n, c, oh, ow), np.int64)
    for r in range(oh):
        for q in range(ow):
            window = xp[:, :, r * sh : r * sh + kh, q * sw : q * sw + kw].reshape(n, c, kh * kw)
            k = window.argmax(axis=2)  # first maximum in row-major order, as PyTorch
            y[:, :, r, q] = np.take_along_axis(window, k[..., None], axis=2)[..., 0]
            idx[:, :, r, q] = (r * sh + k // kw - ph) * w + (q * sw + k % kw - pw)
    return y, idx


def max_pool2d_backward(gy, indices, x_shape) -> np.ndarray:
    """Scatter-adds each gy entry onto the input position its maximum came from."""
    gy = np.asarray(gy, np.float64)
    n, c, h, w = x_shape
    gx = np.zeros((n * c, h * w))
    planes = np.repeat(np.arange(n * c), gy.shape[2] * gy.shape[3])
    np.add.at(gx, (planes, np.asarray(indices).reshape(-1)), gy.reshape(-1))
    return gx.reshape(n, c, h, w)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Window means over the zero-padded input; the divisor is always kh*kw (floor mode and
    padding <= kernel/2 keep every window inside the padded input)."""
    x = np.asarray(x, np.float64)
    n, c, h, w = x.shape
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_geometry(x.shape, kernel_size, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.empty((n, c, oh, ow))
    for r in range(oh):
        for q in range(ow):
            y[:, :, r, q] = xp[:, :, r * sh : r * sh + kh, q * sw : q * sw + kw].mean(axis=(2, 3))
    return y


def avg_pool2d_backward(gy, x_shape, kernel_size, stride=None, padding=0) -> np.ndarray:
    gy = np.asarray(gy, np.float64)
    n, c, h, w = x_shape
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_geometry(x_shape, kernel_size, stride, padding)
    gxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for r in range(oh):
        for q in range(ow):
            window = gxp[:, :, r * sh : r * sh + kh, q * sw : q * sw + kw]
            window += gy[:, :, r : r + 1, q : q + 1] / (kh * kw)
    return gxp[:, :, ph : ph + h, pw : pw + w]

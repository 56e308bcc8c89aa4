"""Auto-encoders: the network's two halves around its layer with id "code", run separately.

    z = encode(net, images)                    # (N, k): the forward pass up to and including "code"
    images = decode(net, z)                    # (N, *input_shape): from the layers after "code" to the output
    strip = interpolate(net, a, b, steps=9)    # decodes along the straight line from code a to code b
    image = arithmetic(net, a, b, c)           # decode(code(a) - code(b) + code(c)), a lecture's "face arithmetic"
    mean_image_mse(ds)                         # the baseline: predict every test image by the mean training image

Any spec works whose "code" layer outputs a vector and whose decoder reads only the code: a layer after
the code that also reads the input or an encoder layer (a skip past the code) would need the image to
decode, so decode refuses such a network and says which layer reads what. Everything runs in evaluation
mode (no dropout, no noise) and leaves `net.outputs` alone; like every forward pass it belongs on the thread
that owns the network (in the app, the page's worker).

a, b, c may be codes (k,) or images: one image (*input_shape) or a group of exemplars (n, *input_shape),
whose codes are averaged, as Radford et al. (2015, DCGAN Fig. 7) averaged three per concept because single
samples were unstable. An array shaped like an image is read as images, even when the code has as many numbers.
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from ..spec import INPUT

__all__ = [
    "CODE",
    "encode",
    "decode",
    "interpolate",
    "arithmetic",
    "arithmetic_codes",
    "mean_image_mse",
    "code_of",
    "code_width",
    "decoder_layers",
]

CODE = "code"  # the id of the latent layer
DECODE_BATCH = 4096  # rows per forward pass: bounds the activations' memory for a big latent grid


def _code_entry(net: Network, fn: str) -> dict:
    """The order entry of the "code" layer; ValueError when the network has none feeding its output."""
    if not isinstance(net, Network):
        raise TypeError(f"{fn}: net must be a neuralviz Network, got {type(net).__name__}")
    for entry in net.order:
        if entry["id"] == CODE:
            shape = net.layers[CODE].output_shape
            if len(shape) != 1:
                raise ValueError(f"{fn}: the layer 'code' must output a vector (k,), but it outputs {shape}")
            return entry
    declared = any(e.get("id") == CODE for e in net.spec["layers"])
    why = "does not feed the output" if declared else "is missing"
    ids = ", ".join(e["id"] for e in net.order)
    raise ValueError(f"{fn}: the network has no layer with id 'code' on its path to the output ({why}); layers: {ids}")


def _encoder_ids(net: Network) -> set[str]:
    """The code layer and every layer it reads from, directly or not."""
    by_id = {e["id"]: e for e in net.order}
    found, todo = set(), [CODE]
    while todo:
        lid = todo.pop()
        if lid in found or lid == INPUT:
            continue
        found.add(lid)
        todo.extend(by_id[lid]["inputs"])
    return found


def _decoder_entries(net: Network, fn: str) -> list[dict]:
    """The layers after the code, in order; ValueError when one of them reads anything but the code or
    another decoder layer (then the image itself would be needed to decode)."""
    _code_entry(net, fn)
    encoder = _encoder_ids(net)
    entries = [e for e in net.order if e["id"] not in encoder]
    decoder = {e["id"] for e in entries}
    for e in entries:
        for src in e["inputs"]:
            if src != CODE and src not in decoder:
                what = "the network input" if src == INPUT else f"the encoder layer {src!r}"
                raise ValueError(
                    f"{fn}: layer {e['id']!r} after the code reads {what} (a skip past the code), so a code alone "
                    "cannot be decoded; the decoder may read only 'code' and the layers after it"
                )
    if not entries:
        raise ValueError(f"{fn}: 'code' is the network's output layer; there is no decoder after it")
    return entries


def decoder_layers(net: Network) -> list[str]:
    """The ids of the layers after the code, in order; ValueError when a code alone cannot be decoded (no
    "code" layer, nothing after it, or a layer after it that reads the input or an encoder layer)."""
    return [e["id"] for e in _decoder_entries(net, "decoder_layers")]


def _run(net: Network, entries: list[dict], given: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Forward (evaluation mode) through `entries` in order, from the arrays in `given`."""
    outputs = dict(given)
    for e in entries:
        outputs[e["id"]] = net.layers[e["id"]].forward([outputs[s] for s in e["inputs"]], False)
    return outputs


def _images(net: Network, x, fn: str) -> np.ndarray:
    """x as a float batch (N, *input_shape) in the network's dtype; one example gets a batch axis."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: images must be numeric, got dtype {x.dtype}")
    if x.shape == net.input_shape:
        x = x[None]
    if x.shape[1:] != net.input_shape or len(x) == 0:
        raise ValueError(
            f"{fn}: images must have shape (N, {', '.join(map(str, net.input_shape))}) with N >= 1, got {x.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{fn}: the images contain NaN or inf")
    return np.ascontiguousarray(x, dtype=net.dtype)


def encode(net: Network, x) -> np.ndarray:
    """Codes (N, k) of images x (N, *input_shape) (or one image): the forward pass up to and including the layer
    with id "code", in evaluation mode."""
    _code_entry(net, "encode")
    x = _images(net, x, "encode")
    encoder = _encoder_ids(net)
    entries = [e for e in net.order if e["id"] in encoder]
    codes = [_run(net, entries, {INPUT: x[i : i + DECODE_BATCH]})[CODE].copy() for i in range(0, len(x), DECODE_BATCH)]
    return codes[0] if len(codes) == 1 else np.concatenate(codes)


def code_width(net: Network) -> int:
    """k, the number of values in the code."""
    _code_entry(net, "code_width")
    return int(net.layers[CODE].output_shape[0])


def decode(net: Network, z) -> np.ndarray:
    """Images (N, *input_shape) for codes z (N, k) (or one code (k,)): the forward pass from the layers after
    "code" to the output. ValueError for a z of the wrong width, or a network whose decoder reads more than
    the code (see the module doc), or whose output is not shaped like its input."""
    entries = _decoder_entries(net, "decode")
    k = code_width(net)
    z = np.asarray(z)
    if z.dtype.kind not in "fiu":
        raise TypeError(f"decode: z must be numeric, got dtype {z.dtype}")
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != k or len(z) == 0:
        raise ValueError(f"decode: z must have shape (N, {k}) (the code has {k} values), got {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("decode: z contains NaN or inf")
    z = np.ascontiguousarray(z, dtype=net.dtype)
    size = int(np.prod(net.input_shape))
    if int(np.prod(net.output_shape)) != size:
        raise ValueError(
            f"decode: the output {net.output_shape} does not hold an input {net.input_shape}: not an auto-encoder"
        )
    out = [_run(net, entries, {CODE: z[i : i + DECODE_BATCH]})[net.output_id] for i in range(0, len(z), DECODE_BATCH)]
    images = out[0] if len(out) == 1 else np.concatenate(out)
    return images.reshape(len(z), *net.input_shape).copy()


def code_of(net: Network, v, fn: str = "code_of") -> np.ndarray:
    """A code (k,) from a code (k,), one image, or a group of images (their codes' mean)."""
    v = np.asarray(v)
    shape = net.input_shape
    if v.shape == shape or (v.ndim == len(shape) + 1 and v.shape[1:] == shape):
        return encode(net, v).mean(axis=0)
    k = code_width(net)
    if v.shape != (k,):
        raise ValueError(
            f"{fn}: expected a code ({k},), an image {shape} or a group of images (n, {', '.join(map(str, shape))}), "
            f"got shape {v.shape}"
        )
    if v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
        raise ValueError(f"{fn}: a code must hold finite numbers, got {v!r:.60}")
    return v.astype(net.dtype)


def interpolate(net: Network, a, b, steps: int = 9) -> np.ndarray:
    """`steps` decodes (steps, *input_shape) at evenly spaced points of the straight line from a's code to b's,
    both ends included (a and b: codes, images or groups of images, see the module doc). A straight line, not
    slerp: a plain auto-encoder has no Gaussian prior whose shell the line would leave."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"interpolate: steps must be an integer >= 2, got {steps!r:.40}")
    za, zb = code_of(net, a, "interpolate"), code_of(net, b, "interpolate")
    t = np.linspace(0.0, 1.0, int(steps), dtype=net.dtype)[:, None]
    return decode(net, (1 - t) * za + t * zb)


def arithmetic_codes(net: Network, a, b, c) -> np.ndarray:
    """The parallelogram (4, k): the codes of a, b and c, and a - b + c."""
    za, zb, zc = (code_of(net, v, "arithmetic") for v in (a, b, c))
    return np.stack([za, zb, zc, za - zb + zc])


def arithmetic(net: Network, a, b, c) -> np.ndarray:
    """decode(code(a) - code(b) + code(c)), one image (*input_shape): "a is to b as ? is to c" answered in the code
    space (a, b, c: codes, images, or groups of exemplars whose codes are averaged)."""
    return decode(net, arithmetic_codes(net, a, b, c)[3])[0]


def mean_image_mse(ds, which: str = "test") -> float:
    """The mean squared error of answering every image of a split with the mean training image: the loss an
    auto-encoder must beat to have learned anything about the particular image (0.074 on the digits' test set)."""
    x_train, _ = ds.split("train")
    x, _ = ds.split(which)
    if len(x_train) == 0 or len(x) == 0:
        raise ValueError(f"mean_image_mse: dataset {getattr(ds, 'name', '')!r} has no images in 'train' or {which!r}")
    mean = np.asarray(x_train, dtype=np.float64).mean(axis=0)
    return float(np.mean((np.asarray(x, dtype=np.float64) - mean) ** 2))

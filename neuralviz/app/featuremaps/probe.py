"""Looking inside a convolutional network for one input (no Qt: the page's worker thread calls this).

For a network and an input image, a Probe returns what the feature-map page draws: the activation maps of
every convolution and pooling layer, the class scores, and the saliency map (the gradient of one class score
with respect to the input pixels, from the graph's own backward pass). The input is run twice in one batch,
as given and translated by (dx, dy) pixels, so the translation view can show both side by side.

Which layers are "map layers": each conv2d layer and each pooling layer. A conv2d whose only consumer is an
activation (conv -> relu) is shown after that activation: the rectified map is what the next layer sees, and
what the lecture calls a feature detector's response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...network import Network
from ...prediction import probabilities

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "step")
POOLS = {"maxpool2d": "max-pool", "avgpool2d": "average-pool"}


# ---------------------------------------------------------------------------------------------- structure
@dataclass(frozen=True)
class MapLayer:
    """One row of the feature-map view: the layer whose output is drawn and how to caption it."""

    id: str  # layer whose output is shown (the activation after a conv, or a pool)
    source: str  # the conv2d or pooling layer itself
    kind: str  # "conv" or "pool"
    shape: tuple[int, int, int]  # (channels, height, width) of each example's output
    title: str

    @property
    def channels(self) -> int:
        return self.shape[0]


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def map_layers(net: Network) -> tuple[MapLayer, ...]:
    """The conv and pooling layers of `net` in execution order (see the module docstring)."""
    consumers: dict[str, list[dict]] = {}
    for entry in net.order:
        for src in entry["inputs"]:
            consumers.setdefault(src, []).append(entry)
    out = []
    for entry in net.order:
        lid, kind = entry["id"], entry["type"]
        if kind == "conv2d":
            kh, kw = _pair(entry.get("kernel_size", 1))
            shown, after = lid, ""
            users = consumers.get(lid, [])
            if len(users) == 1 and users[0]["type"] in ACTIVATIONS and lid != net.output_id:
                shown, after = users[0]["id"], f" → {users[0]['type']}"
            shape = tuple(net.layers[shown].output_shape)
            out.append(
                MapLayer(
                    shown,
                    lid,
                    "conv",
                    shape,
                    f"{lid}: conv {kh}×{kw}{after} · {shape[0]} maps of {shape[1]}×{shape[2]}",
                )
            )
        elif kind in POOLS:
            kh, kw = _pair(entry.get("kernel_size", 1))
            shape = tuple(net.layers[lid].output_shape)
            out.append(
                MapLayer(
                    lid,
                    lid,
                    "pool",
                    shape,
                    f"{lid}: {POOLS[kind]} {kh}×{kw} · {shape[0]} maps of {shape[1]}×{shape[2]}",
                )
            )
    return tuple(out)


def conv_weights(params: Mapping[str, np.ndarray], net: Network) -> dict[str, np.ndarray]:
    """The (out, in, kh, kw) weight array of every conv2d layer, by layer id, from a parameter mapping."""
    return {
        e["id"]: params[f"{e['id']}.weight"]
        for e in net.order
        if e["type"] == "conv2d" and f"{e['id']}.weight" in params
    }


# ---------------------------------------------------------------------------------------------- maths
def translate(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Images (..., H, W) moved dx pixels right and dy pixels down; what enters is 0 (the background)."""
    out = np.zeros_like(images)
    h, w = images.shape[-2:]
    dx, dy = int(dx), int(dy)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y, dst_y = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    src_x, dst_x = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., dst_y, dst_x] = images[..., src_y, src_x]
    return out


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ProbeResult:
    """Everything the page draws for one input and one set of weights (read-only arrays).

    Arrays named *_original are for the untranslated input; the others for the input moved by `shift`.
    """

    serial: int  # the studio configuration these weights belong to
    step: int  # the training step of the weights
    request: int  # the page's request counter (newest wins)
    shift: tuple[int, int]
    image: np.ndarray  # (C, H, W) the input as the network saw it
    original: np.ndarray  # (C, H, W) before the translation
    maps: Mapping[str, np.ndarray]  # map layer id -> (C, h, w)
    maps_original: Mapping[str, np.ndarray]
    scores: np.ndarray  # (K,) raw outputs (logits)
    probs: np.ndarray  # (K,)
    probs_original: np.ndarray
    saliency: np.ndarray  # (C, H, W): d scores[saliency_class] / d image
    saliency_class: int
    filters: Mapping[str, np.ndarray]  # conv id -> (out, in, kh, kw)
    twin_probs: np.ndarray | None = None  # the fully connected comparison net, same inputs
    twin_probs_original: np.ndarray | None = None
    twin_hidden: np.ndarray | None = None  # (units,) its hidden layer
    twin_hidden_original: np.ndarray | None = None
    twin_epoch: float = 0.0  # the epochs the twin had trained when it answered
    true_label: int | None = None  # the chosen test image's class (None: a drawing)

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probs))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------------------------------------- probe
class Probe:
    """A private copy of the studio's network, loaded with a snapshot's weights and run on single inputs."""

    def __init__(self, spec: dict, loss: str, dtype: str = "float32"):
        self.net = Network.from_spec(spec, seed=0, dtype=dtype)
        self.loss = loss
        self.layers = map_layers(self.net)
        self._params: Mapping[str, np.ndarray] | None = None
        self.num_classes = int(np.prod(self.net.output_shape))

    def load(self, params: Mapping[str, np.ndarray]) -> None:
        """Copy in a snapshot's weights (skipped when it is the mapping already loaded)."""
        if params is not self._params:
            self.net.load_state_dict(params)
            self._params = params

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.net.forward(np.ascontiguousarray(x, dtype=self.net.dtype), train=False)

    def run(
        self,
        image: np.ndarray,
        shift: tuple[int, int] = (0, 0),
        saliency_class: int | None = None,
        *,
        serial: int = 0,
        step: int = 0,
        request: int = 0,
    ) -> ProbeResult:
        """Activations, scores and saliency for `image` (C, H, W) moved by shift = (dx, dy).

        saliency_class None means the predicted class of the moved input."""
        image = np.asarray(image, dtype=self.net.dtype)
        if image.shape != self.net.input_shape:
            raise ValueError(f"probe: image has shape {image.shape}, the network takes {self.net.input_shape}")
        moved = translate(image, *shift)
        batch = np.stack([image, moved])
        out = self.forward(batch)
        maps = {m.id: self.net.outputs[m.id] for m in self.layers}
        probs = probabilities(out, self.loss)  # as the studio reads them for this loss
        k = int(np.argmax(probs[1])) if saliency_class is None else int(saliency_class)
        if not 0 <= k < out.shape[1]:
            raise ValueError(f"probe: class {k} is outside 0..{out.shape[1] - 1}")
        saliency = self.saliency(out, k)
        return ProbeResult(
            serial=serial,
            step=step,
            request=request,
            shift=(int(shift[0]), int(shift[1])),
            image=_frozen(moved),
            original=_frozen(image),
            maps={lid: _frozen(a[1]) for lid, a in maps.items()},
            maps_original={lid: _frozen(a[0]) for lid, a in maps.items()},
            scores=_frozen(out[1]),
            probs=_frozen(probs[1]),
            probs_original=_frozen(probs[0]),
            saliency=_frozen(saliency),
            saliency_class=k,
            filters=conv_weights(self._params or self.net.state_dict(), self.net),
        )

    def saliency(self, out: np.ndarray, k: int) -> np.ndarray:
        """d out[1, k] / d input[1] from the last forward pass (batch element 1: the moved input).

        The seed gradient is one-hot on the class score; the parameter gradients this accumulates are
        cleared, so the probe's network never drifts from the snapshot it copies."""
        seed = np.zeros_like(out)
        seed[1, k] = 1.0
        grad = self.net.backward(seed)
        self.net.zero_grad()
        if grad is None:  # token-id inputs have no gradient (not an image network)
            return np.zeros(self.net.input_shape, dtype=self.net.dtype)
        return grad[1]

"""What a prior-gallery scene asks for (PriorConfig, read from scene.options), the default architectures,
and the one-line description of a network under its gallery's title.

Plain data only, no Qt: the config crosses from the GUI thread to the worker, and both are tested without a
window. The options themselves are documented in prior_view.py, where a scene author looks for them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from ...network import Network
from ...viz.prior import PRIOR_EXTENT

__all__ = ["PriorConfig", "read_options", "default_architectures", "mlp_spec", "describe_network"]

GRID_RANGE = (2, 6)
RESOLUTION_RANGE = (8, 256)
MAX_ARCHITECTURES = 4
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU", "gelu": "GELU"}


def mlp_spec(widths: list[int], activation: str, inputs: int = 2) -> dict:
    """A plain MLP spec: dense + activation per hidden width, then one output unit."""
    layers: list[dict] = []
    for i, w in enumerate(widths):
        layers += [{"id": f"h{i + 1}", "type": "dense", "units": w}, {"id": f"a{i + 1}", "type": activation}]
    layers.append({"id": "out", "type": "dense", "units": 1})
    return {"format": "neuralviz.network/1", "input_shape": [inputs], "layers": layers}


def default_architectures() -> list[dict]:
    """The storyboard's pair, checked to look different at the default initialisation: a wide shallow tanh
    net draws smooth, low-frequency blobs; a deep ReLU net draws piecewise-linear facets with sharp creases."""
    return [
        {"label": "wide shallow tanh", "network": mlp_spec([256], "tanh")},
        {"label": "deep ReLU", "network": mlp_spec([32] * 8, "relu")},
    ]


@dataclass(frozen=True)
class PriorConfig:
    architectures: tuple[dict, ...]  # {"label", "network", "features"}
    grid: int
    resolution: int
    extent: tuple[float, float, float, float]
    seed: int

    def seeds(self, draw: int) -> list[int]:
        n = self.grid * self.grid
        return list(range(self.seed + draw * n, self.seed + (draw + 1) * n))


def read_options(options: dict) -> PriorConfig:
    """scene.options -> PriorConfig, with defaults; a clear ValueError naming a bad option."""
    if not isinstance(options, dict):
        raise ValueError(f"prior view: options must be an object, got {type(options).__name__}")
    archs = options.get("architectures") or default_architectures()
    if not isinstance(archs, list) or not 1 <= len(archs) <= MAX_ARCHITECTURES:
        raise ValueError(f"prior view: 'architectures' must be a list of 1-{MAX_ARCHITECTURES} entries")
    parsed = []
    for i, arch in enumerate(archs):
        if not isinstance(arch, dict) or not isinstance(arch.get("network"), dict):
            raise ValueError(f"prior view: architectures[{i}] needs a 'network' spec object")
        features = arch.get("features", ["x1", "x2"])
        features = [features] if isinstance(features, str) else features
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ValueError(f"prior view: architectures[{i}].features must be a list of feature names")
        parsed.append({"label": str(arch.get("label", f"architecture {i + 1}")), "network": arch["network"],
                       "features": list(features)})  # fmt: skip
    grid = _int_option(options, "grid", 4, GRID_RANGE)
    resolution = _int_option(options, "resolution", 64, RESOLUTION_RANGE)
    seed = _int_option(options, "seed", 0, (0, 2**31))
    extent = options.get("extent", PRIOR_EXTENT)
    if not isinstance(extent, (list, tuple)) or len(extent) != 4:
        raise ValueError(f"prior view: 'extent' must be [x1 min, x1 max, x2 min, x2 max], got {extent!r:.80}")
    return PriorConfig(tuple(parsed), grid, resolution, tuple(float(v) for v in extent), seed)


def _int_option(options: dict, key: str, default: int, bounds: tuple[int, int]) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"prior view: '{key}' must be an integer in [{bounds[0]}, {bounds[1]}], got {value!r:.60}")
    return value


def describe_network(spec: dict) -> str:
    """'2-256-1 · tanh · 1,025 weights': the widths, the activations and the parameter count."""
    net = Network.from_spec(copy.deepcopy(spec))
    widths = [str(net.input_shape[0])] + [str(layer.output_shape[-1]) for layer in net.layers.values()
                                          if layer.type == "dense"]  # fmt: skip
    acts = sorted({ACTIVATION_NAMES.get(layer.type, layer.type) for layer in net.layers.values()
                   if not layer.params and layer.type != "flatten"})  # fmt: skip
    parts = ["-".join(widths) if len(widths) <= 5 else f"{widths[0]}-{widths[1]}×{len(widths) - 2}-{widths[-1]}"]
    if acts:
        parts.append(", ".join(acts))
    parts.append(f"{net.num_parameters():,d} weights")
    return " · ".join(parts)

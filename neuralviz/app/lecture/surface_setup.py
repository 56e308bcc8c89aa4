"""What a loss-surface scene asks for (SurfaceSetup, read from scene.preset and scene.options) and the state
its worker steps (the plane built from it, and Walk: every run on that plane in lockstep).

Plain data and numpy only, no Qt: the setup crosses from the GUI thread to the worker, and both halves are
tested without a window. The options themselves are documented in surface_view.py, where a scene author
looks for them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ...lecture.scene import Scene
from ...network import Network
from ...presets import load_dataset
from ...viz.surface import MAX_SURFACE_RESOLUTION, Descent, ParameterPlane, random_direction

__all__ = ["SurfaceSetup", "Walk", "read_setup", "build_plane", "default_axes", "DEFAULT_PRESET", "MAX_RUNS"]

# one tanh neuron without biases fitting y = sin(πx/2): its two weights are the whole network
DEFAULT_PRESET = {
    "network": {
        "format": "neuralviz.network/1",
        "name": "one-tanh-neuron",
        "input_shape": [1],
        "layers": [
            {"id": "h", "type": "dense", "units": 1, "bias": False},
            {"id": "a", "type": "tanh"},
            {"id": "out", "type": "dense", "units": 1, "bias": False},
        ],
    },
    "dataset": {"name": "sine", "options": {"frequency": 0.5}},
    "training": {"loss": "mse"},
}
DEFAULT_OPTIONS = {
    "axes": ["h.weight[0,0]", "out.weight[0,0]"],
    "labels": ["w (input → hidden)", "v (hidden → output)"],
    "range": [[-4.0, 4.0], [-3.0, 3.0]],
    "start": [3.5, -1.0],
    "runs": [{"label": "plain", "lr": 1.2}, {"label": "momentum", "lr": 0.1, "momentum": 0.9}],
}
MAX_RUNS = 4  # the view has one colour per run (surface_view.RUN_COLOURS)


@dataclass(frozen=True)
class SurfaceSetup:
    """Everything the worker needs to build the plane and the runs (plain data: it crosses threads)."""

    preset: dict
    axes: tuple | str
    slice_seed: int
    labels: tuple[str, str] | None
    range: tuple[tuple[float, float], tuple[float, float]] | None
    start: tuple[float, float] | None
    runs: tuple[dict, ...]
    resolution: int
    speed: int


def read_setup(scene: Scene) -> SurfaceSetup:
    """scene.preset and scene.options -> SurfaceSetup; a ValueError naming the first bad option."""
    preset = scene.preset if scene.preset is not None else DEFAULT_PRESET
    if not isinstance(preset, dict) or not isinstance(preset.get("network"), dict):
        raise ValueError("surface view: the scene's preset needs a 'network' spec")
    options = {**(DEFAULT_OPTIONS if scene.preset is None else {}), **(scene.options or {})}
    axes = options.get("axes")
    if axes is None:
        axes = default_axes(preset["network"])
    if not (axes == "random" or (isinstance(axes, list) and len(axes) == 2 and all(isinstance(a, str) for a in axes))):
        raise ValueError(f"surface view: 'axes' must be two weight names or \"random\", got {axes!r:.80}")
    return SurfaceSetup(
        preset=preset,
        axes=axes if axes == "random" else tuple(axes),
        slice_seed=_int(options, "slice_seed", 0, 2**31),
        labels=_pair(options, "labels", str),
        range=_range(options),
        start=_pair(options, "start", float),
        runs=_runs(options),
        resolution=_int(options, "resolution", 61, MAX_SURFACE_RESOLUTION, low=5),
        speed=_int(options, "speed", 1, 10_000, low=0),
    )


def _runs(options: dict) -> tuple[dict, ...]:
    """options["runs"] -> ({"label", "lr", "momentum"}, ...), every run checked (lr > 0, momentum in [0, 1))."""
    runs = options.get("runs", [{"label": "plain", "lr": 0.1}])
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RUNS or not all(isinstance(r, dict) for r in runs):
        raise ValueError(f"surface view: 'runs' must be a list of 1-{MAX_RUNS} objects with 'label', 'lr', 'momentum'")
    parsed = tuple(
        {
            "label": str(r.get("label", f"run {i + 1}")),
            "lr": _number(r, "lr", 0.1),
            "momentum": _number(r, "momentum", 0.0),
        }
        for i, r in enumerate(runs)
    )
    for run in parsed:
        if run["lr"] <= 0 or not 0.0 <= run["momentum"] < 1.0:
            raise ValueError(f"surface view: run {run['label']!r} needs lr > 0 and momentum in [0, 1), got {run}")
    return parsed


def default_axes(spec: dict) -> list[str]:
    """The first entry of the first and of the last parameter: a weight of the first and of the last layer."""
    params = Network.from_spec(copy.deepcopy(spec)).parameters()
    if len(params) < 2:
        raise ValueError("surface view: the network has one parameter array; name two weights in 'axes'")
    return [f"{p.name}[{', '.join('0' for _ in p.value.shape)}]" for p in (params[0], params[-1])]


def _number(obj: dict, key: str, default: float) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"surface view: a run's '{key}' must be a number, got {value!r:.60}")
    return float(value)


def _int(options: dict, key: str, default: int, high: int, low: int = 0) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"surface view: '{key}' must be an integer in [{low}, {high}], got {value!r:.60}")
    return value


def _pair(options: dict, key: str, kind: type):
    value = options.get(key)
    if value is None:
        return None
    ok = isinstance(value, list) and len(value) == 2
    if ok and kind is float:
        ok = all(not isinstance(v, bool) and isinstance(v, (int, float)) and np.isfinite(v) for v in value)
    if not ok or (kind is str and not all(isinstance(v, str) for v in value)):
        raise ValueError(f"surface view: '{key}' must be a list of two {kind.__name__}s, got {value!r:.80}")
    return tuple(kind(v) for v in value)


def _range(options: dict):
    value = options.get("range")
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, list) for v in value)):
        raise ValueError(f"surface view: 'range' must be [[a min, a max], [b min, b max]], got {value!r:.80}")
    return _pair({"range[0]": value[0]}, "range[0]", float), _pair({"range[1]": value[1]}, "range[1]", float)


# ---------------------------------------------------------------------- the plane and the runs on it
def build_plane(setup: SurfaceSetup):
    """(plane, start, axis labels, ranges) for a setup: the preset's network (float64, seed 0) on its
    training split with its loss."""
    preset = setup.preset
    if not isinstance(preset, dict) or not isinstance(preset.get("network"), dict):
        raise ValueError("surface view: the scene's preset needs a 'network' spec")
    ds = load_dataset(preset.get("dataset") or {}, 0, "surface view")
    loss = (preset.get("training") or {}).get("loss") or ds.default_loss
    net = Network.from_spec(copy.deepcopy(preset["network"]), seed=0, dtype="float64")
    if setup.axes == "random":
        axes = [random_direction(net, setup.slice_seed), random_direction(net, setup.slice_seed + 1)]
    else:
        axes = list(setup.axes)
    plane = ParameterPlane(net, ds.x_train, ds.targets(loss), loss, axes)
    start = setup.start if setup.start is not None else plane.start
    labels = setup.labels if setup.labels is not None else tuple(plane.labels)
    ranges = setup.range if setup.range is not None else tuple((s - 3.0, s + 3.0) for s in start)
    return plane, start, labels, ranges


class Walk:
    """Every run of a scene on one plane, stepped in lockstep; `step` counts lockstep steps."""

    def __init__(self, plane: ParameterPlane, runs: tuple[dict, ...], start, lr_scale: float):
        self.plane = plane
        self.step = 0
        self.descents = [Descent(plane, start, r["lr"] * lr_scale, r["momentum"]) for r in runs]

    def advance(self) -> None:
        self.step += 1
        for d in self.descents:
            d.step(1)

    def loss(self) -> float | None:
        """The largest current loss of the runs still going (None when every run diverged)."""
        alive = [d.losses[-1] for d in self.descents if not d.diverged]
        return max(alive) if alive else None

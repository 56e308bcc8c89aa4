"""The immutable objects the training worker hands to the views.

The worker thread owns the network; the GUI thread only ever sees these objects. Every array in them is
a private, read-only copy, so a view can keep a snapshot as long as it likes while training goes on.

* RunInfo   what stays fixed for one configuration (structure of the net, the data points, the grid)
* Snapshot  one frame: counters, metrics, curve history, weights, output map and neuron maps
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..settings import StudioSettings


def frozen(a: np.ndarray) -> np.ndarray:
    """A read-only copy (views may keep it while the worker changes the original)."""
    out = np.array(a, copy=True)
    out.flags.writeable = False
    return out


# ---------------------------------------------------------------------------------------------- structure
@dataclass(frozen=True)
class NeuronColumn:
    """One column of the MLP diagram: the inputs, a hidden layer or the output layer.

    map_layer: the layer whose output is drawn in the neurons (the activation after the dense layer);
    dense_id: the dense layer whose weights lead into this column (None for the inputs);
    names: one label per neuron; active: for the inputs of 2-D data, which Playground features are fed in
    (inactive ones are drawn faded and have no edges).
    """

    title: str
    map_layer: str
    dense_id: str | None
    names: tuple[str, ...]
    active: tuple[bool, ...]

    @property
    def units(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class LayerBlock:
    """One layer of a non-MLP network, drawn as a block: id, type, output shape, parameter count."""

    id: str
    type: str
    inputs: tuple[str, ...]
    output_shape: tuple[int, ...]
    params: int
    detail: str = ""


@dataclass(frozen=True)
class NetStructure:
    kind: str  # "mlp" (neuron diagram) or "blocks"
    columns: tuple[NeuronColumn, ...] = ()
    blocks: tuple[LayerBlock, ...] = ()
    input_shape: tuple[int, ...] = ()
    parameters: int = 0
    summary: str = ""


# ---------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class DataView:
    """The points the output view draws (2-D points, or x/y pairs for 1-D regression)."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@dataclass(frozen=True)
class RunInfo:
    """What stays fixed while one configuration trains (a new object whenever it changes)."""

    serial: int
    settings: StudioSettings
    kind: str  # dataset kind: planar | regression | image | sequence
    task: str
    loss: str
    num_classes: int | None
    class_names: tuple[str, ...]
    structure: NetStructure
    data: DataView
    extent: tuple[float, float, float, float] = (-6.0, 6.0, -6.0, 6.0)  # planar: x1 min/max, x2 min/max
    feature_maps: Mapping[str, np.ndarray] = field(default_factory=dict)  # planar: feature -> (h, w)
    line_x: np.ndarray | None = None  # regression: the x values of the curves
    notice: str = ""  # what the run changed on its own (said in the status bar)
    fast_path: bool = False  # the trainer's path: the fused C++ kernel (True) or layer by layer
    path_reason: str = ""  # why the trainer takes that path (trainer.path_reason)

    @property
    def is_binary(self) -> bool:
        return self.num_classes == 2


# ---------------------------------------------------------------------------------------------- frames
@dataclass(frozen=True)
class CurveHistory:
    """Metric curves, one point per evaluation (thinned to a bounded length on long runs)."""

    epoch: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass(frozen=True)
class Samples:
    """Predictions on a few test examples (image and sequence data)."""

    images: np.ndarray | None  # (k, H, W) in [0, 1], or None for sequences
    texts: tuple[str, ...]  # one caption per example
    correct: tuple[bool | None, ...]  # None where "correct" does not apply (regression)


@dataclass(frozen=True)
class Snapshot:
    info: RunInfo
    step: int
    epoch: float
    steps_per_second: float
    playing: bool
    metrics: Mapping[str, float | None]
    history: CurveHistory
    params: Mapping[str, np.ndarray]
    output_map: np.ndarray | None = None  # planar: (H, W) p(class 1), or (K, H, W) probabilities
    neuron_maps: Mapping[str, np.ndarray] = field(default_factory=dict)  # map_layer -> (units, h, w) / (units, n)
    curve: np.ndarray | None = None  # regression: prediction at info.line_x
    samples: Samples | None = None
    final: bool = False  # last frame of a "train N steps" request
    serial: int = 0
    # MLPs: how the last training step changed each parameter (name -> array like params); for plain SGD
    # this is -lr x the gradient, what backpropagation computed for that step (the diagram can draw it)
    step_delta: Mapping[str, np.ndarray] = field(default_factory=dict)

"""Problem: the data every run of a comparison trains on, with the studio's network spec.

Built from the studio's settings through TrainingRun (so the comparison sees exactly the network, loss,
features and points the studio trains: same spec fitting, same clicked points), then turned into float64
network inputs, optionally in "bad units" (a preset's input transform x·scale + shift per feature: the same
problem, badly scaled). Pure numpy, no Qt; immutable once built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import data as nvdata
from ...compare import apply_input_transform
from ...viz.grid import input_grid
from ..common.snapshot import DataView, frozen
from ..settings import StudioSettings
from ..studio.training_run import GRID, TrainingRun

EVAL_LIMIT = 1000  # the loss curves are measured on at most this many training examples
FLOAT32_ABOVE = 50_000  # parameters: bigger networks race in float32 (float64 keeps invariance visible)


@dataclass(frozen=True)
class Problem:
    title: str
    spec: dict  # the network spec as the studio fitted it
    loss: str
    kind: str  # planar | regression | image | sequence
    num_classes: int | None
    class_names: tuple[str, ...]
    parameters: int
    dtype: str
    x_train: np.ndarray  # network inputs (transformed when scaled)
    y_train: np.ndarray  # what the loss takes
    x_eval: np.ndarray
    y_eval: np.ndarray
    batch_size: int
    points: DataView  # raw points, as the maps draw them
    extent: tuple[float, float, float, float]
    grid: np.ndarray | None  # planar: (GRID*GRID, features) network inputs over the plane
    line_x: np.ndarray | None  # 1-D regression: x values of the fitted curves
    line_inputs: np.ndarray | None
    transform: dict | None  # the bad scaling applied to the inputs (None: as given)
    transform_text: str
    feature_names: tuple[str, ...]
    notice: str = ""

    @property
    def has_map(self) -> bool:
        return self.grid is not None or self.line_inputs is not None


def _transform_fits(transform: dict | None, features: int) -> bool:
    if transform is None:
        return True
    return all(np.size(transform.get(k, 1.0)) in (1, features) for k in ("scale", "shift"))


def describe_transform(transform: dict | None, names: tuple[str, ...]) -> str:
    """ "x1 → 4·x1 + 5, x2 → 0.04·x2" for the status line."""
    if transform is None:
        return ""
    d = len(names)
    scale = np.broadcast_to(np.asarray(transform.get("scale", 1.0), dtype=np.float64), (d,))
    shift = np.broadcast_to(np.asarray(transform.get("shift", 0.0), dtype=np.float64), (d,))
    parts = []
    for name, a, c in zip(names, scale, shift):
        if a == 1.0 and c == 0.0:
            continue
        term = f"{a:g}·{name}" if a != 1.0 else name
        parts.append(f"{name} → {term}" + (f" {'+' if c > 0 else '−'} {abs(c):g}" if c else ""))
    return ", ".join(parts)


def build_problem(settings: StudioSettings, transform: dict | None = None, batch_size: int | None = None) -> Problem:
    """The studio's configuration as a comparison problem (raises like the studio on a bad one).

    batch_size None: the studio's minibatch size; 0: full batch (where the theory's statements hold)."""
    run = TrainingRun(settings)
    notices = list(run.notices)
    params = run.net.num_parameters()
    dtype = "float64" if params <= FLOAT32_ABOVE else "float32"
    if run.kind == "planar":
        names = tuple(run.features)
        x = nvdata.expand_features(np.asarray(run.points.train_x, dtype=np.float64), run.features)
    else:
        names = tuple(run.ds.feature_names or [])
        x = np.asarray(run.x_train, dtype=np.float64)
    if transform is not None and (x.ndim != 2 or not _transform_fits(transform, x.shape[1])):
        notices.append("the preset's input scaling does not fit these inputs; inputs left as they are")
        transform = None
    x = apply_input_transform(x, transform).astype(dtype)
    y = run.y_train.astype(dtype) if run.y_train.dtype.kind == "f" else run.y_train
    grid = line_x = line_inputs = None
    if run.kind == "planar":  # the studio's grid over the plane (row = x2, drawn upwards; column = x1)
        grid = frozen(apply_input_transform(input_grid(run.extent, GRID, run.features), transform).astype(dtype))
    elif run.line_x is not None:
        line_x = run.line_x
        line_inputs = np.asarray(line_x, dtype=np.float64)[:, None]
        line_inputs = frozen(apply_input_transform(line_inputs, transform).astype(dtype))
    n = len(x)
    batch = n if batch_size == 0 else max(1, min(int(batch_size or settings.batch_size), n))
    info = run.info
    return Problem(
        title=settings.title or run.net.spec.get("name", "network"),
        spec=run.net.to_spec(),
        loss=run.loss,
        kind=run.kind,
        num_classes=info.num_classes,
        class_names=info.class_names,
        parameters=params,
        dtype=dtype,
        x_train=frozen(x),
        y_train=frozen(y),
        x_eval=frozen(x[:EVAL_LIMIT]),
        y_eval=frozen(y[:EVAL_LIMIT]),
        batch_size=batch,
        points=run.points,
        extent=run.extent,
        grid=grid,
        line_x=line_x,
        line_inputs=line_inputs,
        transform=transform,
        transform_text=describe_transform(transform, names or ("x",)),
        feature_names=names,
        notice="; ".join(notices),
    )

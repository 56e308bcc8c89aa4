"""Workbench: what the feature-map worker thread holds for one studio configuration (no Qt).

It rebuilds the studio's run from the same settings (TrainingRun is a pure function of them: same data,
same network), then keeps two private copies of the network (one probes single inputs every frame, one
sweeps the test set), the test images, and the fully connected twin. The GUI learns the fixed parts through
a PageContext.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..common.snapshot import RunInfo, frozen
from ..studio.training_run import TrainingRun
from .fc_twin import FullyConnectedTwin
from .probe import MapLayer, Probe
from .sweep import DatasetSweep


@dataclass(frozen=True)
class PageContext:
    serial: int
    map_layers: tuple[MapLayer, ...]
    filter_shapes: Mapping[str, tuple[int, int, int, int]]  # conv id -> (out, in, kh, kw)
    class_names: tuple[str, ...]
    input_shape: tuple[int, int, int]
    test_images: np.ndarray  # (N, C, H, W)
    test_labels: np.ndarray  # (N,)
    max_shift: int  # the translation controls go ±max_shift
    cnn_description: str
    twin_description: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def unsupported_reason(info: RunInfo) -> str | None:
    """Why this page cannot show a run (None when it can): it needs images, classes and conv layers."""
    if info.kind != "image":
        return (
            f"The feature-map view shows convolutional networks on images; {info.settings.dataset} holds "
            f"{info.kind} data."
        )
    if not info.num_classes:
        return f"The feature-map view needs a classification task; {info.settings.dataset} is {info.task}."
    if not any(b.type == "conv2d" for b in info.structure.blocks):
        return "This network has no convolution layers, so it has no feature maps or filters to show."
    return None


class Workbench:
    def __init__(self, info: RunInfo):
        reason = unsupported_reason(info)
        if reason:
            raise ValueError(reason)
        run = TrainingRun(info.settings, serial=info.serial)
        self.serial = info.serial
        self.loss = run.loss
        spec, dtype = run.net.to_spec(), str(run.net.dtype)
        self.probe = Probe(spec, run.loss, dtype)
        self.sweep = DatasetSweep(Probe(spec, run.loss, dtype), run.x_test, run.labels_test)
        self.twin = FullyConnectedTwin(
            tuple(run.net.input_shape),
            int(run.ds.num_classes),
            run.net.num_parameters(),
            run.x_train,
            run.labels_train,
            batch_size=run.batch_size,
            seed=int(info.settings.seed),
        )
        net = self.probe.net
        filters = {
            e["id"]: tuple(net.layers[e["id"]].params["weight"].value.shape) for e in net.order if e["type"] == "conv2d"
        }
        self.context = PageContext(
            serial=info.serial,
            map_layers=self.probe.layers,
            filter_shapes=filters,
            class_names=tuple(info.class_names),
            input_shape=tuple(net.input_shape),
            test_images=frozen(run.x_test),
            test_labels=frozen(run.labels_test),
            max_shift=int(self.sweep.shifts[-1]),
            cnn_description=f"convolutional: {len(self.probe.layers)} conv/pool layers "
            f"({net.num_parameters():,d} weights)",
            twin_description=self.twin.description,
        )

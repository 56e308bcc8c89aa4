"""ActivityThumbnails: what each layer of the studio's running network does, as small pictures.

From a snapshot (an immutable copy of the weights) it rebuilds the network once per configuration, loads
the weights and runs one probe batch:

* 2-D points: the grid over the input plane, so each unit's picture is a heat-map of its activation over
  the plane (as the Playground's neurons);
* 1-D regression: the line of x values, each unit drawn as its curve;
* images and sequences: one test example, each channel drawn as its feature map (a sequence layer as a
  time × units map, a vector as a square of its values).

Colours are the studio's diverging map (orange negative, white zero, blue positive), readable by
colour-blind viewers. Up to MAX_PICTURES per layer.

The probe runs the network, so it runs in a ThumbnailWorker (a WorkerHost's thread), never in the GUI
thread: the page hands it the newest snapshot and draws the ActivityPictures it sends back (QImages may be
made in any thread).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QPointF, Qt, pyqtSlot
from PyQt6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

from ... import data as nvdata
from ...network import Network
from ...spec import INPUT, normalise
from ...viz.grid import input_grid
from ..common.frame_worker import HostedWorker
from ..common.render import HeatmapPainter, neuron_scale, to_qimage
from ..common.snapshot import Snapshot
from ..common.spec_edit import fit_io
from ..common.theme import Theme

GRID = 40
MAX_PICTURES = 4
CURVE_SIDE = 64

# run layer id -> (pictures, how many units/channels there are, "unit" | "channel" | "", note)
Pictures = dict[str, tuple[list[QImage], int, str, str]]


class ActivityThumbnails:
    def __init__(self, theme: Theme):
        self.painter = HeatmapPainter(theme)
        self.theme = theme
        self._serial: int | None = None
        self._net: Network | None = None
        self._probe: np.ndarray | None = None
        self._kind = ""
        self.types: dict[str, str] = {}  # run layer id -> type, of the network last probed
        self.shapes: dict[str, tuple] = {}  # run layer id -> output shape
        self.order: list[str] = []  # run layer ids in spec order

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)

    # ------------------------------------------------------------------ the network of a run
    def _prepare(self, snap: Snapshot) -> None:
        info = snap.info
        spec = normalise(info.settings.network)
        if info.kind == "planar":
            features = [f for f in nvdata.PLAYGROUND_FEATURES if f in info.settings.features]
            input_shape = (len(features),)
        else:
            input_shape = tuple(info.data.train_x.shape[1:])
        out_id = spec["output"]
        weight = snap.params.get(f"{out_id}.weight")
        units = int(weight.shape[0]) if weight is not None and weight.ndim == 2 else None
        self._net = Network.from_spec(fit_io(spec, input_shape, units), seed=info.settings.seed)
        self.types = {lid: layer.type for lid, layer in self._net.layers.items()}
        self.shapes = {lid: tuple(layer.output_shape) for lid, layer in self._net.layers.items()}
        self.shapes[INPUT] = tuple(self._net.input_shape)
        self.order = [l["id"] for l in spec["layers"]]
        self._kind = info.kind
        if info.kind == "planar":  # the studio's plane: row = x2, column = x1 (drawn flipped: x2 up)
            self._probe = input_grid(info.extent, GRID, features).astype(np.float32)
        elif info.kind == "regression" and info.line_x is not None:
            self._probe = np.asarray(info.line_x, dtype=np.float32)[:, None]
        else:
            source = info.data.test_x if len(info.data.test_x) else info.data.train_x
            self._probe = np.asarray(source[:1])
        self._serial = info.serial

    # ------------------------------------------------------------------ pictures
    def compute(self, snap: Snapshot) -> Pictures:
        """Pictures for every layer of the run (and its input), from this snapshot's weights."""
        if snap.info.serial != self._serial:
            self._prepare(snap)
        net = self._net
        net.load_state_dict(dict(snap.params))
        net.forward(self._probe, train=False)
        pictures: Pictures = {}
        for lid, values in net.outputs.items():
            pictures[lid] = self._pictures(np.asarray(values, dtype=np.float32), lid == INPUT)
        return pictures

    def _pictures(self, values: np.ndarray, is_input: bool) -> tuple[list[QImage], int, str, str]:
        if self._kind == "planar":
            maps = values.reshape(GRID, GRID, -1)
            units = maps.shape[-1]
            shown = [self._heat(maps[..., k], flip=True) for k in range(min(units, MAX_PICTURES))]
            return shown, units, "feature" if is_input else "unit", ""
        if self._kind == "regression" and values.ndim == 2:
            units = values.shape[1]
            return [self._curve(values[:, k]) for k in range(min(units, MAX_PICTURES))], units, "unit", ""
        sample = values[0]
        if sample.ndim == 3:  # (channels, height, width)
            channels = sample.shape[0]
            shown = [self._heat(sample[c], grey=is_input) for c in range(min(channels, MAX_PICTURES))]
            return shown, channels, "channel", ""
        if sample.ndim == 2:  # (time, features): units down, time across
            what = "features" if is_input else "units"
            return [self._heat(sample.T)], 1, "", f"{sample.shape[1]} {what} × {sample.shape[0]} steps"
        flat = sample.reshape(-1)  # a vector: its values as a small square
        side = math.ceil(math.sqrt(flat.size))
        square = np.full(side * side, np.nan, dtype=np.float32)
        square[: flat.size] = flat
        note = f"{flat.size} value{'s' * (flat.size != 1)}"
        return [self._heat(np.nan_to_num(square.reshape(side, side)))], 1, "", note

    def _heat(self, values: np.ndarray, flip: bool = False, grey: bool = False) -> QImage:
        values = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        if grey:
            lo, hi = float(values.min()), float(values.max())
            g = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
            rgba = np.empty(values.shape + (4,), dtype=np.uint8)
            rgba[..., :3] = (255 * (1.0 - g))[..., None].astype(np.uint8)  # dark strokes on white
            rgba[..., 3] = 255
            return to_qimage(rgba, flip=flip)
        return to_qimage(self.painter.diverging(values, neuron_scale(values)), flip=flip)

    def _curve(self, values: np.ndarray) -> QImage:
        image = QImage(CURVE_SIDE, CURVE_SIDE, QImage.Format.Format_RGB32)
        image.fill(QColor("#ffffff"))
        scale = neuron_scale(values)
        v = np.clip(np.nan_to_num(values / scale), -1.0, 1.0)
        xs = np.linspace(2, CURVE_SIDE - 2, len(v))
        ys = CURVE_SIDE / 2 - v * (CURVE_SIDE / 2 - 3)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor("#d0d7de"), 1.0))
        p.drawLine(0, CURVE_SIDE // 2, CURVE_SIDE, CURVE_SIDE // 2)
        p.setPen(QPen(QColor(self.theme.positive), 2.0, Qt.PenStyle.SolidLine))
        p.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys)]))
        p.end()
        return image


# ---------------------------------------------------------------------------------------------- the worker
@dataclass(frozen=True)
class ActivityPictures:
    """One probe's pictures, with what they belong to: the run's layers (ids, types, output shapes)."""

    serial: int  # the studio configuration
    step: int  # the training step of the weights
    pictures: Pictures
    types: dict[str, str]
    shapes: dict[str, tuple]
    order: tuple[str, ...]
    seconds: float  # what the probe cost (the page spaces its requests by it)


class ThumbnailWorker(HostedWorker):
    """Probes the newest snapshot the page hands over (`pending`, then a queued wake) and sends the
    pictures as a frame; older snapshots are dropped unprobed, so requests never queue up."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.thumbnails = ActivityThumbnails(theme)
        self.pending: Snapshot | None = None  # written by the GUI thread, taken here

    @pyqtSlot()
    def wake(self) -> None:
        snap, self.pending = self.pending, None
        if snap is None:
            return
        start = time.perf_counter()
        try:
            pictures = self.thumbnails.compute(snap)
        except Exception as err:  # noqa: BLE001 - a view must never take the page down
            self.failed.emit(str(err))
            return
        t, cost = self.thumbnails, time.perf_counter() - start
        info = (dict(t.types), dict(t.shapes), tuple(t.order))
        self._send(ActivityPictures(snap.info.serial, snap.step, pictures, *info, cost))

    def set_theme(self, theme: Theme) -> None:
        self.thumbnails.set_theme(theme)

"""The layers scene's engine side: the preset's network trained in chunks, and every hidden neuron's map.

LayersModel trains exactly as presets.train would (presets.build: the same dataset, network, optimizer and
batch stream; Trainer.train_steps continues the stream across chunks) and, after each chunk, runs the network
once over a grid of the input plane and reads every hidden layer's post-activation output (net.outputs).
LayersWorker runs it in a WorkerHost thread (a FrameWorker: play, pause, train_for; frames only once the GUI
has drawn the last one) and hands the GUI LayersFrames: copies, never the network's own buffers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import pyqtSlot

from ... import presets
from ...viz.grid import input_grid, square_extent
from ...viz.prior import auto_contrast
from ..common.error_text import describe_error
from ..common.frame_worker import FrameWorker

__all__ = ["LayersModel", "LayersFrame", "LayersWorker", "hidden_layers", "OPTIONS", "read_options"]

FRAME_RATE = 15.0
SMOOTH = 100  # the loss shown is the mean over the last this many steps (one batch's loss is noise)
OPTIONS = {"resolution": 64, "speed": 24, "seed": 0}
UNIT_NAMES = {"relu": "ReLUs", "tanh": "tanh units", "sigmoid": "sigmoids", "leaky_relu": "leaky ReLUs"}


def read_options(options: dict) -> dict:
    """The scene's options with their defaults; ValueError naming a bad one."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"layers view: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
    out = dict(OPTIONS, **options)
    for key, low, high in (("resolution", 8, 256), ("speed", 1, 10_000), ("seed", 0, 2**31)):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"layers view: option {key!r} must be an integer in [{low}, {high}], got {value!r:.40}")
    return out


def hidden_layers(net) -> list[tuple[str, str]]:
    """(layer id, label such as '16 ReLUs') of every hidden layer's post-activation output, in order: the
    layers without parameters (the activations) whose output is one vector per example, the output excluded."""
    found = []
    for entry in net.order:
        layer = net.layers[entry["id"]]
        if entry["id"] == net.output_id or layer.param_count() or len(layer.output_shape) != 1:
            continue
        units = layer.output_shape[0]
        found.append((entry["id"], f"{units} {UNIT_NAMES.get(layer.type, layer.type + ' units')}"))
    return found


@dataclass(frozen=True)
class LayersFrame:
    step: int
    budget: int
    loss: float | None  # mean of the last SMOOTH steps' losses
    maps: tuple[np.ndarray, ...]  # per hidden layer (units, res, res), then the output: float32 in [-1, 1]
    playing: bool = False
    final: bool = False


class LayersModel:
    """The preset's network and its trainer, and the grid its maps are drawn on."""

    def __init__(self, preset: dict, options: dict, budget: int):
        o = read_options(options)
        self.setup = presets.build(preset, o["seed"], where="layers view")
        net = self.setup.network
        if tuple(net.input_shape) != (2,):
            raise ValueError(f"layers view: the network must take 2 inputs (x1, x2), not shape {net.input_shape}")
        self.hidden = hidden_layers(net)
        if not self.hidden:
            raise ValueError("layers view: the network has no hidden layer to show")
        self.setup.trainer.check_dataset(self.setup.dataset)
        self.resolution = o["resolution"]
        self.grid = input_grid(square_extent(self.setup.dataset.x_train), self.resolution)
        self.budget = budget
        self.losses: list[float] = []
        self.step = 0

    def advance(self, k: int) -> None:
        k = min(k, self.budget - self.step)
        if k <= 0:
            return
        ds, s = self.setup.dataset, self.setup
        self.losses.extend(s.trainer.train_steps(ds.x_train, ds.y_train, k, s.batch_size).tolist())
        self.losses = self.losses[-SMOOTH:]
        self.step += k

    def maps(self) -> tuple[np.ndarray, ...]:
        """Each hidden neuron's map auto-contrasted (its shape, not its amplitude, is the point), then the
        output: the probability of class 1 on a fixed scale for one logit under bce, else auto-contrasted."""
        net = self.setup.network
        out = self._planes(net.forward(self.grid))
        hidden = [auto_contrast(self._planes(net.outputs[i])) for i, _ in self.hidden]
        if len(out) == 1 and self.setup.trainer.loss_name == "bce":
            final = np.tanh(out / 2)  # = 2 sigmoid(z) - 1
        else:
            final = auto_contrast(out)
        return tuple(m.astype(np.float32) for m in (*hidden, final))

    def _planes(self, values: np.ndarray) -> np.ndarray:
        """(grid points, units) -> (units, res, res), rows flipped so that x2 points up on screen."""
        n = self.resolution
        return np.asarray(values, dtype=np.float64).T.reshape(-1, n, n)[:, ::-1, :]

    def frame(self, playing: bool, final: bool) -> LayersFrame:
        loss = float(np.mean(self.losses)) if self.losses else None
        return LayersFrame(self.step, self.budget, loss, self.maps(), playing, final)


class LayersWorker(FrameWorker):
    def __init__(self):
        super().__init__(speed=OPTIONS["speed"])
        self.model: LayersModel | None = None

    def _model(self):
        return self.model

    @pyqtSlot(object, object, int)
    def configure(self, preset: dict, options: dict, budget: int) -> None:
        """Fresh weights, step 0, paused."""
        self._halt()
        try:
            self.model = LayersModel(preset, options, budget)
        except Exception as err:  # noqa: BLE001 - every failure must reach the view, not kill the thread
            self.model = None
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self._emit(force=True)

    @pyqtSlot()
    def _tick(self) -> None:
        budget = self.model.budget if self.model is not None else None
        self.tick_steps(256 if self._flat_out else max(1, self._speed), budget)

    def _train(self, steps: int) -> bool:
        try:
            self.model.advance(max(0, steps))
        except Exception as err:  # noqa: BLE001 - a diverged run pauses and says why
            self._halt()
            self.failed.emit(describe_error(err, with_trace=False))
            return False
        return True

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.model is None or not self._frame_due(force, FRAME_RATE):
            return
        now = time.perf_counter()
        self._send(self.model.frame(self._playing, final), now)

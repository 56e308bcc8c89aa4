"""Passes over the whole test set (no Qt): confusion matrix, each channel's response to every test image
(for "which images excite this channel most"), and test accuracy as every image slides left or right.

A sweep is a generator that does one chunk of work per next() (about CHUNK_S seconds), so the worker thread
answers the page's requests between chunks; its last value is the SweepResult. It runs on its own copy of
the network: the probe's copy is reloaded for every frame, a sweep must see one set of weights throughout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ...prediction import accuracy as accuracy_of
from ...prediction import predict_labels
from .fc_twin import FullyConnectedTwin
from .probe import Probe, translate

CHUNK_S = 0.015  # one chunk of a sweep lasts about this long
CURVE_IMAGES = 150  # test images used for the accuracy-versus-shift curves (a percent is 1.5 images)


@dataclass(frozen=True)
class SweepResult:
    serial: int
    step: int
    labels: np.ndarray  # (N,) true classes of the test images
    predictions: np.ndarray  # (N,) the CNN's classes
    confusion: np.ndarray  # (K, K) counts: row = true class, column = predicted
    channel_max: Mapping[str, np.ndarray]  # map layer id -> (N, C): each channel's peak on each image
    shifts: np.ndarray  # (S,) horizontal shifts in pixels
    shift_accuracy: np.ndarray  # (S,) CNN test accuracy with every image moved by shifts[i]
    twin_shift_accuracy: np.ndarray | None = None
    twin_epoch: float = 0.0
    seconds: float = 0.0  # what the sweep cost (the worker spaces sweeps by it)

    @property
    def accuracy(self) -> float:
        n = int(self.confusion.sum())
        return float(np.trace(self.confusion)) / n if n else 0.0


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, k: int) -> np.ndarray:
    """(k, k) int64 counts: entry [t, p] = how many images of class t were predicted as p."""
    return np.bincount(labels.astype(np.int64) * k + predictions.astype(np.int64), minlength=k * k).reshape(k, k)


def shift_range(width: int) -> np.ndarray:
    """Horizontal shifts the curves cover: about a third of the image either way (at least ±2), every
    pixel on small images and every other pixel beyond ±5 (a sweep costs one test pass per shift)."""
    s = max(2, int(round(0.35 * width)))
    step = 1 if s <= 5 else 2
    s -= s % step
    return np.arange(-s, s + 1, step)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


class DatasetSweep:
    def __init__(self, probe: Probe, x_test: np.ndarray, labels: np.ndarray):
        self.probe = probe
        self.x = np.ascontiguousarray(x_test, dtype=probe.net.dtype)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.shifts = shift_range(self.x.shape[-1])
        self._per_image_s = 1e-4  # measured as it goes; sizes the chunks

    def _chunk(self) -> int:
        return int(np.clip(CHUNK_S / self._per_image_s, 16, 4096))

    def _timed_forward(self, x: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.probe.forward(x)
        self._per_image_s = 0.7 * self._per_image_s + 0.3 * (time.perf_counter() - start) / max(1, len(x))
        return out

    def run(
        self, params: Mapping[str, np.ndarray], twin: FullyConnectedTwin | None, *, serial: int = 0, step: int = 0
    ) -> Iterator[SweepResult | None]:
        """Yields None after each chunk and the SweepResult last (its `seconds`: the compute time, not
        counting the pauses between chunks)."""
        clock = time.perf_counter()
        busy = 0.0
        self.probe.load(params)
        n, k = len(self.x), self.probe.num_classes
        predictions = np.empty(n, dtype=np.int64)
        peaks = {m.id: np.empty((n, m.channels), dtype=np.float32) for m in self.probe.layers}
        i = 0
        while i < n:
            j = min(n, i + self._chunk())
            out = self._timed_forward(self.x[i:j])
            predictions[i:j] = predict_labels(out, self.probe.loss)
            for lid, peak in peaks.items():
                peak[i:j] = self.probe.net.outputs[lid].max(axis=(2, 3))
            i = j
            busy += time.perf_counter() - clock
            yield None
            clock = time.perf_counter()
        curve_x, curve_y = self.x[:CURVE_IMAGES], self.labels[:CURVE_IMAGES]
        accuracy = np.empty(len(self.shifts))
        for s, dx in enumerate(self.shifts):
            out = self._timed_forward(translate(curve_x, int(dx), 0))
            accuracy[s] = accuracy_of(out, curve_y, self.probe.loss)
            busy += time.perf_counter() - clock
            yield None
            clock = time.perf_counter()
        twin_accuracy = None
        if twin is not None and len(curve_x):
            moved = np.concatenate([translate(curve_x, int(dx), 0) for dx in self.shifts])
            hits = twin.probabilities(moved).argmax(axis=1) == np.tile(curve_y, len(self.shifts))
            twin_accuracy = hits.reshape(len(self.shifts), -1).mean(axis=1)
        busy += time.perf_counter() - clock
        yield SweepResult(
            serial=serial,
            step=step,
            labels=_frozen(self.labels),
            predictions=_frozen(predictions),
            confusion=_frozen(confusion_matrix(self.labels, predictions, k)),
            channel_max={lid: _frozen(p) for lid, p in peaks.items()},
            shifts=_frozen(self.shifts),
            shift_accuracy=_frozen(accuracy),
            twin_shift_accuracy=None if twin_accuracy is None else _frozen(twin_accuracy),
            twin_epoch=twin.epoch if twin is not None else 0.0,
            seconds=busy,
        )

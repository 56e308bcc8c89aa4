"""ProbeWorker: the feature-map page's worker, in a WorkerHost's thread. The GUI thread never runs a network.

It answers the page's requests (weights of a snapshot + the chosen input) with ProbeResults; the newest
request wins, older ones are dropped unanswered, so a slow frame never queues up work. Between requests a
timer runs the background jobs in short slices: sweeps over the test set (confusion matrix, top images,
accuracy under translation), spaced so they take at most about a third of the time, and training of the
fully connected twin up to the studio's epoch.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np
from PyQt6.QtCore import pyqtSignal, pyqtSlot

from ..common.error_text import describe_error
from ..common.frame_worker import HostedWorker
from ..common.snapshot import RunInfo
from .probe import ProbeResult
from .sweep import SweepResult
from .workbench import Workbench

TICK_S = 0.012  # background work per timer tick, so requests wait at most about this long
SWEEP_MIN_GAP_S = 1.0  # sweeps start at most this often ...
SWEEP_DUTY = 0.2  # ... and take at most about this share of the worker's time
REPROBE_AFTER_S = 0.5  # no request for this long and the twin has trained on since: its answer is probed again


@dataclass(frozen=True)
class ProbeRequest:
    serial: int
    step: int
    epoch: float  # the studio's epoch: the twin trains up to it
    params: Mapping[str, np.ndarray]  # a snapshot's read-only weights
    image: np.ndarray  # (C, H, W) the chosen input, before translation
    shift: tuple[int, int]
    saliency_class: int | None
    request: int
    true_label: int | None = None


class ProbeWorker(HostedWorker):
    """Answers probe requests and runs the background sweeps (failed comes from HostedWorker).

    Requests are handed over as "the newest request" (`pending`: one attribute write by the GUI thread,
    safe under the GIL) plus a queued wake-up, so however fast the page asks, only the latest is computed."""

    ready = pyqtSignal(object)  # PageContext of the configuration now probed
    probed = pyqtSignal(object)  # ProbeResult
    swept = pyqtSignal(object)  # SweepResult

    def __init__(self):
        super().__init__()
        self.pending: ProbeRequest | None = None  # written by the GUI thread, taken here
        self._bench: Workbench | None = None
        self._params: Mapping[str, np.ndarray] | None = None
        self._step, self._epoch = 0, 0.0
        self._swept_params: Mapping[str, np.ndarray] | None = None
        self._swept_twin_epoch = -1.0
        self._sweep: Iterator[SweepResult | None] | None = None
        self._sweep_done_at, self._sweep_cost = -1e9, 0.0
        self._last_req: ProbeRequest | None = None  # the last request answered, and when, with which twin
        self._probed_at, self._probed_twin_epoch = 0.0, -1.0

    @pyqtSlot()
    def start(self) -> None:
        super().start()
        self._timer.setInterval(0)

    @pyqtSlot()
    def stop(self) -> None:
        super().stop()
        self._bench, self._sweep = None, None

    # ------------------------------------------------------------------ configuration
    @pyqtSlot(object)
    def configure(self, info: RunInfo) -> None:
        if self._bench is not None and self._bench.serial == info.serial:
            return
        self._bench, self._sweep, self._params, self._swept_params = None, None, None, None
        self._sweep_done_at, self._epoch, self._swept_twin_epoch = -1e9, 0.0, -1.0
        self._last_req = None
        try:
            self._bench = Workbench(info)
        except Exception as err:  # noqa: BLE001 - any failure must reach the page, not kill the thread
            self.failed.emit(describe_error(err))
            return
        self.ready.emit(self._bench.context)
        self.wake()

    # ------------------------------------------------------------------ requests
    @pyqtSlot()
    def wake(self) -> None:
        req, self.pending = self.pending, None
        bench = self._bench
        if req is None:
            return
        if bench is None or req.serial != bench.serial:
            if bench is None or req.serial > bench.serial:
                self.pending = self.pending or req  # for the configuration being set up
            return
        try:
            result = self._probe(bench, req)
        except Exception as err:  # noqa: BLE001
            self.failed.emit(describe_error(err))
            return
        self._params, self._step, self._epoch = req.params, req.step, req.epoch
        self._last_req, self._probed_at, self._probed_twin_epoch = req, time.perf_counter(), bench.twin.epoch
        self.probed.emit(result)
        if self._timer is not None and not self._timer.isActive():
            self._timer.setInterval(0)
            self._timer.start()

    def _probe(self, bench: Workbench, req: ProbeRequest) -> ProbeResult:
        bench.probe.load(req.params)
        result = bench.probe.run(
            req.image, req.shift, req.saliency_class, serial=req.serial, step=req.step, request=req.request
        )
        twin = bench.twin
        p = twin.probabilities(np.stack([result.original, result.image]))
        hidden = twin.hidden_units()
        return replace(_with_twin(result, p, hidden), true_label=req.true_label, twin_epoch=twin.epoch)

    # ------------------------------------------------------------------ background
    @pyqtSlot()
    def _tick(self) -> None:
        bench = self._bench
        if bench is None or self._params is None:
            self._timer.stop()
            return
        deadline = time.perf_counter() + TICK_S
        wait = self._sweep_slice(bench)
        try:
            behind = bench.twin.train_until(self._epoch, deadline)
        except Exception as err:  # noqa: BLE001 - e.g. the twin diverging: say so, keep the page
            self.failed.emit(f"The fully connected comparison network stopped training: {describe_error(err)}")
            behind = False
        if behind:
            wait = 0.0
        else:
            again = self._reprobe(bench)
            if again is not None:
                wait = again if wait is None else min(wait, again)
        # run again at once while there is work, wake up when the next sweep is due, or sleep
        if wait is None:
            self._timer.stop()
        else:
            self._timer.setInterval(int(1000 * wait))
            if not self._timer.isActive():
                self._timer.start()

    def _reprobe(self, bench: Workbench) -> float | None:
        """When training has stopped (no requests come) while the twin was still catching up, the answer on
        screen is the half-trained twin's: probe the last input again, so the fully connected answer agrees
        with the accuracy curve. Returns in how many seconds to look again, or None (nothing to do)."""
        req = self._last_req
        if req is None or self.pending is not None or bench.twin.epoch == self._probed_twin_epoch:
            return None
        age = time.perf_counter() - self._probed_at
        if age < REPROBE_AFTER_S:
            return REPROBE_AFTER_S - age  # requests may still be flowing: they bring the twin's answer anyway
        try:
            result = self._probe(bench, req)
        except Exception as err:  # noqa: BLE001
            self._last_req = None
            self.failed.emit(describe_error(err))
            return None
        self._probed_at, self._probed_twin_epoch = time.perf_counter(), bench.twin.epoch
        self.probed.emit(result)
        return None

    def _sweep_slice(self, bench: Workbench) -> float | None:
        """One chunk of the running sweep, or start one when due. Returns in how many seconds the worker
        should look again (0: at once), or None when no sweep is wanted."""
        now = time.perf_counter()
        if self._sweep is None:
            # new weights, or a twin that trained on since: its accuracy curve would be out of date
            stale = self._params is not self._swept_params or bench.twin.epoch != self._swept_twin_epoch
            if not stale:
                return None
            gap = max(SWEEP_MIN_GAP_S, self._sweep_cost * (1.0 / SWEEP_DUTY - 1.0))
            if now - self._sweep_done_at < gap:
                return self._sweep_done_at + gap - now
            self._swept_params, self._swept_twin_epoch = self._params, bench.twin.epoch
            self._sweep = bench.sweep.run(self._params, bench.twin, serial=bench.serial, step=self._step)
        try:
            result = next(self._sweep)
        except Exception as err:  # noqa: BLE001
            self._sweep = None
            self.failed.emit(describe_error(err))
            return None
        if result is not None:
            self._sweep = None
            self._sweep_done_at, self._sweep_cost = time.perf_counter(), result.seconds
            self.swept.emit(result)
        return 0.0


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def _with_twin(result: ProbeResult, probs: np.ndarray, hidden: np.ndarray) -> ProbeResult:
    ro = _read_only
    return replace(
        result,
        twin_probs=ro(probs[1]),
        twin_probs_original=ro(probs[0]),
        twin_hidden=ro(hidden[1]),
        twin_hidden_original=ro(hidden[0]),
    )

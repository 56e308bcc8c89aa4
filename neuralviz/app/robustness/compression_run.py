"""The compression panel's engine side: train a dense net on digits, prune a copy live, retrain it with the mask.

Han et al. (2015): nets are redundant; most weights can go once the survivors are retrained with the pruned ones
held at zero. The run trains the `compression` preset's dense net (its own budget of steps), then the panel's
slider prunes a *copy* of the trained net by magnitude (nv.prune) at any fraction, and "retrain with mask" trains
that copy for the preset's retrain_epochs with a fresh optimizer of the preset's kind and rate (as
nv.pruning.retrain does); the masks nv.prune leaves on the copy hold the pruned weights at exactly 0. The
accuracy-vs-sparsity curve before retraining is measured at CURVE_FRACTIONS once the dense net is trained; each
retraining adds a point to the curve after it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ... import optim, presets
from ...pruning import OUTPUT_CAP, nonzero_count, prune, sparsity
from ...trainer import Trainer
from .run_base import check_choice, copy_network, test_accuracy

PRESET = "compression"
CURVE_FRACTIONS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
RETRAIN_EPOCHS = 3  # when the preset's "pruning" block names none (nv.pruning.retrain's default)
SPEED = 5  # steps per tick while playing (about 30 ticks a second: the 900 steps unfold in 6 s)
SETTINGS = ("fraction", "retrain")


@dataclass(frozen=True)
class CompressionFrame:
    step: int
    limit: int
    phase: str  # "training", "trained", "retraining", "retrained"
    dense_accuracy: float
    fraction: float  # asked pruning fraction
    sparsity: float  # measured fraction of zero weights in the copy
    pruned_accuracy: float
    retrained_accuracy: float | None  # at this fraction, once retrained
    curve_before: tuple[tuple[float, float], ...]
    curve_after: tuple[tuple[float, float], ...]
    first_layer: np.ndarray  # (units, 64) weights of the copy's first dense layer (pruned ones exactly 0)
    first_mask: np.ndarray  # (units, 64) bool, True where the weight is kept
    nonzero: int
    total: int
    file_bytes: int  # the saved file (np.savez, as nv.save writes it)
    zipped_bytes: int  # the same weights compressed (zeros cost almost nothing)
    playing: bool = False
    final: bool = False


class CompressionRun:
    speed = SPEED  # steps per worker tick while playing

    def __init__(self, seed: int = 0, steps: int | None = None, preset: dict | None = None):
        """steps: the dense training's budget (default: the preset's epochs; tests take a few)."""
        self.preset = preset if preset is not None else presets.load(PRESET)
        self.seed = int(seed)
        setup = presets.build(self.preset, self.seed, where="compression")
        self.setup, self.net, self.trainer, self.ds = setup, setup.network, setup.trainer, setup.dataset
        self.loss = self.trainer.loss_name
        self.step = 0
        self.limit = setup.budget if steps is None else int(steps)
        epochs = (self.preset.get("pruning") or {}).get("retrain_epochs", RETRAIN_EPOCHS)
        self.retrain_steps = epochs * setup.steps_per_epoch if steps is None else max(1, int(steps) // 2)
        self.phase = "training"
        self.fraction = 0.9
        self.curve_before: list[tuple[float, float]] = []
        self.curve_after: dict[float, float] = {}
        self.dense_accuracy = 0.0
        self.retrainer = None
        self._prune_copy()

    # ------------------------------------------------------------------ training
    def advance(self, k: int) -> None:
        k = max(0, min(int(k), self.limit - self.step))
        if k == 0:
            return
        trainer = self.trainer if self.phase == "training" else self.retrainer
        trainer.train_steps(self.ds.x_train, self.ds.y_train, k, self.setup.batch_size)  # masks hold the zeros
        self.step += k
        if self.step >= self.limit:
            self._phase_done()

    def _phase_done(self) -> None:
        if self.phase == "training":
            self.phase = "trained"
            self.dense_accuracy = self._accuracy(self.net)
            self.curve_before = [(f, self._accuracy(self._pruned(f))) for f in CURVE_FRACTIONS]
            self._prune_copy()
        elif self.phase == "retraining":
            self.phase = "retrained"
            self.curve_after[round(self.fraction, 3)] = self._accuracy(self.pruned)

    # ------------------------------------------------------------------ commands
    def set(self, name: str, value) -> bool:
        """A panel command; True when the worker should play (a retraining was started)."""
        check_choice("compression", name, SETTINGS)
        if name == "fraction":
            fraction = float(value)
            if not 0.0 <= fraction < 1.0:
                raise ValueError(f"compression: the pruning fraction must be in [0, 1), got {value!r:.40}")
            self.fraction = fraction
            if self.phase in ("trained", "retrained"):
                self._prune_copy()
            return False
        return self._start_retraining()

    def _start_retraining(self) -> bool:
        if self.phase in ("training", "retraining"):
            raise ValueError("compression: retrain once the dense net is trained (and one retraining at a time)")
        self._prune_copy()
        training = self.preset.get("training", {})
        hparams = {k: v for k, v in training.items() if k not in ("loss", "optimizer", "batch_size", "epochs")}
        opt = optim.make(training.get("optimizer", "adam"), self.pruned, **hparams)
        self.retrainer = Trainer(self.pruned, self.loss, opt, seed=self.seed + 1)
        self.phase = "retraining"
        self.limit = self.step + self.retrain_steps
        return True

    # ------------------------------------------------------------------ pruning
    def _pruned(self, fraction: float):
        twin = copy_network(self.net)
        if fraction > 0:
            block = self.preset.get("pruning") or {}
            prune(
                twin,
                fraction,
                by="magnitude",
                scope=block.get("scope", "global"),
                output_cap=block.get("output_cap", OUTPUT_CAP),
            )
        return twin

    def _prune_copy(self) -> None:
        """The copy the panel shows: the trained net pruned at the slider's fraction (while the dense net still
        trains, the slider only sets the fraction: the copy is made when training ends)."""
        self.pruned = self._pruned(self.fraction if self.phase != "training" else 0.0)
        self.pruned_accuracy = self._accuracy(self.pruned)
        self._sizes = _file_sizes(self.pruned)  # the zeros are fixed by the mask: measured once per copy

    def _accuracy(self, net) -> float:
        return test_accuracy(net, self.ds.x_test, self.ds.y_test, self.loss)

    # ------------------------------------------------------------------ frames
    def frame(self, playing: bool = False, final: bool = False) -> CompressionFrame:
        shown = self.net if self.phase == "training" else self.pruned  # training: the dense net as it learns
        first = _first_dense(shown)
        w = first.params["weight"].value.copy()
        retrained = self.curve_after.get(round(self.fraction, 3)) if self.phase == "retrained" else None
        if self.phase == "retraining":
            retrained = self._accuracy(self.pruned)
        return CompressionFrame(
            step=self.step,
            limit=self.limit,
            phase=self.phase,
            dense_accuracy=self.dense_accuracy if self.phase != "training" else self._accuracy(self.net),
            fraction=self.fraction,
            sparsity=float(sparsity(shown)),
            pruned_accuracy=self.pruned_accuracy,
            retrained_accuracy=retrained,
            curve_before=tuple(self.curve_before),
            curve_after=tuple(sorted(self.curve_after.items())),
            first_layer=w,
            first_mask=w != 0,
            nonzero=int(nonzero_count(shown)),
            total=int(shown.num_parameters()),
            **self._sizes,
            playing=playing,
            final=final,
        )


def _first_dense(net):
    for entry in net.order:
        if entry["type"] == "dense":
            return net.layers[entry["id"]]
    raise ValueError("compression: the network has no dense layer to show")


def _file_sizes(net) -> dict:
    """Bytes of the weights saved as nv.save does (np.savez) and compressed (np.savez_compressed)."""
    state = net.state_dict()
    plain, packed = io.BytesIO(), io.BytesIO()
    np.savez(plain, **state)
    np.savez_compressed(packed, **state)
    return {"file_bytes": plain.tell(), "zipped_bytes": packed.tell()}

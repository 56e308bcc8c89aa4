"""Races: several networks trained side by side, in lockstep, on the same batches.

A preset with "runs" (see neuralviz/presets.py) names the contenders, e.g. depth.json's
"shallow" and "deep". Every run is built exactly as presets.train builds a preset (same seed,
same initial weights, same optimizer), and every run's trainer reads its own BatchStream
seeded with the race's seed, so runs whose training sets have the same size and batch size
see the same batch indices at every step: the only difference between them is what the
preset says differs.

    result = nv.race("depth", seed=0)          # {label: Run}, trained for the preset's budget
    result["deep"].test_accuracy, result["shallow"].parameters

    r = Race("residual", seed=0)               # step by step, e.g. for a live view
    new = r.advance(50)                        # {label: the 50 new losses}
    r.evaluate(); r.runs["plain"].test_accuracy

A run that diverges (TrainingDiverged) stops there: its `diverged` holds the error, its
losses end at its last completed call, and the others race on.
"""

from __future__ import annotations

import numpy as np

from . import presets
from .layers import SpecError
from .prediction import accuracy, predict
from .trainer import TrainingDiverged, _is_int

__all__ = ["Run", "Race", "race", "share_weights"]


class Run:
    """One contender: its label, spec (the run's network spec), network, trainer, dataset and
    batch size; its per-step `losses`; and the metrics of the last Race.evaluate
    (train_loss, train_accuracy, test_loss, test_accuracy: accuracies None for regression,
    test_ None without a test split; labels trained with mse, as the perceptron is, still get
    an accuracy)."""

    def __init__(self, label: str, setup: presets.Setup, spec: dict):
        self.label = label
        self.spec = spec
        self.network = setup.network
        self.trainer = setup.trainer
        self.dataset = setup.dataset
        self.batch_size = setup.batch_size
        self.budget = setup.budget  # the steps this run's own epochs ask for
        self.diverged: TrainingDiverged | None = None
        self.train_loss: float | None = None
        self.train_accuracy: float | None = None
        self.test_loss: float | None = None
        self.test_accuracy: float | None = None
        self._chunks: list[np.ndarray] = []
        self._losses = np.empty(0, dtype=np.float64)

    @property
    def losses(self) -> np.ndarray:
        """The loss of every step so far (float64, each before that step's update)."""
        if self._chunks:  # joined lazily: advance(1) in a loop stays cheap
            self._losses = np.concatenate([self._losses, *self._chunks])
            self._chunks.clear()
        return self._losses

    @property
    def parameters(self) -> int:
        return self.network.num_parameters()

    @property
    def steps(self) -> int:
        return self.trainer.steps

    def _advance(self, k: int) -> np.ndarray:
        """k steps on the trainer's stream (fused where it qualifies); nothing once diverged."""
        if self.diverged is not None or k == 0:
            return np.empty(0, dtype=np.float64)
        ds = self.dataset
        try:
            chunk = self.trainer.train_steps(ds.x_train, ds.y_train, k, self.batch_size)
        except TrainingDiverged as err:
            self.diverged = err
            return np.empty(0, dtype=np.float64)
        self._chunks.append(chunk)
        return chunk

    def _evaluate(self, train_split: bool) -> dict:
        ds, trainer = self.dataset, self.trainer
        if train_split:
            train = trainer.evaluate(ds.x_train, ds.y_train)
            self.train_loss, self.train_accuracy = train["loss"], self._accuracy(train, ds.x_train, ds.y_train)
        test = trainer.evaluate(ds.x_test, ds.y_test) if len(ds.x_test) else {}
        self.test_loss = test.get("loss")
        self.test_accuracy = self._accuracy(test, ds.x_test, ds.y_test) if test else None
        return {
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
        }

    def _accuracy(self, logs: dict, x: np.ndarray, y: np.ndarray) -> float | None:
        """The evaluation's accuracy; for labels trained with mse (the perceptron's 0/1 unit), which
        Trainer.evaluate leaves out, the share nv.prediction reads as right."""
        if "accuracy" in logs or not self.dataset.is_classification:
            return logs.get("accuracy")
        return accuracy(predict(self.network, x), y, self.trainer.loss_name)

    def __repr__(self) -> str:
        acc = "" if self.test_accuracy is None else f", test_accuracy={self.test_accuracy:.3f}"
        return f"Run({self.label!r}, parameters={self.parameters}, steps={self.steps}{acc})"


class Race:
    """The runs of a preset (a name or a dict with "runs"), built with `seed`, trained in lockstep.

    Attributes: runs (label -> Run, in preset order), budget (the steps the preset's training
    asks for: epochs x batches per epoch, the largest over the runs), step (steps done by
    every run that has not diverged), task ("classification" or "regression")."""

    def __init__(self, preset: str | dict, seed: int = 0):
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"Race: seed must be an integer >= 0, got {seed!r:.60}")
        if isinstance(preset, str):
            preset = presets.load(preset)
        if not isinstance(preset, dict):
            raise ValueError(f"Race: a preset is a name or a dict with 'runs', got {type(preset).__name__}")
        self.preset = preset
        self.seed = int(seed)
        self.runs: dict[str, Run] = {}
        loaded = {}  # runs with equal dataset blocks share one dataset
        for label, blocks in presets.expand_runs(preset, where="Race"):
            key = presets.dataset_key(blocks["dataset"])
            try:
                if key not in loaded:
                    loaded[key] = presets.load_dataset(blocks["dataset"], seed, where=f"Race: run {label!r}")
                setup = presets.build(blocks, seed, dataset=loaded[key], where=f"Race: run {label!r}")
                setup.trainer.check_dataset(setup.dataset)
                if "on_top_of" in blocks:
                    share_weights(setup.network, self._below(blocks["on_top_of"], label))
            except SpecError as err:
                raise SpecError(f"Race: run {label!r}: {err}") from err
            except ValueError as err:
                if str(err).startswith("Race: run"):
                    raise
                raise ValueError(f"Race: run {label!r}: {err}") from err
            self.runs[label] = Run(label, setup, blocks["network"])
        labelled = {run.dataset.is_classification for run in self.runs.values()}
        self.task = "classification" if True in labelled else "regression"
        self.budget = max(run.budget for run in self.runs.values())
        self.step = 0

    def _below(self, name, label: str):
        """The network of the earlier run `name` that run `label` is built on top of."""
        if name not in self.runs:
            raise ValueError(f"Race: run {label!r}: 'on_top_of' must name an earlier run, one of {list(self.runs)}")
        return self.runs[name].network

    @property
    def labels(self) -> list[str]:
        return list(self.runs)

    def advance(self, k: int = 1) -> dict[str, np.ndarray]:
        """k more steps for every run, each on its trainer's next k batches (one fused C++ call
        per run where the run qualifies); returns {label: the k new losses} (empty for a run
        that has diverged, now or before)."""
        if not _is_int(k) or k < 0:
            raise ValueError(f"Race.advance: k must be an integer >= 0, got {k!r:.60}")
        new = {label: run._advance(int(k)) for label, run in self.runs.items()}
        self.step += int(k)
        return new

    def evaluate(self, *, train: bool = True) -> dict[str, dict]:
        """Fills every run's train_/test_ loss and accuracy; returns {label: those metrics}.
        train=False measures the test split only (cheaper; a live view's usual need) and leaves
        the train_ metrics as they were."""
        return {label: run._evaluate(bool(train)) for label, run in self.runs.items()}

    def __repr__(self) -> str:
        return f"Race({', '.join(self.runs)}; step {self.step} of {self.budget})"


def share_weights(net, below) -> list[str]:
    """Makes net's layers use the weight arrays of below's layers of the same id and parameter shapes (the
    very arrays: below's optimizer trains them, in place, and net sees every update); returns the parameter
    names shared. A run with "on_top_of" is built so: e.g. rnn-pde's "refined" run reads the "coarse" run's
    CNN and, its pde_refine layer being detached, trains only the refinement (the paper's second stage, here
    in lockstep: each step of the race first trains the CNN, then the refinement on the CNN's current map)."""
    shared = []
    for layer_id, layer in net.layers.items():
        other = below.layers.get(layer_id)
        if other is None or other.type != layer.type:
            continue
        for local, p in layer.params.items():
            q = other.params.get(local)
            if q is not None and q.value.shape == p.value.shape and q.value.dtype == p.value.dtype:
                p.value = q.value
                shared.append(p.name)
    return shared


def race(name_or_dict: str | dict, seed: int = 0, steps: int | None = None) -> dict[str, Run]:
    """Trains every run of a preset in lockstep for `steps` (default: the preset's budget) and
    evaluates them; returns {label: Run} in preset order."""
    if steps is not None and (not _is_int(steps) or steps < 0):
        raise ValueError(f"race: steps must be None or an integer >= 0, got {steps!r:.60}")
    r = Race(name_or_dict, seed=seed)
    r.advance(r.budget if steps is None else steps)
    r.evaluate()
    return r.runs

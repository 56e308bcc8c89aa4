"""Lecture presets (assets/presets/*.json): a network spec, a dataset with its options,
training hyperparameters and the views the app opens. The CLI and the app both start
from these, so every demo of the lecture is one name away.

    net, metrics = presets.train("xor", seed=0)           # the preset's epochs
    net, metrics = presets.train("spirals", steps=200)    # or a number of minibatch steps
    metrics["test_loss"], metrics["test_accuracy"], metrics["losses"]

A preset may also hold "runs", the contenders of a race (neuralviz/race.py):

    "runs": [{"label": "shallow", "network": {spec}, "training": {overrides}, "dataset": {overrides}}, ...]

A run inherits the preset's top-level "training" and "dataset" and overrides the keys it names
(see `expand_runs`); the top-level "network"/"dataset"/"training" stay the preset's default run.
A run may also name `"on_top_of": "<an earlier run's label>"`: in a race it then uses that run's weights for
its layers of the same id (race.share_weights; rnn-pde's refinement on top of its coarse CNN).
`build` turns one set of blocks into a ready trainer: presets.train and the race both use it,
so a run of a race trains exactly as presets.train would train that run alone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .data import asset_path

if TYPE_CHECKING:
    from .data import Dataset
    from .network import Network
    from .trainer import Trainer

PRESET_FORMAT = "neuralviz.preset/1"
_TRAINING_KEYS = ("loss", "optimizer", "lr", "batch_size", "epochs")
_RUN_KEYS = ("label", "network", "training", "dataset", "on_top_of")


def _preset_dir() -> Path:
    return asset_path("presets/xor.json").parent


def names(kind: str | None = "network") -> list[str]:
    """Preset names of one kind, sorted: "network" (a net to train: what the tabs and the CLI list), "gan" (the
    two-network presets of nv.generative.GAN), or None for every preset file."""
    every = sorted(p.stem for p in _preset_dir().glob("*.json"))
    return every if kind is None else [name for name in every if _kind(name) == kind]


def _kind(name: str) -> str:
    """A preset file's "kind" ("network" when absent; a file that does not parse counts as one, so load names it)."""
    try:
        preset = json.loads((_preset_dir() / f"{name}.json").read_bytes())
    except (OSError, ValueError):
        return "network"
    return str(preset.get("kind", "network")) if isinstance(preset, dict) else "network"


def titles(keep: Callable[[dict], bool], kind: str | None = "network") -> list[tuple[str, str]]:
    """(name, title) of every preset of `kind` (see names) that keep(preset) accepts, by name: what a tab's preset
    picker offers (the Races tab: presets with "runs"; the Sequences tab: recurrent nets; the GAN pages: kind
    "gan"). A preset that does not load is left out, so one broken file costs its own entry, not the tab."""
    found = []
    for name in names(kind):
        try:
            preset = load(name)
        except ValueError:
            continue
        if keep(preset):
            found.append((name, str(preset.get("title") or name)))
    return found


def load(name: str) -> dict:
    """The preset dict for a name (see assets/presets/)."""
    from .spec import loads

    available = names(None)
    if not isinstance(name, str) or name not in available:  # never a path: "../x" names no preset
        raise ValueError(f"unknown preset {name!r:.80}; available: {', '.join(available)}")
    path = _preset_dir() / f"{name}.json"
    preset = loads(path.read_bytes(), str(path))
    if not isinstance(preset, dict) or preset.get("format") != PRESET_FORMAT:
        raise ValueError(
            f"{path}: not a neuralviz preset (format {preset.get('format') if isinstance(preset, dict) else None!r})"
        )
    return preset


@dataclass
class Setup:
    """What a preset's blocks build: the network, its trainer (seeded), the dataset, and the
    batch size and epochs the training block asks for."""

    network: Network
    trainer: Trainer
    dataset: Dataset
    batch_size: int
    epochs: int

    @property
    def steps_per_epoch(self) -> int:
        """Batches that cover the training set once (rounded up), as Trainer.fit counts an epoch."""
        return -(-len(self.dataset.x_train) // min(self.batch_size, len(self.dataset.x_train)))

    @property
    def budget(self) -> int:
        """The steps the preset's epochs mean: epochs x steps_per_epoch."""
        return self.epochs * self.steps_per_epoch


def load_dataset(ds_cfg: dict, seed: int, where: str = "presets.train") -> Dataset:
    """The dataset a preset's "dataset" block names, with its options, for a seed."""
    from . import data

    if not isinstance(ds_cfg, dict) or not isinstance(ds_cfg.get("name"), str) or not ds_cfg["name"]:
        raise ValueError(f"{where}: the preset needs a 'dataset' with a 'name' and a 'training' object")
    options = ds_cfg.get("options") or {}
    if not isinstance(options, dict):
        raise ValueError(f"{where}: the dataset's 'options' must be an object, got {type(options).__name__}")
    return data.load(ds_cfg["name"], seed=seed, **options)


def build(preset: dict, seed: int = 0, *, dataset: Dataset | None = None, where: str = "presets.train") -> Setup:
    """A Setup from a preset's network, dataset and training blocks: the dataset (or the one
    given, already loaded from the same block), the network seeded with `seed`, the loss
    (the dataset's default unless named), the optimizer with the block's other keys as its
    hyperparameters, and a Trainer seeded with `seed`."""
    from . import optim
    from .network import Network
    from .trainer import Trainer, _is_int

    if isinstance(preset, dict) and preset.get("kind") == "gan":
        raise ValueError(
            f"{where}: {preset.get('name', 'this preset')!r:.60} is a GAN preset (two networks in a game); "
            "train it with nv.generative.GAN.from_preset(name).train()"
        )
    if not isinstance(preset, dict) or not isinstance(preset.get("network"), dict):
        raise ValueError(f"{where}: a preset is a name or a dict with a 'network' spec")
    if seed is None or not _is_int(seed) or seed < 0:
        raise ValueError(f"{where}: seed must be an integer >= 0, got {seed!r:.60}")
    training = preset.get("training") or {}
    if not isinstance(training, dict):
        raise ValueError(f"{where}: the preset needs a 'dataset' with a 'name' and a 'training' object")
    ds = dataset if dataset is not None else load_dataset(preset.get("dataset") or {}, seed, where)
    net = Network.from_spec(copy.deepcopy(preset["network"]), seed=seed)
    loss = training.get("loss") or ds.default_loss
    hparams = {k: v for k, v in training.items() if k not in _TRAINING_KEYS}
    if "lr" in training:
        hparams["lr"] = training["lr"]
    opt = optim.make(training.get("optimizer", "adam"), net, **hparams)
    trainer = Trainer(net, loss, opt, seed=seed)
    batch = training.get("batch_size", 32)
    if not _is_int(batch) or batch < 1:
        raise ValueError(f"{where}: the preset's batch_size must be an integer >= 1, got {batch!r:.60}")
    epochs = training.get("epochs", 10)
    if not _is_int(epochs) or epochs < 0:
        raise ValueError(f"{where}: the preset's epochs must be an integer >= 0, got {epochs!r:.60}")
    return Setup(net, trainer, ds, int(batch), int(epochs))


def expand_runs(preset: dict, where: str = "race") -> list[tuple[str, dict]]:
    """The preset's "runs" as (label, single-run preset) pairs, in preset order.

    Each run's preset has the run's network, the top-level training updated with the run's
    "training", and the top-level dataset updated with the run's "dataset": a run that names
    another dataset starts from that dataset's defaults (it takes only the options it gives),
    one that names none or the same one updates the top-level options key by key.
    ValueError for a preset without runs, a run that is not an object, a missing or
    duplicate label, or an unknown key."""
    runs = preset.get("runs") if isinstance(preset, dict) else None
    if runs is None:
        title = preset.get("name", "this preset") if isinstance(preset, dict) else "this preset"
        raise ValueError(f"{where}: {title!s:.60} has no 'runs' to race (a list of {{label, network, ...}} objects)")
    if not isinstance(runs, list) or not runs:
        raise ValueError(f"{where}: the preset's 'runs' must be a non-empty list, got {runs!r:.60}")
    out: list[tuple[str, dict]] = []
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            raise ValueError(f"{where}: run {i} must be an object, got {type(run).__name__}")
        label = run.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{where}: run {i} needs a non-empty string 'label', got {label!r:.60}")
        if label in (seen for seen, _ in out):
            raise ValueError(f"{where}: two runs are labelled {label!r:.60}; labels must be unique")
        unknown = sorted(set(run) - set(_RUN_KEYS))
        if unknown:
            raise ValueError(f"{where}: run {label!r:.60} has unknown key(s) {unknown}; a run has {list(_RUN_KEYS)}")
        out.append((label, _run_preset(preset, run, label, where)))
    return out


def _run_preset(preset: dict, run: dict, label: str, where: str) -> dict:
    """One run's blocks merged over the preset's top-level blocks (see expand_runs)."""
    for key in ("network", "training", "dataset"):
        if key in run and not isinstance(run[key], dict):
            raise ValueError(f"{where}: run {label!r:.60}: {key!r} must be an object, got {type(run[key]).__name__}")
    network = run.get("network", preset.get("network"))
    training = {**(preset.get("training") or {}), **(run.get("training") or {})}
    top = copy.deepcopy(preset.get("dataset") or {})
    mine = run.get("dataset") or {}
    if "name" in mine and mine["name"] != top.get("name"):
        dataset = copy.deepcopy(mine)
    else:
        options = {**(top.get("options") or {}), **(mine.get("options") or {})}
        dataset = {**top, **{k: v for k, v in mine.items() if k != "options"}, "options": options}
    blocks = {"network": copy.deepcopy(network), "training": training, "dataset": dataset}
    if "on_top_of" in run:  # an earlier run whose weights this one uses for its layers of the same id (race.py)
        blocks["on_top_of"] = run["on_top_of"]
    return {k: v for k, v in preset.items() if k != "runs"} | blocks


def dataset_key(ds_cfg: dict) -> str:
    """A canonical text for a dataset block: blocks with equal keys load equal datasets."""
    return json.dumps(ds_cfg, sort_keys=True, default=repr)


def train(name_or_dict: str | dict, seed: int = 0, steps: int | None = None, *, callbacks=()) -> tuple:
    """Trains a preset as the CLI does: its dataset (with its options), network, loss, optimizer,
    learning rate and batch size, for its epochs or, with `steps`, that many minibatch steps.

    Returns (network, metrics) with metrics "steps", "losses" (one per step), "train_loss",
    "train_accuracy", "test_loss", "test_accuracy" (accuracies None for mse). Raises
    TrainingDiverged when the run diverges (NaN, inf, or a runaway loss)."""
    from .trainer import Callback, _is_int

    preset = load(name_or_dict) if isinstance(name_or_dict, str) else name_or_dict
    if steps is not None and (not _is_int(steps) or steps < 0):
        raise ValueError(f"presets.train: steps must be None or an integer >= 0, got {steps!r:.60}")
    setup = build(preset, seed)
    trainer, ds, batch = setup.trainer, setup.dataset, setup.batch_size
    if callbacks:  # per-step callbacks need the layer-by-layer loop: fit, recording the losses
        recorded: list[float] = []

        class _Record(Callback):
            def on_step(self, trainer, step, loss):
                recorded.append(loss)

        epochs = setup.epochs if steps is None else -(-steps // setup.steps_per_epoch)
        trainer.fit(ds, epochs=epochs, batch_size=batch, callbacks=[_Record(), *callbacks], progress=False)
        losses = np.asarray(recorded, dtype=np.float64)
    else:
        # the preset's epochs are epochs x ceil(n / batch) steps of the trainer's one batch stream,
        # exactly what fit would run; train_steps takes the fused C++ path where it can
        trainer.check_dataset(ds)
        losses = trainer.train_steps(ds.x_train, ds.y_train, setup.budget if steps is None else steps, batch)
    return setup.network, metrics(setup, losses)


def metrics(setup: Setup, losses) -> dict:
    """presets.train's metrics for a trained Setup and its per-step losses."""
    trainer, ds = setup.trainer, setup.dataset
    train_logs = trainer.evaluate(ds.x_train, ds.y_train)
    test = trainer.evaluate(ds.x_test, ds.y_test) if len(ds.x_test) else {}
    return {
        "steps": trainer.steps,
        "losses": np.asarray(losses, dtype=np.float64),
        "train_loss": train_logs["loss"],
        "train_accuracy": train_logs.get("accuracy"),
        "test_loss": test.get("loss"),
        "test_accuracy": test.get("accuracy"),
    }

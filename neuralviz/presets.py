"""Lecture presets (assets/presets/*.json): a network spec, a dataset with its options,
training hyperparameters and the views the app opens. The CLI and the app both start
from these, so every demo of the lecture is one name away.

    net, metrics = presets.train("xor", seed=0)           # the preset's epochs
    net, metrics = presets.train("spirals", steps=200)    # or a number of minibatch steps
    metrics["test_loss"], metrics["test_accuracy"], metrics["losses"]
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from .data import asset_path

PRESET_FORMAT = "neuralviz.preset/1"
_TRAINING_KEYS = ("loss", "optimizer", "lr", "batch_size", "epochs")


def _preset_dir() -> Path:
    return asset_path("presets/xor.json").parent


def names() -> list[str]:
    return sorted(p.stem for p in _preset_dir().glob("*.json"))


def load(name: str) -> dict:
    """The preset dict for a name (see assets/presets/)."""
    from .spec import loads

    available = names()
    if not isinstance(name, str) or name not in available:  # never a path: "../x" names no preset
        raise ValueError(f"unknown preset {name!r:.80}; available: {', '.join(available)}")
    path = _preset_dir() / f"{name}.json"
    preset = loads(path.read_bytes(), str(path))
    if not isinstance(preset, dict) or preset.get("format") != PRESET_FORMAT:
        raise ValueError(
            f"{path}: not a neuralviz preset (format {preset.get('format') if isinstance(preset, dict) else None!r})"
        )
    return preset


def train(name_or_dict: str | dict, seed: int = 0, steps: int | None = None, *, callbacks=()) -> tuple:
    """Trains a preset as the CLI does: its dataset (with its options), network, loss, optimizer,
    learning rate and batch size, for its epochs or, with `steps`, that many minibatch steps.

    Returns (network, metrics) with metrics "steps", "losses" (one per step), "train_loss",
    "train_accuracy", "test_loss", "test_accuracy" (accuracies None for mse). Raises
    TrainingDiverged when the run diverges (NaN, inf, or a runaway loss)."""
    from . import data, optim
    from .network import Network
    from .trainer import Callback, Trainer, _is_int

    preset = load(name_or_dict) if isinstance(name_or_dict, str) else name_or_dict
    if not isinstance(preset, dict) or not isinstance(preset.get("network"), dict):
        raise ValueError("presets.train: a preset is a name or a dict with a 'network' spec")
    if seed is None or not _is_int(seed) or seed < 0:
        raise ValueError(f"presets.train: seed must be an integer >= 0, got {seed!r:.60}")
    if steps is not None and (not _is_int(steps) or steps < 0):
        raise ValueError(f"presets.train: steps must be None or an integer >= 0, got {steps!r:.60}")
    training = dict(preset.get("training") or {})
    ds_cfg = preset.get("dataset") or {}
    if not isinstance(training, dict) or not isinstance(ds_cfg, dict) or not ds_cfg.get("name"):
        raise ValueError("presets.train: the preset needs a 'dataset' with a 'name' and a 'training' object")
    ds = data.load(ds_cfg["name"], seed=seed, **(ds_cfg.get("options") or {}))
    net = Network.from_spec(copy.deepcopy(preset["network"]), seed=seed)
    loss = training.get("loss") or ds.default_loss
    hparams = {k: v for k, v in training.items() if k not in _TRAINING_KEYS}
    if "lr" in training:
        hparams["lr"] = training["lr"]
    opt = optim.make(training.get("optimizer", "adam"), net, **hparams)
    trainer = Trainer(net, loss, opt, seed=seed)
    batch = training.get("batch_size", 32)
    if not _is_int(batch) or batch < 1:
        raise ValueError(f"presets.train: the preset's batch_size must be an integer >= 1, got {batch!r:.60}")
    if callbacks:  # per-step callbacks need the layer-by-layer loop: fit, recording the losses
        recorded: list[float] = []

        class _Record(Callback):
            def on_step(self, trainer, step, loss):
                recorded.append(loss)

        epochs = training.get("epochs", 10) if steps is None else -(-steps // -(-len(ds.x_train) // batch))
        trainer.fit(ds, epochs=epochs, batch_size=batch, callbacks=[_Record(), *callbacks], progress=False)
        losses = np.asarray(recorded, dtype=np.float64)
    else:
        # the preset's epochs are epochs x ceil(n / batch) steps of the trainer's one batch stream,
        # exactly what fit would run; train_steps takes the fused C++ path where it can
        trainer.check_dataset(ds)
        if steps is None:
            steps = training.get("epochs", 10) * -(-len(ds.x_train) // batch)
        losses = trainer.train_steps(ds.x_train, ds.y_train, steps, batch)
    train = trainer.evaluate(ds.x_train, ds.y_train)
    test = trainer.evaluate(ds.x_test, ds.y_test) if len(ds.x_test) else {}
    metrics = {
        "steps": trainer.steps,
        "losses": np.asarray(losses, dtype=np.float64),
        "train_loss": train["loss"],
        "train_accuracy": train.get("accuracy"),
        "test_loss": test.get("loss"),
        "test_accuracy": test.get("accuracy"),
    }
    return net, metrics

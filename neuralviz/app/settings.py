"""StudioSettings: everything the user chose in the studio, in one plain, JSON-friendly object.

The panels edit a StudioSettings; the worker builds a TrainingRun from a copy of it; a session file
stores it. Keys split in two groups: LIVE ones change a running training without touching the weights
(learning rate, batch size, regularisation, optimizer), the others rebuild the network or the data.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .. import presets
from .common.spec_edit import MlpDescription

# Changing these keeps the network's weights (the optimizer is recreated for "optimizer").
LIVE_KEYS = frozenset({"lr", "batch_size", "regularization", "reg_rate", "optimizer"})
REGULARIZATIONS = ("none", "l1", "l2")
DEFAULT_PRESET = "xor"


@dataclass
class StudioSettings:
    preset: str = ""
    title: str = ""
    network: dict = field(default_factory=dict)  # the spec as the preset/user gave it
    dataset: str = "xor"
    dataset_options: dict = field(default_factory=dict)
    data_seed: int = 0  # "regenerate" draws a new one
    features: list = field(default_factory=lambda: ["x1", "x2"])  # planar data only
    loss: str | None = None  # None: the dataset's default loss
    optimizer: str = "sgd"
    lr: float = 0.03
    batch_size: int = 10
    regularization: str = "none"  # none | l1 | l2
    reg_rate: float = 0.0
    hidden: list | None = None  # MLPs: hidden widths (None: as in the spec)
    activation: str | None = None  # MLPs: hidden activation (None: as in the spec)
    dropout: float = 0.0  # MLPs: dropout after each hidden layer
    input_noise: float = 0.0  # MLPs: Gaussian noise added to the inputs
    seed: int = 0  # weights, minibatch order, dropout draws
    point_edits: list = field(default_factory=list)  # [["add", x1, x2, label] | ["remove", x1, x2]]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_preset(cls, name: str = DEFAULT_PRESET) -> StudioSettings:
        """Settings of a lecture preset (assets/presets/NAME.json)."""
        p = presets.load(name)
        if not isinstance(p.get("network"), dict):  # a GAN preset: its own page opens it, the studio keeps its net
            return cls.from_preset(DEFAULT_PRESET)
        training = p.get("training", {})
        data = p.get("dataset", {})
        base = cls(
            preset=name,
            title=p.get("title", name),
            dataset=data.get("name", "xor"),
            dataset_options=dict(data.get("options", {})),
            loss=training.get("loss"),
            optimizer=training.get("optimizer", "sgd"),
            lr=float(training.get("lr", 0.03)),
            batch_size=int(training.get("batch_size", 10)),
        )
        return base.with_network(p["network"])

    def with_network(self, spec: dict) -> StudioSettings:
        """A copy using a new network spec; the MLP controls take the values the spec has."""
        new = self.updated(network=spec)
        mlp = MlpDescription.from_spec(spec)
        if mlp is None:
            new.hidden, new.activation, new.dropout, new.input_noise = None, None, 0.0, 0.0
        else:
            new.hidden = list(mlp.hidden)
            new.activation = None if mlp.activation == "mixed" else mlp.activation
            new.dropout, new.input_noise = mlp.dropout, mlp.input_noise
        return new

    def copy(self) -> StudioSettings:
        return copy.deepcopy(self)

    def updated(self, **changes: Any) -> StudioSettings:
        """A copy with some fields changed (unknown names raise, so a typo cannot pass silently)."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"StudioSettings has no field(s) {unknown}")
        new = self.copy()
        for key, value in changes.items():
            setattr(new, key, copy.deepcopy(value))
        return new

    # ------------------------------------------------------------------ regularisation as the optimizer takes it
    @property
    def weight_decay(self) -> float:
        return float(self.reg_rate) if self.regularization == "l2" else 0.0

    @property
    def l1(self) -> float:
        return float(self.reg_rate) if self.regularization == "l1" else 0.0

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> StudioSettings:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"session settings have unknown key(s) {unknown}")
        return cls(**copy.deepcopy(data))

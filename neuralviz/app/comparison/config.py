"""RaceConfig: what the comparison races, as plain immutable values the GUI edits and the worker reads.

Each run has its own optimizer and learning rate; the natural-gradient knobs (damping λ, Fisher type,
metric-normalised step) are shared by every natural-gradient run, so a change shows its effect on all of
them at once. Preset hyperparameters beyond these (e.g. a KL clip) ride along per run in `extra`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ...compare import DEFAULT_HPARAMS

NATURAL = ("ng-exact", "kfac", "unitwise", "qd", "diag")
PLAIN = ("sgd", "momentum", "adam", "rmsprop")
OPTIMIZER_TITLES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "ng-exact": "Exact NG",
    "kfac": "K-FAC",
    "unitwise": "Unitwise NG",
    "qd": "Quasi-diagonal NG",
    "diag": "Diagonal Fisher",
}
FISHER_TITLES = {"true": "true Fisher", "empirical": "empirical Fisher", "mc": "Monte-Carlo Fisher"}
RUN_NAMES = "ABCD"
MAX_RUNS = len(RUN_NAMES)

# Exact natural gradient builds and factorises a dense P x P Fisher every step: interactive up to about two
# thousand parameters (research brief §6.4); above that K-FAC and QD take over and the page says why.
EXACT_LIMIT = 2000


@dataclass(frozen=True)
class Reparam:
    """A change of coordinates that leaves the function alone (see neuralviz.compare.reparametrize)."""

    key: str
    label: str  # the menu entry
    short: str  # for titles: "a twin with ..."
    kind: str | None  # compare.reparametrize kind; "swap" picks tanh-sigmoid or sigmoid-tanh
    options: dict = field(default_factory=dict)


REPARAMS = (
    Reparam("none", "none (no twins)", "", None),
    Reparam(
        "millimetres",
        "millimetres, not metres (x → 1000·x)",
        "inputs in millimetres (x → 1000·x)",
        "per-feature",
        {"scale": 1000.0, "shift": 0.0},
    ),
    Reparam(
        "fahrenheit",
        "°F, not °C (x → 1.8·x + 32)",
        "inputs in °F (x → 1.8·x + 32)",
        "per-feature",
        {"scale": 1.8, "shift": 32.0},
    ),
    Reparam(
        "flip",
        "flipped encoding (x → 1 − x: 0/1 becomes 1/0)",
        "the encoding flipped (x → 1 − x)",
        "per-feature",
        {"scale": -1.0, "shift": 1.0},
    ),
    Reparam("mix", "mixed inputs (rotated and stretched: x → A·x + c)", "mixed inputs (x → A·x + c)", "affine"),
    Reparam("units", "hidden units tanh ↔ sigmoid (weights mapped)", "tanh ↔ sigmoid units", "swap"),
)
REPARAM_KEYS = tuple(r.key for r in REPARAMS)


def reparam(key: str) -> Reparam:
    for r in REPARAMS:
        if r.key == key:
            return r
    raise ValueError(f"unknown reparametrisation {key!r}; choose one of {', '.join(REPARAM_KEYS)}")


def is_natural(name: str) -> bool:
    return name in NATURAL


def default_lr(name: str) -> float:
    return float(DEFAULT_HPARAMS.get(name, {}).get("lr", 0.01 if name in ("adam", "rmsprop") else 0.1))


@dataclass(frozen=True)
class RunChoice:
    name: str  # nv.optim.make name
    lr: float
    extra: dict = field(default_factory=dict)  # further hyperparameters (kl_clip, momentum, ...)

    @property
    def title(self) -> str:
        return OPTIMIZER_TITLES.get(self.name, self.name)


@dataclass(frozen=True)
class RaceConfig:
    runs: tuple[RunChoice, ...]
    damping: float = 1e-3  # λ of every natural-gradient run (0 allowed)
    fisher: str = "true"  # true | empirical | mc
    normalize: bool = False  # metric-normalised step η·d/√(g·d)
    reparam: str = "none"  # a REPARAMS key: every run also trains a twin in those coordinates
    scaled: bool = True  # apply the problem's bad input scaling (when it has one)
    seed: int = 0

    def hparams(self, index: int) -> dict[str, Any]:
        """The keyword arguments of nv.optim.make for run `index`."""
        run = self.runs[index]
        hp: dict[str, Any] = {"lr": float(run.lr), **run.extra}
        if is_natural(run.name):
            hp.update(damping=float(self.damping), fisher=self.fisher, normalize=bool(self.normalize))
        return hp

    def with_run(self, index: int, run: RunChoice) -> RaceConfig:
        runs = list(self.runs)
        runs[index] = run
        return dataclasses.replace(self, runs=tuple(runs))

    def replace(self, **changes) -> RaceConfig:
        return dataclasses.replace(self, **changes)


def choice_for(name: str, preset_hparams: dict | None = None) -> RunChoice:
    """A run of optimizer `name` with the preset's hyperparameters (else compare's defaults).

    Damping, Fisher type and normalisation are the page's shared knobs, so they are not kept per run."""
    hp = dict(DEFAULT_HPARAMS.get(name, {}))
    hp.update((preset_hparams or {}).get(name, {}))
    lr = float(hp.pop("lr", default_lr(name)))
    for shared in ("damping", "fisher", "normalize"):
        hp.pop(shared, None)
    if not is_natural(name):
        hp.pop("kl_clip", None)
    return RunChoice(name, lr, hp)


def config_from_compare(cfg: dict, seed: int = 0) -> RaceConfig:
    """The race a preset's "compare" section describes (optimizers, hyperparameters, app settings)."""
    names = [n if isinstance(n, str) else n["name"] for n in cfg.get("optimizers", ["sgd", "kfac"])][:MAX_RUNS]
    hps = cfg.get("hyperparameters", {})
    damping = next(
        (float(hps[n]["damping"]) for n in names if is_natural(n) and "damping" in hps.get(n, {})),
        float(DEFAULT_HPARAMS["kfac"]["damping"]),
    )
    fisher = next((hps[n]["fisher"] for n in names if "fisher" in hps.get(n, {})), "true")
    normalize = next((bool(hps[n]["normalize"]) for n in names if "normalize" in hps.get(n, {})), False)
    app = cfg.get("app", {})
    return RaceConfig(
        runs=tuple(choice_for(n, hps) for n in names),
        damping=damping,
        fisher=fisher,
        normalize=normalize,
        reparam=app.get("reparametrize", "none"),
        seed=seed,
    )


def default_config(studio_optimizer: str = "sgd", studio_lr: float = 0.1, seed: int = 0) -> RaceConfig:
    """Without a preset: the studio's own optimizer (plain gradient unless it already is natural) against
    K-FAC with compare's defaults."""
    plain = studio_optimizer if studio_optimizer in PLAIN else "sgd"
    first = RunChoice(plain, float(studio_lr) if studio_optimizer == plain else default_lr(plain))
    return RaceConfig(runs=(first, choice_for("kfac")), seed=seed)

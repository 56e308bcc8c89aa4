"""SequenceRun: one recurrent preset training, and the frame the sequence page draws of it (no Qt).

The worker thread owns the run; a frame (SequenceFrame) holds copies only, so the GUI thread never touches the
network. The example shown is one test sequence (the `example`-th), probed with neuralviz.sequence_probe. A
task with a lag (adding, copy) can be run with another one (lag.py); a forecasting or character model also
generates on its own in every frame (generated.py: a free run, or a text sample every SAMPLE_EVERY steps).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ... import presets
from ...sequence_probe import KINDS, Probe, probe, recurrent_layers
from .generated import SAMPLE_EVERY, Forecast, Sample, forecast, generation_kind, sample
from .lag import Lag, lag_of, with_lag

DEFAULT_TEMPERATURE = 0.8  # below 1: fewer unlikely characters, so words show sooner


def recurrent_presets() -> list[tuple[str, str]]:
    """(name, title) of every preset whose network has an rnn / lstm / gru layer, by name."""
    return presets.titles(lambda preset: _first_recurrent(preset.get("network") or {}) is not None)


def _first_recurrent(spec: dict) -> dict | None:
    """The first rnn / lstm / gru layer entry of a network spec (None if it has none)."""
    layers = spec.get("layers") if isinstance(spec, dict) else None
    return next((e for e in layers or [] if isinstance(e, dict) and e.get("type") in KINDS), None)


def with_cell(preset: dict, cell: str | None) -> dict:
    """The preset with its first recurrent layer turned into `cell` (rnn / lstm / gru; None keeps it): the same
    task and size with another cell, e.g. the plain RNN whose gradient vanishes where the LSTM's does not."""
    if cell is None:
        return preset
    if cell not in KINDS:
        raise ValueError(f"cell must be one of {', '.join(KINDS)}, got {cell!r:.40}")
    preset = copy.deepcopy(preset)
    entry = _first_recurrent(preset.get("network") or {})
    if entry is None:
        raise ValueError(f"preset {preset.get('name')!r} has no rnn/lstm/gru layer")
    entry["type"] = cell
    return preset


@dataclass
class SequenceFrame:
    """What the page draws: the preset, the step, the loss curve (copy), and the probe of the example shown."""

    preset: str
    step: int
    budget: int
    losses: np.ndarray
    example: int
    examples: int  # how many sequences there are to show
    probe: Probe
    playing: bool = False
    final: bool = False
    lag: Lag | None = None  # the task's lag as this run has it (None: the task has none)
    forecast: Forecast | None = None  # sine forecasting: the free run after a prompt
    sample: Sample | None = None  # a character model: its latest text sample


class SequenceRun:
    """A preset's network (its recurrent cell swapped for `cell` if given, its task's lag set to `lag` if given),
    trainer and data (presets.build), trained step by step; `step` counts steps."""

    def __init__(self, name: str, seed: int = 0, cell: str | None = None, lag: int | None = None):
        self.name = name
        where = f"sequence page ({name})"
        preset, ds = with_lag(with_cell(presets.load(name), cell), lag, seed, where)
        self.setup = presets.build(preset, seed=seed, dataset=ds, where=where)
        self.lag = lag_of(preset)
        self.generates = generation_kind(preset)
        self.components = int(((preset.get("dataset") or {}).get("options") or {}).get("components", 2))
        self.temperature = DEFAULT_TEMPERATURE
        self._sample: Sample | None = None
        self._sample_key: tuple[int, float] | None = None
        found = recurrent_layers(self.setup.network)
        if not found:
            raise ValueError(f"preset {name!r} has no rnn/lstm/gru layer to show")
        self.layer_id = found[0][0]
        self.losses: list[np.ndarray] = []
        self.example = 0

    @property
    def step(self) -> int:
        return self.setup.trainer.steps

    def advance(self, k: int) -> None:
        ds = self.setup.dataset
        self.losses.append(self.setup.trainer.train_steps(ds.x_train, ds.y_train, k, self.setup.batch_size))

    def _examples(self) -> tuple[np.ndarray, np.ndarray]:
        ds = self.setup.dataset
        return (ds.x_test, ds.y_test) if ds.x_test is not None and len(ds.x_test) else (ds.x_train, ds.y_train)

    @property
    def num_examples(self) -> int:
        return len(self._examples()[0])

    def frame(self, playing: bool = False, final: bool = False) -> SequenceFrame:
        x, y = self._examples()
        i = min(max(0, self.example), len(x) - 1)
        p = probe(self.setup.network, self.layer_id, x[i], y[i], self.setup.trainer.loss_name)
        losses = np.concatenate(self.losses) if self.losses else np.empty(0)
        run = SequenceFrame(self.name, self.step, self.setup.budget, losses, i, len(x), p, playing, final, self.lag)
        if self.generates == "forecast":
            run.forecast = forecast(self.setup.network, self.components, i)
        elif self.generates == "text":
            run.sample = self._fresh_sample(i, x[i], final)
        return run

    def _fresh_sample(self, i: int, window: np.ndarray, final: bool) -> Sample:
        """The last sample, or a new one if it is SAMPLE_EVERY steps old, was written after another example or
        at another temperature, or this is a run's last frame (its sample must be of the net as it ends)."""
        s, key = self._sample, (i, self.temperature)
        stale = s is None or self._sample_key != key or self.step - s.step >= SAMPLE_EVERY
        if stale or (final and s.step != self.step):
            self._sample = sample(self.setup.network, self.setup.dataset.vocab, window, self.temperature, self.step)
            self._sample_key = key
        return self._sample

"""StudioRace: the race a studio configuration calls for.

A lecture preset with a "compare" section brings its runs, their hyperparameters, its badly scaled inputs,
a full-batch setting, a target loss, a speed and the twin's coordinates. Any other configuration races the
studio's own plain optimizer against K-FAC on the studio's minibatches, and offers bad units for 2-D data
(one feature stretched and shifted, one squeezed) so the scaling experiment works on every planar problem.
Pure Python, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import presets
from ..common.snapshot import RunInfo
from .config import RaceConfig, config_from_compare, default_config

BAD_SCALING = {"scale": [4.0, 0.04], "shift": [5.0, 0.0]}
DEFAULT_SPEED = 5  # steps per frame without a preset's own
DEFAULT_TARGET = 0.05  # classification target loss without a preset's own


@dataclass(frozen=True)
class StudioRace:
    preset: str
    compare: dict  # the preset's "compare" section ({} without one)
    config: RaceConfig
    transform: dict | None  # the preset's bad scaling (None: offer the generic one)
    batch_size: int | None  # None: the studio's minibatches; 0: full batch
    speed: int  # steps per frame
    target: float | None  # the loss plot's dotted line

    @property
    def hyperparameters(self) -> dict:
        return self.compare.get("hyperparameters", {})


def _compare_section(preset: str) -> dict:
    if not preset:
        return {}
    try:
        return presets.load(preset).get("compare", {}) or {}
    except ValueError:  # a session naming a preset that is gone: race the studio's setup
        return {}


def race_for(info: RunInfo) -> StudioRace:
    s = info.settings
    compare = _compare_section(s.preset or "")
    if compare:
        batch = compare.get("batch_size")
        return StudioRace(
            preset=s.preset,
            compare=compare,
            config=config_from_compare(compare, seed=int(s.seed)),
            transform=compare.get("input_transform"),
            batch_size=0 if batch is None else int(batch),
            speed=int(compare.get("app", {}).get("steps_per_frame", 1)),
            target=compare.get("target_loss", DEFAULT_TARGET),
        )
    config = default_config(s.optimizer, s.lr, seed=int(s.seed)).replace(scaled=False)
    return StudioRace(
        preset=s.preset or "",
        compare={},
        config=config,
        transform=None,
        batch_size=None,
        speed=DEFAULT_SPEED,
        target=DEFAULT_TARGET if info.num_classes else None,
    )


def offered_transform(race: StudioRace, info: RunInfo) -> dict | None:
    """The bad scaling the inputs menu offers for this configuration (None: none fits)."""
    if race.transform is not None:
        return race.transform
    features = len(info.settings.features)
    if info.kind != "planar" or features < 2:
        return None
    extra = features - 2
    return {"scale": BAD_SCALING["scale"] + [1.0] * extra, "shift": BAD_SCALING["shift"] + [0.0] * extra}

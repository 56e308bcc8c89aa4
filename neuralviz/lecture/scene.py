"""A scene of the talk: one lecture topic as something the room watches happen.

A scene file (assets/lecture/NN-name.json, in file-name order) holds

    {"format": "neuralviz.scene/1",
     "topic": 7,                      # the lecture topic (../shared/research/lecture_scenes.md numbering)
     "name": "depth",                 # unique; `neuralviz lecture --scene depth`
     "title": "Depth builds features from features",
     "takeaway": "one line the room should leave with",
     "notes": ["2-4 lines of speaker notes"],
     "view": "race",                  # studio, featuremaps, comparison, sequence, race, prior, surface, online,
                                      # layers
     "preset": "depth",               # a preset name (assets/presets) or an inline preset dict; optional for
                                      # views that need none
     "options": {},                   # what the view needs beyond the preset (view-specific)
     "script": [{"at": 300, "do": "show_test_points"}],   # optional actions at given steps
     "stop": {"steps": 600, "loss_below": 0.05}}          # required: every scene stops by itself

The stopping rule always has a step budget ("steps"), so a scene left playing while the lecturer talks
stops by itself; "loss_below" may stop it earlier. The files are checked as they load: a bad one raises a
ValueError naming the file and the key, so a typo is found before the talk, not in front of the room.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

SCENE_FORMAT = "neuralviz.scene/1"
VIEWS = (
    "studio",
    "featuremaps",
    "comparison",
    "sequence",
    "race",
    "prior",
    "surface",
    "online",
    "layers",
    "autoencoder",
    "gan",
    "gan_images",
    "texture",
    "robustness",
    "segmentation",
)
# views that may do without a preset (their options say what to show)
PRESETLESS_VIEWS = ("prior", "surface", "online", "texture", "robustness")
NOTES_RANGE = (2, 4)
MAX_STEPS = 10_000_000  # a budget above this is a typo, not a scene
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = {"format", "topic", "name", "title", "takeaway", "notes", "view", "preset", "options", "script", "stop"}


@dataclass(frozen=True)
class StopRule:
    """When a playing scene pauses by itself: after `steps` steps, or once the loss is below `loss_below`."""

    steps: int
    loss_below: float | None = None

    def reached(self, step: int, loss: float | None = None) -> bool:
        if step >= self.steps:
            return True
        return self.loss_below is not None and loss is not None and loss < self.loss_below

    def reason(self, step: int, loss: float | None = None) -> str:
        """Why the scene stopped, for the presenter's status line ("" while it may go on)."""
        if self.loss_below is not None and loss is not None and loss < self.loss_below:
            return f"stopped: loss {loss:.3g} < {self.loss_below:g}"
        if step >= self.steps:
            return f"stopped after {step} steps"
        return ""


@dataclass(frozen=True)
class Scene:
    number: int  # 1-based position in the talk
    topic: int
    name: str
    title: str
    takeaway: str
    notes: tuple[str, ...]
    view: str
    preset: dict | None  # the preset dict (loaded when the file named one), or None
    options: dict = field(default_factory=dict)
    script: tuple[dict, ...] = ()
    stop: StopRule = StopRule(steps=0)
    path: str = ""
    preset_name: str = ""  # the preset's name when the file named one ("" for an inline preset or none)


# ----------------------------------------------------------------------------------------------- finding
def scene_dir() -> Path:
    """assets/lecture: the installed package's copy first (setup.py copies assets/), else the repository's."""
    from ..data import _assets

    package = _assets._package_assets()
    for root in (package, _assets._REPO_ASSETS):
        if root is not None and (root / "lecture").is_dir():
            return root / "lecture"
    raise FileNotFoundError(
        f"the lecture's scenes (assets/lecture/) are not installed; looked in {package} and {_assets._REPO_ASSETS}"
    )


def scene_files(directory: Path | None = None) -> list[Path]:
    """The scene files in talk order (file-name order: NN-name.json)."""
    return sorted((directory or scene_dir()).glob("*.json"), key=lambda p: p.name)


def load_scenes(directory: str | Path | None = None, check_presets: bool = True) -> list[Scene]:
    """Every scene of the talk, numbered 1..N in file-name order; ValueError naming the file and key of the
    first problem. check_presets=False keeps going when a named preset is missing (preset None; for
    `--list`, which must work while a preset is being written)."""
    files = scene_files(Path(directory) if directory is not None else None)
    if not files:
        raise ValueError(f"no scene files (*.json) in {directory or scene_dir()}")
    scenes = [_load_file(path, number, check_presets) for number, path in enumerate(files, 1)]
    seen: dict[str, str] = {}
    for s in scenes:
        if s.name in seen:
            raise ValueError(f"{s.path}: 'name' {s.name!r} is already used by {seen[s.name]}")
        seen[s.name] = s.path
    return scenes


def find_scene(number_or_name: int | str, scenes: list[Scene] | None = None) -> Scene:
    """A scene by its number in the talk (1..N, also as text: "7") or its name ("depth"); ValueError listing
    the scenes otherwise."""
    scenes = load_scenes() if scenes is None else scenes
    key = number_or_name.strip() if isinstance(number_or_name, str) else number_or_name
    if isinstance(key, str) and key.isdigit():
        key = int(key)
    for s in scenes:
        if (isinstance(key, int) and not isinstance(key, bool) and s.number == key) or s.name == key:
            return s
    listing = ", ".join(f"{s.number} {s.name}" for s in scenes)
    raise ValueError(f"unknown scene {number_or_name!r:.80}; the scenes are: {listing}")


# ----------------------------------------------------------------------------------------------- checking
def _load_file(path: Path, number: int, check_presets: bool) -> Scene:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable scene file: {err}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a scene file holds a JSON object, got {type(raw).__name__}")
    return _parse(raw, path, number, check_presets)


def _parse(raw: dict, path: Path, number: int, check_presets: bool) -> Scene:
    def bad(key: str, why: str) -> ValueError:
        return ValueError(f"{path}: {key!r} {why}")

    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise bad(unknown[0], f"is not a scene key (known: {', '.join(sorted(_KEYS))})")
    if raw.get("format") != SCENE_FORMAT:
        raise bad("format", f"must be {SCENE_FORMAT!r}, got {raw.get('format')!r:.60}")
    for key in ("topic", "name", "title", "takeaway", "notes", "view", "stop"):
        if key not in raw:
            raise bad(key, "is missing")
    topic = raw["topic"]
    if not isinstance(topic, int) or isinstance(topic, bool) or topic < 1:
        raise bad("topic", f"must be a topic number >= 1, got {topic!r:.60}")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME.match(name) or name.isdigit():
        raise bad("name", f"must be lower-case letters, digits and '-' (not only digits), got {name!r:.60}")
    title, takeaway = _text(raw, "title", bad), _text(raw, "takeaway", bad)
    notes = _notes(raw["notes"], bad)
    view = raw["view"]
    if view not in VIEWS:
        raise bad("view", f"must be one of {', '.join(VIEWS)}, got {view!r:.60}")
    preset, preset_name = _preset(raw.get("preset"), view, bad, check_presets)
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise bad("options", f"must be an object, got {type(options).__name__}")
    return Scene(
        number=number,
        topic=topic,
        name=name,
        title=title,
        takeaway=takeaway,
        notes=notes,
        view=view,
        preset=preset,
        options=options,
        script=_script(raw.get("script", []), bad),
        stop=_stop(raw["stop"], bad),
        path=str(path),
        preset_name=preset_name,
    )


def _text(raw: dict, key: str, bad) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise bad(key, f"must be a non-empty text, got {value!r:.60}")
    if "\n" in value:
        raise bad(key, "must be one line")
    return value.strip()


def _notes(notes, bad) -> tuple[str, ...]:
    lo, hi = NOTES_RANGE
    if not isinstance(notes, list) or not lo <= len(notes) <= hi:
        raise bad("notes", f"must be a list of {lo} to {hi} lines, got {notes!r:.60}")
    for i, line in enumerate(notes):
        if not isinstance(line, str) or not line.strip():
            raise bad("notes", f"line {i + 1} must be a non-empty text, got {line!r:.60}")
    return tuple(line.strip() for line in notes)


def _preset(value, view: str, bad, check: bool) -> tuple[dict | None, str]:
    if value is None:
        if view not in PRESETLESS_VIEWS:
            raise bad("preset", f"is required for the {view!r} view")
        return None, ""
    if isinstance(value, dict):
        if not isinstance(value.get("network"), dict) and not isinstance(value.get("runs"), list):
            raise bad("preset", "as an inline preset needs a 'network' spec or a 'runs' list")
        if view in ("studio", "featuremaps", "comparison", "sequence"):
            raise bad("preset", f"must name a preset (assets/presets) for the {view!r} view, not hold one inline")
        return value, ""
    if not isinstance(value, str) or not value:
        raise bad("preset", f"must be a preset name or an object, got {value!r:.60}")
    from .. import presets

    try:
        return presets.load(value), value
    except ValueError as err:
        if check:
            raise bad("preset", f"names no preset: {err}") from None
        return None, value


def _script(script, bad) -> tuple[dict, ...]:
    if not isinstance(script, list):
        raise bad("script", f"must be a list of {{'at': step, 'do': action}}, got {script!r:.60}")
    for i, item in enumerate(script):
        ok = isinstance(item, dict) and isinstance(item.get("do"), str) and item["do"]
        at = item.get("at") if isinstance(item, dict) else None
        if not ok or not isinstance(at, int) or isinstance(at, bool) or at < 0:
            raise bad("script", f"entry {i + 1} must be {{'at': step >= 0, 'do': action}}, got {item!r:.80}")
    return tuple(dict(item) for item in script)


def _stop(stop, bad) -> StopRule:
    if not isinstance(stop, dict):
        raise bad("stop", f"must be an object with a step budget, e.g. {{'steps': 500}}, got {stop!r:.60}")
    extra = sorted(set(stop) - {"steps", "loss_below"})
    if extra:
        raise bad("stop", f"has an unknown key {extra[0]!r} (known: steps, loss_below)")
    steps = stop.get("steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
        raise bad("stop", f"needs 'steps', a step budget in 1..{MAX_STEPS:,d}, got {steps!r:.60}")
    below = stop.get("loss_below")
    if below is not None:
        if isinstance(below, bool) or not isinstance(below, (int, float)) or not math.isfinite(below) or below <= 0:
            raise bad("stop", f"'loss_below' must be a finite number > 0, got {below!r:.60}")
        below = float(below)
    return StopRule(steps=steps, loss_below=below)

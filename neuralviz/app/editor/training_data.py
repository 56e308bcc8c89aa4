"""Which dataset the studio should train a drawn network on, when the user leaves it to the editor.

The studio fits a network's input to the data (and its last dense layer to the targets), so what matters
is the *kind* of input the drawing expects: images (channels, height, width), sequences (time, features),
token ids (an embedding first) or feature vectors. The studio's current dataset is kept when it is of
that kind; otherwise the first built-in dataset of the kind is chosen (one whose size matches, if any).
"""

from __future__ import annotations

from ... import data as nvdata
from ...spec import normalise

# built-in datasets that need no files, by the input they give: (kind, input shape)
_BUILT_IN = {
    "digits": ("image", (1, 8, 8)),
    "shapes": ("image", (1, 16, 16)),
    "adding": ("sequence", (20, 2)),
    "sine_forecast": ("sequence", (20, 1)),
    "copy": ("sequence", (20, 10)),
    "story_qa": ("tokens", (57,)),
    "xor": ("vector", (2,)),
}


def input_kind(spec: dict) -> str:
    try:
        layers = normalise(spec)["layers"]
    except (ValueError, TypeError):
        layers = []
    first = [l for l in layers if "input" in l["inputs"]]
    if first and all(l.get("type") in ("embedding", "memory") for l in first):
        return "tokens"
    return {3: "image", 2: "sequence"}.get(len(spec.get("input_shape", [])), "vector")


def dataset_kind(name: str) -> str:
    kind = nvdata.describe(name)["kind"]
    if name == "story_qa":
        return "tokens"
    return {"planar": "vector", "regression": "vector"}.get(kind, kind)


def suggest_dataset(spec: dict, current: str) -> str:
    """The studio's current dataset when it suits the drawing, else a built-in one that does."""
    want = input_kind(spec)
    try:
        if dataset_kind(current) == want:
            return current
    except Exception:  # noqa: BLE001 - an unknown current name: choose afresh
        pass
    shape = tuple(spec.get("input_shape", ()))
    candidates = [name for name, (kind, _) in _BUILT_IN.items() if kind == want]
    exact = [name for name in candidates if _BUILT_IN[name][1] == shape]
    return (exact or candidates or ["xor"])[0]

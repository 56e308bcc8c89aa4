"""Network spec (DESIGN.md §4): reading, validating and ordering the layer graph.

A spec is JSON: {"format": "neuralviz.network/1", "input_shape": [...], "layers": [...],
"output": id}. Each layer has an id, a type and parameters; `inputs` defaults to the
previous layer ("input" names the network input). Validation here is structural (ids,
types, references, cycles); shapes are checked when the layers are built.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from .layers import LAYER_TYPES, SpecError

FORMAT = "neuralviz.network/1"
INPUT = "input"
_TOP_KEYS = {"format", "name", "input_shape", "layers", "output", "layout", "description"}


def read_spec(spec_or_path: dict | str | Path) -> dict:
    """A spec dict from a dict, a JSON file path, or a JSON string."""
    if isinstance(spec_or_path, dict):
        return spec_or_path
    if isinstance(spec_or_path, (str, Path)):
        text = str(spec_or_path)
        if isinstance(spec_or_path, str) and text.lstrip().startswith("{"):
            source, raw = "spec string", text
        else:
            path = Path(spec_or_path)
            if not path.exists():
                raise FileNotFoundError(f"network spec file not found: {path}")
            source, raw = str(path), path.read_text(encoding="utf-8", errors="replace")
        try:
            spec = json.loads(raw)
        except json.JSONDecodeError as err:
            raise SpecError(f"{source} is not valid JSON: {err}") from None
        if not isinstance(spec, dict):
            raise SpecError(f"{source}: a network spec must be a JSON object")
        return spec
    raise TypeError(f"expected a spec dict or a path, got {type(spec_or_path).__name__}")


def normalise(spec: dict) -> dict:
    """Checks the structure and fills defaults; returns a new spec with explicit inputs."""
    if spec.get("format", FORMAT) != FORMAT:
        raise SpecError(f"unsupported spec format {spec.get('format')!r} (expected {FORMAT!r})")
    unknown = set(spec) - _TOP_KEYS
    if unknown:
        raise SpecError(f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    shape = spec.get("input_shape")
    if (
        not isinstance(shape, (list, tuple))
        or not shape
        or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in shape)
    ):
        raise SpecError(f"'input_shape' must be a non-empty list of positive ints, got {shape!r}")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("'layers' must be a non-empty list")
    out_layers, seen, previous = [], set(), INPUT
    for i, entry in enumerate(layers):
        if not isinstance(entry, dict):
            raise SpecError(f"layer #{i} must be an object, got {entry!r}")
        lid, ltype = entry.get("id"), entry.get("type")
        if not isinstance(lid, str) or not lid or lid == INPUT:
            raise SpecError(f"layer #{i}: 'id' must be a non-empty string other than 'input', got {lid!r}")
        if lid in seen:
            raise SpecError(f"layer '{lid}': duplicate id")
        if ltype not in LAYER_TYPES:
            raise SpecError(f"layer '{lid}': unknown type {ltype!r}; known types: {', '.join(sorted(LAYER_TYPES))}")
        inputs = entry.get("inputs", [previous])
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(s, str) for s in inputs):
            raise SpecError(f"layer '{lid}': 'inputs' must be a list of layer ids, got {inputs!r}")
        seen.add(lid)
        out_layers.append({**entry, "inputs": list(inputs)})
        previous = lid
    ids = [l["id"] for l in out_layers]
    for layer in out_layers:
        for src in layer["inputs"]:
            if src != INPUT and src not in seen:
                hint = _closest(src, ids)
                raise SpecError(
                    f"layer '{layer['id']}': input '{src}' does not exist"
                    + (f" (did you mean '{hint}'?)" if hint else "")
                )
    output = spec.get("output", previous)
    if output not in seen:
        raise SpecError(f"'output' names unknown layer {output!r}")
    return {**spec, "format": FORMAT, "input_shape": list(shape), "layers": out_layers, "output": output}


def topological_order(layers: list[dict], output: str) -> list[dict]:
    """Layers needed for `output`, sources first (Kahn's algorithm, no recursion).

    A cycle raises SpecError naming the layers on it.
    """
    by_id = {l["id"]: l for l in layers}
    needed, stack = set(), [output]
    while stack:  # only layers that feed the output take part
        lid = stack.pop()
        if lid in needed or lid == INPUT:
            continue
        needed.add(lid)
        stack.extend(by_id[lid]["inputs"])
    indegree = {lid: sum(1 for s in by_id[lid]["inputs"] if s != INPUT) for lid in needed}
    consumers: dict[str, list[str]] = {lid: [] for lid in needed}
    for lid in needed:
        for src in by_id[lid]["inputs"]:
            if src != INPUT:
                consumers[src].append(lid)
    order_index = {l["id"]: i for i, l in enumerate(layers)}
    ready = deque(sorted((l for l in needed if indegree[l] == 0), key=order_index.get))
    order = []
    while ready:
        lid = ready.popleft()
        order.append(by_id[lid])
        for c in sorted(consumers[lid], key=order_index.get):
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    if len(order) != len(needed):
        stuck = sorted(l for l in needed if indegree[l] > 0)
        raise SpecError(f"the layer graph has a cycle through {', '.join(repr(s) for s in stuck)}")
    return order


def _closest(name: str, options: list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, options, n=1)
    return match[0] if match else ""

"""Network spec (DESIGN.md §4): reading, validating and ordering the layer graph.

A spec is JSON: {"format": "neuralviz.network/1", "input_shape": [...], "layers": [...],
"output": id}. Each layer has an id, a type and parameters; `inputs` defaults to the
previous layer ("input" names the network input). Validation here is structural (ids,
types, references, cycles) and strict about JSON types (a name is a string, a size an
integer: never a bool or a float); a layer's parameters and shapes are checked when the
layer is built (neuralviz.layers), which also enforces the memory budget.

Limits on what a file can make this module do: a spec file larger than MAX_SPEC_BYTES
(64 MiB) is refused before it is read, nesting deeper than MAX_DEPTH (32) is refused (real
specs nest 4 levels), and a spec has at most MAX_LAYERS (10,000) layers.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from .layers import LAYER_TYPES, SpecError
from .layers.base import MAX_SIZE, is_int, show

FORMAT = "neuralviz.network/1"
INPUT = "input"
_TOP_KEYS = {"format", "name", "input_shape", "layers", "output", "layout", "description"}
MAX_SPEC_BYTES = 64 * 2**20
MAX_DEPTH = 32
MAX_LAYERS = 10_000


def loads(text: str | bytes, source: str = "spec") -> object:
    """json.loads with every failure as a SpecError naming the source: invalid JSON, nesting too
    deep for the parser (RecursionError) or for MAX_DEPTH, integers too long to convert."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"{source} is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise SpecError(f"{source}: JSON nested too deeply (at most {MAX_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError) as err:  # e.g. an integer of more than 4300 digits
        raise SpecError(f"{source} is not valid JSON: {err}") from None
    check_depth(value, source)
    return value


def check_depth(value: object, source: str = "spec", limit: int = MAX_DEPTH) -> None:
    """SpecError if lists/objects nest deeper than `limit`, naming where (iterative: no recursion)."""
    stack: list[tuple[object, int, tuple]] = [(value, 1, ())]
    while stack:
        v, depth, path = stack.pop()
        if isinstance(v, dict):
            children = [(c, (k,)) for k, c in v.items()]
        elif isinstance(v, (list, tuple)):
            children = [(c, (i,)) for i, c in enumerate(v)]
        else:
            continue
        if depth > limit:
            where = _path_text(path)
            raise SpecError(f"{source}: {where} is nested too deeply (more than {limit} levels of lists/objects)")
        stack.extend((c, depth + 1, path + step if depth < 4 else path) for c, step in children)


def _path_text(path: tuple) -> str:
    """("layers", 2, "units") -> "layers[2].units" (the layer's place; deeper levels are left out)."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return repr(text or "the top level") if text else "the top level"


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
            if path.is_dir():
                raise SpecError(f"{path} is a directory, not a network spec file")
            try:
                size = path.stat().st_size
                if size > MAX_SPEC_BYTES:
                    raise SpecError(
                        f"{path}: {size:,d} bytes is too large for a network spec (limit {MAX_SPEC_BYTES:,d})"
                    )
                with path.open("rb") as f:
                    data = f.read(MAX_SPEC_BYTES + 1)  # a file that grows meanwhile is still capped
            except OSError as err:
                raise SpecError(f"cannot read {path}: {err.strerror or err}") from None
            if len(data) > MAX_SPEC_BYTES:
                raise SpecError(f"{path} is too large for a network spec (limit {MAX_SPEC_BYTES:,d} bytes)")
            source, raw = str(path), data.decode("utf-8-sig", errors="replace")  # -sig: a BOM is fine
        spec = loads(raw, source)
        if not isinstance(spec, dict):
            raise SpecError(f"{source}: a network spec must be a JSON object")
        return spec
    raise TypeError(f"expected a spec dict or a path, got {type(spec_or_path).__name__}")


def normalise(spec: dict) -> dict:
    """Checks the structure and fills defaults; returns a new spec with explicit inputs."""
    if not isinstance(spec, dict):
        raise SpecError(f"a network spec must be an object (dict), got {type(spec).__name__}")
    check_depth(spec)
    if spec.get("format", FORMAT) != FORMAT:
        raise SpecError(f"unsupported spec format {show(spec.get('format'))} (expected {FORMAT!r})")
    unknown = [k for k in spec if k not in _TOP_KEYS]
    if unknown:
        raise SpecError(f"unknown top-level key(s) {show(sorted(map(str, unknown)))}; allowed: {sorted(_TOP_KEYS)}")
    for key in ("name", "description"):
        if key in spec and not isinstance(spec[key], str):
            raise SpecError(f"'{key}' must be a string, got {show(spec[key])}")
    if "layout" in spec and not isinstance(spec["layout"], dict):
        raise SpecError(f"'layout' must be an object of node positions, got {show(spec['layout'])}")
    shape = spec.get("input_shape")
    if (
        not isinstance(shape, (list, tuple))
        or not shape
        or len(shape) > 8
        or any(not is_int(d) or not 1 <= d <= MAX_SIZE for d in shape)
    ):
        raise SpecError(f"'input_shape' must be a list of 1 to 8 integers in [1, {MAX_SIZE:,d}], got {show(shape)}")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError(f"'layers' must be a non-empty list, got {show(layers)}")
    if len(layers) > MAX_LAYERS:
        raise SpecError(f"'layers' has {len(layers):,d} entries; a spec may have at most {MAX_LAYERS:,d}")
    out_layers, seen, previous = [], set(), INPUT
    for i, entry in enumerate(layers):
        if not isinstance(entry, dict):
            raise SpecError(f"layer #{i} must be an object, got {show(entry)}")
        lid, ltype = entry.get("id"), entry.get("type")
        if not isinstance(lid, str) or not lid or lid == INPUT:
            raise SpecError(f"layer #{i}: 'id' must be a non-empty string other than 'input', got {show(lid)}")
        if lid in seen:
            raise SpecError(f"layer '{lid}': duplicate id")
        if not isinstance(ltype, str) or ltype not in LAYER_TYPES:
            raise SpecError(f"layer '{lid}': unknown type {show(ltype)}; known types: {', '.join(sorted(LAYER_TYPES))}")
        inputs = entry.get("inputs", [previous])
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(s, str) for s in inputs):
            raise SpecError(f"layer '{lid}': 'inputs' must be a non-empty list of layer ids, got {show(inputs)}")
        seen.add(lid)
        out_layers.append({**entry, "inputs": list(inputs)})
        previous = lid
    ids = [l["id"] for l in out_layers]
    for layer in out_layers:
        for src in layer["inputs"]:
            if src != INPUT and src not in seen:
                hint = _closest(src, ids)
                raise SpecError(
                    f"layer '{layer['id']}': input {show(src)} does not exist"
                    + (f" (did you mean '{hint}'?)" if hint else "")
                )
    output = spec.get("output", previous)
    if not isinstance(output, str) or output not in seen:
        raise SpecError(f"'output' must name a layer of the spec, got {show(output)}")
    return {**spec, "format": FORMAT, "input_shape": [int(d) for d in shape], "layers": out_layers, "output": output}


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

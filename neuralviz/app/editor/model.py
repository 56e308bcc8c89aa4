"""GraphModel: the network being drawn, kept as the spec itself (DESIGN.md §4), with no Qt in it.

The model is the spec's layer list with explicit inputs, the input shape, the chosen output and the node
positions (saved under the spec's "layout" key). Every edit is a method here; an edit the graph cannot
take (a cycle, a connection into the network input, a duplicate id) raises EditRefused with the reason
and changes nothing. Shapes are not this file's business: a connection whose shapes do not fit is
allowed, and neuralviz.app.editor.inference flags it.

The whole state is a small plain dict (state()/restore()), which is what the undo history stores.
"""

from __future__ import annotations

import copy
import re
from collections import deque
from collections.abc import Iterable

from ...layers import LAYER_TYPES, SpecError
from ...spec import FORMAT, INPUT, normalise
from .catalog import KINDS

Point = tuple[float, float]
# letters, digits, _ and -: no dots, which separate the layer from the weight in parameter names
LAYER_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
# short id prefixes for new nodes: conv1, pool2, ...
_PREFIX = {
    "dense": "dense",
    "conv2d": "conv",
    "conv_transpose2d": "deconv",
    "upsample": "up",
    "maxpool2d": "pool",
    "avgpool2d": "avgpool",
    "gaussian_noise": "noise",
    "leaky_relu": "lrelu",
    "embedding": "embed",
}


class EditRefused(ValueError):
    """An edit the graph cannot take; the message says why (shown to the user as is)."""


class GraphModel:
    def __init__(self, name: str = "untitled", input_shape: Iterable[int] = (2,)):
        self.name = name
        self.description = ""
        self.input_shape: list[int] = [int(d) for d in input_shape]
        self.layers: dict[str, dict] = {}  # id -> {"type", parameters..., "inputs": [ids]}
        self.chosen_output: str | None = None  # None: the last layer nothing else reads
        self.positions: dict[str, Point] = {INPUT: (0.0, 0.0)}

    # ================================================================== state (for undo)
    def state(self) -> dict:
        return copy.deepcopy(
            {
                "name": self.name,
                "description": self.description,
                "input_shape": self.input_shape,
                "layers": list(self.layers.items()),
                "output": self.chosen_output,
                "positions": self.positions,
            }
        )

    def restore(self, state: dict) -> None:
        state = copy.deepcopy(state)
        self.name, self.description = state["name"], state["description"]
        self.input_shape = state["input_shape"]
        self.layers = dict(state["layers"])
        self.chosen_output = state["output"]
        self.positions = state["positions"]

    # ================================================================== queries
    def nodes(self) -> list[str]:
        """Every node id: the network input first, then the layers in spec order."""
        return [INPUT, *self.layers]

    def edges(self) -> list[tuple[str, str, int]]:
        """(source, destination, slot): slot is the position in the destination's inputs."""
        return [(src, dst, k) for dst, entry in self.layers.items() for k, src in enumerate(entry["inputs"])]

    def consumers(self, lid: str) -> list[str]:
        return [dst for dst, entry in self.layers.items() if lid in entry["inputs"]]

    def output_id(self) -> str | None:
        """The layer whose output is the network's: the chosen one, else the last layer that nothing
        reads and that the input reaches (so a layer just dropped on the canvas does not take over)."""
        if self.chosen_output in self.layers:
            return self.chosen_output
        read = {src for entry in self.layers.values() for src in entry["inputs"]}
        sinks = [lid for lid in self.layers if lid not in read]
        fed = self._reached_from_input()
        connected = [lid for lid in sinks if lid in fed]
        if connected or sinks:
            return (connected or sinks)[-1]
        return list(self.layers)[-1] if self.layers else None

    def _reached_from_input(self) -> set[str]:
        reached, stack = set(), [INPUT]
        while stack:
            for nxt in self.consumers(stack.pop()):
                if nxt not in reached:
                    reached.add(nxt)
                    stack.append(nxt)
        return reached

    def feeds_output(self) -> set[str]:
        """The layers the output depends on (those that train)."""
        out = self.output_id()
        needed, stack = set(), [out] if out else []
        while stack:
            lid = stack.pop()
            if lid in needed or lid == INPUT or lid not in self.layers:
                continue
            needed.add(lid)
            stack.extend(self.layers[lid]["inputs"])
        return needed

    def path(self, start: str, goal: str) -> list[str] | None:
        """A path start -> ... -> goal along the connections, or None (breadth first)."""
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            lid = queue.popleft()
            if lid == goal:
                route = [lid]
                while previous[route[-1]] is not None:
                    route.append(previous[route[-1]])
                return route[::-1]
            for nxt in self.consumers(lid):
                if nxt not in previous:
                    previous[nxt] = lid
                    queue.append(nxt)
        return None

    def order(self) -> list[str]:
        """Layer ids sources first (ties keep spec order). The model has no cycles; a file that had one
        is refused on opening, so the tail below only matters while from_spec checks it."""
        done = self._sources_first()
        return done + [lid for lid in self.layers if lid not in set(done)]

    def takes_many_inputs(self, lid: str) -> bool:
        return lid in self.layers and LAYER_TYPES[self.layers[lid]["type"]].max_inputs != 1

    # ================================================================== edits
    def new_id(self, layer_type: str) -> str:
        prefix = _PREFIX.get(layer_type, layer_type)
        k = 1
        while f"{prefix}{k}" in self.layers:
            k += 1
        return f"{prefix}{k}"

    def add_layer(
        self,
        layer_type: str,
        params: dict | None = None,
        pos: Point = (0.0, 0.0),
        lid: str | None = None,
        inputs: Iterable[str] = (),
    ) -> str:
        if layer_type not in LAYER_TYPES:
            raise EditRefused(f"unknown layer type {layer_type!r}")
        lid = lid or self.new_id(layer_type)
        self._check_new_id(lid)
        entry = {
            "type": layer_type,
            **copy.deepcopy(KINDS[layer_type].start if params is None else params),
            "inputs": [],
        }
        self.layers[lid] = entry
        self.positions[lid] = (float(pos[0]), float(pos[1]))
        for src in inputs:
            self.connect(src, lid)
        return lid

    def remove(self, ids: Iterable[str]) -> None:
        """Removes layers and every connection to them (the network input stays)."""
        gone = {lid for lid in ids if lid in self.layers}
        for lid in gone:
            del self.layers[lid]
            self.positions.pop(lid, None)
        for entry in self.layers.values():
            entry["inputs"] = [s for s in entry["inputs"] if s not in gone]
        if self.chosen_output in gone:
            self.chosen_output = None

    def connect(self, src: str, dst: str) -> str | None:
        """Connects src's output to dst's input; returns the input it replaced (single-input layers).

        Refused: unknown nodes, into the network input, a layer into itself, a second identical
        connection, and any connection that closes a cycle (the message names the loop)."""
        if src not in self.layers and src != INPUT:
            raise EditRefused(f"there is no node {src!r}")
        if dst == INPUT:
            raise EditRefused("the network input has no inputs: connect from it, not to it")
        if dst not in self.layers:
            raise EditRefused(f"there is no node {dst!r}")
        if src == dst:
            raise EditRefused(f"'{src}' cannot read its own output: that would be a cycle")
        loop = self.path(dst, src)
        if loop:
            route = " → ".join(loop + [dst])
            raise EditRefused(
                f"connecting '{src}' → '{dst}' would make a cycle ({route}); data must flow one way through a network"
            )
        inputs = self.layers[dst]["inputs"]
        if src in inputs and not self.takes_many_inputs(dst):
            raise EditRefused(f"'{src}' is already connected to '{dst}'")
        if self.chosen_output == src and not self.consumers(src) and not self.consumers(dst):
            self.chosen_output = dst  # the network grows at its end: the output moves along
        if self.takes_many_inputs(dst) or not inputs:
            inputs.append(src)
            return None
        replaced, inputs[0] = inputs[0], src
        return replaced

    def disconnect(self, src: str, dst: str, slot: int | None = None) -> None:
        inputs = self.layers.get(dst, {}).get("inputs", [])
        if slot is not None and 0 <= slot < len(inputs) and inputs[slot] == src:
            del inputs[slot]
        elif src in inputs:
            inputs.remove(src)

    def set_param(self, lid: str, key: str, value) -> None:
        """Sets a parameter; None removes it (the engine default applies)."""
        entry = self._layer(lid)
        if key in ("id", "type", "inputs"):
            raise EditRefused(f"{key!r} is not a parameter")
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = copy.deepcopy(value)
        # keep the inputs key last, as a person would write the spec
        entry["inputs"] = entry.pop("inputs")

    def rename(self, old: str, new: str) -> None:
        self._layer(old)
        if new == old:
            return
        self._check_new_id(new)
        self.layers = {(new if lid == old else lid): entry for lid, entry in self.layers.items()}
        for entry in self.layers.values():
            entry["inputs"] = [new if s == old else s for s in entry["inputs"]]
        self.positions[new] = self.positions.pop(old, (0.0, 0.0))
        if self.chosen_output == old:
            self.chosen_output = new

    def set_input_shape(self, shape: Iterable[int]) -> None:
        shape = [int(d) for d in shape]
        if not shape or any(d < 1 for d in shape):
            raise EditRefused(f"input shape must be positive sizes, got {shape}")
        self.input_shape = shape

    def set_output(self, lid: str | None) -> None:
        if lid is not None:
            self._layer(lid)
        self.chosen_output = lid

    def move(self, positions: dict[str, Point]) -> None:
        for lid, (x, y) in positions.items():
            if lid in self.positions:
                self.positions[lid] = (float(x), float(y))

    # ================================================================== copy and paste
    def fragment(self, ids: Iterable[str]) -> dict:
        """The chosen layers with the connections among them (what "copy" puts on the clipboard)."""
        chosen = [lid for lid in self.layers if lid in set(ids)]
        layers = []
        for lid in chosen:
            entry = copy.deepcopy(self.layers[lid])
            entry["inputs"] = [s for s in entry["inputs"] if s in chosen]
            layers.append({"id": lid, **entry})
        return {
            "format": "neuralviz.fragment/1",
            "layers": layers,
            "layout": {lid: list(self.positions.get(lid, (0.0, 0.0))) for lid in chosen},
        }

    def paste(self, fragment: dict, offset: Point = (40.0, 40.0)) -> list[str]:
        """Adds a copied fragment under fresh ids (connections inside it kept); returns the new ids."""
        if not isinstance(fragment, dict) or fragment.get("format") != "neuralviz.fragment/1":
            raise EditRefused("the clipboard holds no neuralviz layers")
        renamed: dict[str, str] = {}
        new_ids = []
        for layer in fragment.get("layers", []):
            layer = copy.deepcopy(layer)
            old = layer.pop("id")
            inputs = layer.pop("inputs", [])
            x, y = fragment.get("layout", {}).get(old, (0.0, 0.0))
            lid = old if old not in self.layers and old != INPUT else self.new_id(layer["type"])
            renamed[old] = lid
            params = {k: v for k, v in layer.items() if k != "type"}
            self.add_layer(layer["type"], params, (x + offset[0], y + offset[1]), lid)
            self.layers[lid]["inputs"] = [renamed[s] for s in inputs if s in renamed]
            new_ids.append(lid)
        return new_ids

    # ================================================================== the spec
    def to_spec(self, layout: bool = True) -> dict:
        """The spec drawn (layers sources first, inputs explicit), with the node positions if asked."""
        spec = {"format": FORMAT, "name": self.name}
        if self.description:
            spec["description"] = self.description
        spec["input_shape"] = list(self.input_shape)
        spec["layers"] = [{"id": lid, **copy.deepcopy(self.layers[lid])} for lid in self.order()]
        out = self.output_id()
        if out is not None:
            spec["output"] = out
        if layout:
            spec["layout"] = {
                lid: [round(x, 1), round(y, 1)]
                for lid, (x, y) in self.positions.items()
                if lid == INPUT or lid in self.layers
            }
        return spec

    def training_spec(self) -> dict:
        """The spec without layout and without layers that do not feed the output (they cannot train)."""
        spec = self.to_spec(layout=False)
        used = self.feeds_output()
        spec["layers"] = [l for l in spec["layers"] if l["id"] in used]
        return spec

    @classmethod
    def from_spec(cls, spec: dict) -> GraphModel:
        """A model of a spec dict; SpecError (naming what is wrong) when it is not a network spec.

        Structure is checked by the engine (spec.normalise: format, ids, types, references); an editor
        file may also hold layers not connected yet ("inputs": []) and no layers at all."""
        if not isinstance(spec, dict):
            raise SpecError("a network spec must be a JSON object")
        if spec.get("format") == "neuralviz.preset/1" and isinstance(spec.get("network"), dict):
            spec = spec["network"]
        layers = spec.get("layers", [])
        if not isinstance(layers, list):
            raise SpecError("'layers' must be a list")
        unconnected = {l.get("id") for l in layers if isinstance(l, dict) and l.get("inputs") == []}
        # the engine wants every layer connected: check the rest with a stand-in input, then drop it
        probe = {
            **spec,
            "layers": [
                {**l, "inputs": [INPUT]} if isinstance(l, dict) and l.get("id") in unconnected else l for l in layers
            ]
            or [{"id": "_", "type": "relu"}],
        }
        if not layers:
            probe.pop("output", None)
        spec_n = normalise(probe)
        model = cls(str(spec.get("name", "untitled")), spec_n["input_shape"])
        model.description = str(spec.get("description", ""))
        for entry in spec_n["layers"] if layers else []:
            entry = copy.deepcopy(entry)
            lid = entry.pop("id")
            if lid in unconnected:
                entry["inputs"] = []
            model.layers[lid] = {**{k: v for k, v in entry.items() if k != "inputs"}, "inputs": entry["inputs"]}
        cycle = model._cycle()
        if cycle:
            raise SpecError(f"the layer graph has a cycle through {', '.join(repr(c) for c in cycle)}")
        if layers:  # explicit from now on (the spec's, or its last layer as the engine takes it)
            model.chosen_output = spec_n["output"]
        layout = spec.get("layout")
        if isinstance(layout, dict):
            for lid, pos in layout.items():
                if (lid in model.layers or lid == INPUT) and _is_point(pos):
                    model.positions[lid] = (float(pos[0]), float(pos[1]))
        return model

    def has_layout(self) -> bool:
        """Whether every node has a saved position (else the editor lays the graph out)."""
        return all(lid in self.positions for lid in self.layers)

    # ================================================================== helpers
    def _layer(self, lid: str) -> dict:
        if lid not in self.layers:
            raise EditRefused(f"there is no layer {lid!r}")
        return self.layers[lid]

    def _check_new_id(self, lid: str) -> None:
        if not isinstance(lid, str) or not LAYER_ID.fullmatch(lid):
            raise EditRefused(f"layer names start with a letter and use letters, digits, _ and - only; got {lid!r}")
        if lid == INPUT:
            raise EditRefused("'input' names the network input; choose another name")
        if lid in self.layers:
            raise EditRefused(f"there is already a layer named {lid!r}")

    def _cycle(self) -> list[str]:
        """The layers on or after a cycle (empty when there is none)."""
        done = set(self._sources_first())
        return sorted(lid for lid in self.layers if lid not in done)

    def _sources_first(self) -> list[str]:
        """Kahn's algorithm: the layers that can be ordered, sources first, ties in spec order."""
        indegree = {lid: sum(1 for s in e["inputs"] if s in self.layers) for lid, e in self.layers.items()}
        ready = deque(lid for lid, d in indegree.items() if d == 0)
        done: list[str] = []
        while ready:
            lid = ready.popleft()
            done.append(lid)
            for c in self.consumers(lid):
                indegree[c] -= self.layers[c]["inputs"].count(lid)
                if indegree[c] == 0:
                    ready.append(c)
        return done


def _is_point(pos) -> bool:
    return (
        isinstance(pos, (list, tuple))
        and len(pos) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)
    )

"""Reading and rewriting plain MLP specs, for the studio's "hidden layers", "activation", "dropout" and
"input noise" controls.

An MLP here is a chain: [flatten] [gaussian_noise] then groups of dense -> [activation] -> [dropout], the
last dense being the output (optionally followed by activations, e.g. the perceptron's step). Other
networks (convolutions, branches, recurrences) are shown and trained as they are; these controls then do
not apply to them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ...spec import INPUT, normalise

ACTIVATION_TYPES = ("tanh", "relu", "leaky_relu", "sigmoid", "step")
# What the activation picker offers ("linear" means no activation after the hidden dense layers).
CHOOSABLE_ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid", "linear")


@dataclass
class MlpDescription:
    input_shape: tuple[int, ...]
    hidden: list[int]
    activations: list[str | None]  # per hidden layer; None = linear
    output_units: int
    output_tail: list[dict] = field(default_factory=list)  # layers after the output dense (no ids)
    dropout: float = 0.0
    input_noise: float = 0.0
    name: str = "mlp"
    flatten: bool = True  # inputs with several axes are flattened; (time, features) may instead go
    # through the dense layers per time step (one output per step)

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_spec(cls, spec: dict) -> MlpDescription | None:
        """The description of a spec that is a plain MLP, or None for any other network."""
        try:
            spec = normalise(spec)
        except Exception:
            return None
        layers = spec["layers"]
        previous = INPUT
        for entry in layers:
            if entry["inputs"] != [previous]:
                return None
            previous = entry["id"]
        if spec["output"] != previous:
            return None
        types = [entry["type"] for entry in layers]
        i, flattened, noise = 0, False, 0.0
        if i < len(types) and types[i] == "flatten":
            flattened, i = True, i + 1
        if i < len(types) and types[i] == "gaussian_noise":
            noise, i = float(layers[i].get("std", 0.1)), i + 1
        if len(spec["input_shape"]) > 2 and not flattened:
            return None  # images must be flattened; (time, features) may run per step
        groups: list[dict] = []
        dropouts: set[float] = set()
        for entry in layers[i:]:
            t = entry["type"]
            if t == "dense":
                groups.append({"units": int(entry["units"]), "act": None, "tail": []})
            elif not groups:
                return None
            elif t in ACTIVATION_TYPES and groups[-1]["act"] is None and not groups[-1]["tail"]:
                groups[-1]["act"] = t
            elif t == "dropout":
                dropouts.add(float(entry.get("p", 0.5)))
                groups[-1]["tail"].append(t)
            else:
                return None
        if not groups or len(dropouts) > 1 or groups[-1]["tail"]:
            return None
        out = groups[-1]
        tail = [{"type": out["act"]}] if out["act"] else []
        return cls(
            input_shape=tuple(spec["input_shape"]),
            hidden=[g["units"] for g in groups[:-1]],
            activations=[g["act"] for g in groups[:-1]],
            output_units=out["units"],
            output_tail=tail,
            dropout=dropouts.pop() if dropouts else 0.0,
            input_noise=noise,
            name=str(spec.get("name", "mlp")),
            flatten=flattened or len(spec["input_shape"]) == 1,
        )

    # ------------------------------------------------------------------ writing
    def to_spec(self) -> dict:
        """A spec with Playground-style ids: h1, a1, d1, ..., out."""
        layers: list[dict] = []
        if len(self.input_shape) > 1 and self.flatten:
            layers.append({"id": "flatten", "type": "flatten"})
        if self.input_noise > 0:
            layers.append({"id": "noise", "type": "gaussian_noise", "std": float(self.input_noise)})
        for i, (units, act) in enumerate(zip(self.hidden, self.activations), start=1):
            layers.append({"id": f"h{i}", "type": "dense", "units": int(units)})
            if act:
                layers.append({"id": f"a{i}", "type": act})
            if self.dropout > 0:
                layers.append({"id": f"d{i}", "type": "dropout", "p": float(self.dropout)})
        layers.append({"id": "out", "type": "dense", "units": int(self.output_units)})
        for k, extra in enumerate(self.output_tail):
            layers.append({**copy.deepcopy(extra), "id": f"out_{extra['type']}{k or ''}"})
        return {
            "format": "neuralviz.network/1",
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": layers,
        }

    # ------------------------------------------------------------------ the controls
    @property
    def activation(self) -> str:
        """The hidden activation the picker shows: the common one, 'linear' for none, 'mixed' otherwise."""
        kinds = {a or "linear" for a in self.activations}
        if not kinds:
            return "linear"
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def set_activation(self, name: str) -> None:
        if name not in CHOOSABLE_ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(CHOOSABLE_ACTIVATIONS)}")
        self.activations = [None if name == "linear" else name] * len(self.hidden)

    def set_hidden(self, sizes: list[int]) -> None:
        """New hidden sizes; new layers take the activation of the last existing one (tanh if none)."""
        default = self.activations[-1] if self.activations else "tanh"
        acts = list(self.activations[: len(sizes)])
        acts += [default] * (len(sizes) - len(acts))
        self.hidden, self.activations = [int(s) for s in sizes], acts


def parse_hidden(text: str) -> list[int]:
    """'8, 8' or '8 8' or '' (no hidden layer) -> [8, 8]; errors name the bad part."""
    parts = [p for p in text.replace(",", " ").split() if p]
    sizes = []
    for p in parts:
        if not p.isdigit() or not 1 <= int(p) <= 4096:
            raise ValueError(
                f"hidden layers: {p!r} is not a layer width between 1 and 4096 "
                "(write widths separated by commas, e.g. '8, 8')"
            )
        sizes.append(int(p))
    if len(sizes) > 16:
        raise ValueError(f"hidden layers: {len(sizes)} layers is more than the 16 the studio draws")
    return sizes


def format_hidden(sizes: list[int]) -> str:
    return ", ".join(str(s) for s in sizes)


def fit_io(spec: dict, input_shape: tuple[int, ...], output_units: int | None) -> dict:
    """A copy of a (non-MLP) spec with its input shape replaced and, when the last layer is dense and
    output_units is given, that layer's width; the network may still not build (the caller reports it)."""
    spec = copy.deepcopy(spec)
    spec["input_shape"] = list(input_shape)
    layers = spec.get("layers") or []
    out_id = spec.get("output", layers[-1].get("id") if layers else None)
    for entry in layers:
        if entry.get("id") == out_id and entry.get("type") == "dense" and output_units:
            entry["units"] = int(output_units)
    return spec

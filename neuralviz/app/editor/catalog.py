"""The layer types the editor offers: what each one is for, the values a new node starts with, and the
typed parameters the inspector edits (with the rules a value must satisfy, checked as it is typed).

The types themselves come from the engine (neuralviz.layers.LAYER_TYPES); this file only adds what a
person drawing a network needs to read. A type the engine gains later still appears in the palette
(under "Other", with its engine defaults) until it is described here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ...layers import LAYER_TYPES

# Values larger than this are refused in the inspector: checking such a layer builds its weights, and a
# network this wide is not something one draws for a lecture.
MAX_WIDTH = 65_536
MAX_KERNEL = 1_024


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its kind (int, pair, float, bool) and range, and a one-line explanation."""

    key: str
    kind: str  # "int" | "pair" | "float" | "bool"
    minimum: float = 0
    maximum: float = MAX_WIDTH
    below_maximum: bool = False  # the maximum itself is excluded (dropout's p < 1)
    auto: str = ""  # when set, an empty field means None, described by this text
    doc: str = ""

    def parse(self, text: str) -> Any:
        """The value typed as `text`, or ValueError with the reason it is refused."""
        text = text.strip()
        if not text:
            if self.auto:
                return None
            raise ValueError(f"{self.key} needs a value ({self._rule()})")
        if self.kind == "int":
            return self._int(text)
        if self.kind == "pair":
            parts = [p for p in re.split(r"[\s,x×*]+", text) if p]
            if len(parts) not in (1, 2):
                raise ValueError(f"{self.key}: write one number or two (height, width), got {text!r}")
            values = [self._int(p) for p in parts]
            return values[0] if len(values) == 1 or values[0] == values[1] else values
        if self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{self.key} must be a number ({self._rule()}), got {text!r}") from None
            if not math.isfinite(value) or not self._in_range(value):
                raise ValueError(f"{self.key} must be {self._rule()}, got {text}")
            return value
        if self.kind == "bool":
            if text.lower() in ("true", "yes", "1", "on"):
                return True
            if text.lower() in ("false", "no", "0", "off"):
                return False
            raise ValueError(f"{self.key} must be true or false, got {text!r}")
        raise ValueError(f"{self.key}: unknown parameter kind {self.kind!r}")

    def format(self, value: Any) -> str:
        """The text a field shows for a value (the inverse of parse)."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def _int(self, text: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"{self.key} must be a whole number ({self._rule()}), got {text!r}")
        value = int(text)
        if not self._in_range(value):
            raise ValueError(f"{self.key} must be {self._rule()}, got {value}")
        return value

    def _in_range(self, value: float) -> bool:
        upper = value < self.maximum if self.below_maximum else value <= self.maximum
        return self.minimum <= value and upper

    def _rule(self) -> str:
        number = "a whole number" if self.kind in ("int", "pair") else "a number"
        top = f"below {self.maximum:g}" if self.below_maximum else f"at most {self.maximum:,g}"
        return f"{number} ≥ {self.minimum:g} and {top}"


@dataclass(frozen=True)
class LayerKind:
    """A layer type as the palette and the inspector show it."""

    type: str
    category: str
    summary: str
    start: dict  # the parameters a new node gets (the engine requires these)
    params: tuple[ParamSpec, ...]

    @property
    def defaults(self) -> dict:
        """The engine's defaults for the parameters a spec may leave out."""
        return dict(LAYER_TYPES[self.type].defaults)

    def param(self, key: str) -> ParamSpec | None:
        return next((p for p in self.params if p.key == key), None)


def _width(key: str, doc: str) -> ParamSpec:
    return ParamSpec(key, "int", 1, MAX_WIDTH, doc=doc)


_BIAS = ParamSpec("bias", "bool", doc="add a learned offset to every output")
_KERNEL = ParamSpec("kernel_size", "pair", 1, MAX_KERNEL, doc="window height and width (one number: square)")
_PADDING = ParamSpec("padding", "pair", 0, MAX_KERNEL, doc="zeros added around the image on each side")
_RECURRENT = (
    _width("hidden", "size of the hidden state"),
    ParamSpec("return_sequences", "bool", doc="output every time step (else only the last)"),
)

_KINDS = [
    LayerKind(
        "dense",
        "Dense",
        "fully connected: every output sees every input",
        {"units": 8},
        (_width("units", "number of outputs"), _BIAS),
    ),
    LayerKind(
        "stochastic_dense",
        "Dense",
        "fully connected with Gaussian weights: a new draw every training step, the mean when evaluating",
        {"units": 8},
        (
            _width("units", "number of outputs"),
            _BIAS,
            ParamSpec("sigma_init", "float", 1e-6, 1e3, doc="starting standard deviation of every weight"),
            ParamSpec(
                "prior_sigma", "float", 1e-6, 1e6, auto="no prior", doc="std of the Gaussian prior (empty: no KL term)"
            ),
            ParamSpec("kl_weight", "float", 0.0, 1e6, doc="weight of the KL term (1 / training examples)"),
        ),
    ),
    LayerKind(
        "conv2d",
        "Convolution",
        "slides small learned filters over an image",
        {"channels": 8, "kernel_size": 3},
        (
            _width("channels", "number of filters (output channels)"),
            _KERNEL,
            ParamSpec("stride", "pair", 1, MAX_KERNEL, doc="step between filter positions"),
            _PADDING,
            ParamSpec("dilation", "pair", 1, MAX_KERNEL, doc="spacing of the filter taps"),
            _BIAS,
        ),
    ),
    LayerKind(
        "conv_transpose2d",
        "Convolution",
        "grows an image: each pixel paints a learned filter into a larger output (GAN generators, decoders)",
        {"channels": 8, "kernel_size": 4, "stride": 2, "padding": 1},
        (
            _width("channels", "number of filters (output channels)"),
            _KERNEL,
            ParamSpec("stride", "pair", 1, MAX_KERNEL, doc="output step between input pixels (2: twice the size)"),
            ParamSpec("padding", "pair", 0, MAX_KERNEL, doc="rows and columns trimmed from each side of the output"),
            ParamSpec("output_padding", "pair", 0, MAX_KERNEL, doc="extra rows and columns at the bottom and right"),
            ParamSpec("dilation", "pair", 1, MAX_KERNEL, doc="spacing of the filter taps"),
            _BIAS,
        ),
    ),
    LayerKind(
        "upsample",
        "Convolution",
        "enlarges an image by repeating each pixel (nearest neighbour)",
        {"scale": 2},
        (ParamSpec("scale", "pair", 1, MAX_KERNEL, doc="how many times taller and wider (one number: both)"),),
    ),
    LayerKind(
        "maxpool2d",
        "Convolution",
        "keeps the largest value of each window",
        {"kernel_size": 2},
        (
            _KERNEL,
            ParamSpec(
                "stride",
                "pair",
                1,
                MAX_KERNEL,
                auto="= kernel size",
                doc="step between windows (empty: the kernel size)",
            ),
            _PADDING,
        ),
    ),
    LayerKind(
        "avgpool2d",
        "Convolution",
        "averages each window",
        {"kernel_size": 2},
        (
            _KERNEL,
            ParamSpec(
                "stride",
                "pair",
                1,
                MAX_KERNEL,
                auto="= kernel size",
                doc="step between windows (empty: the kernel size)",
            ),
            _PADDING,
        ),
    ),
    LayerKind("flatten", "Shape", "turns an image or a sequence into one feature vector", {}, ()),
    LayerKind(
        "reshape",
        "Shape",
        "turns a feature vector into an image (channels, height, width): flatten's inverse",
        {"shape": [1, 2, 2]},
        (),
    ),
    LayerKind("relu", "Activation", "max(0, x)", {}, ()),
    LayerKind(
        "leaky_relu",
        "Activation",
        "x, or slope·x below zero",
        {},
        (ParamSpec("slope", "float", 0.0, 1.0, doc="slope for negative inputs"),),
    ),
    LayerKind("tanh", "Activation", "squashes to (-1, 1)", {}, ()),
    LayerKind("sigmoid", "Activation", "squashes to (0, 1)", {}, ()),
    LayerKind("step", "Activation", "the perceptron's threshold: 0 or 1", {}, ()),
    LayerKind(
        "polynomial",
        "Activation",
        "every monomial of the inputs up to a degree: x, y, x², xy, y², …",
        {"degree": 3},
        (ParamSpec("degree", "int", 1, 16, doc="highest total power (a dense layer after it fits a polynomial)"),),
    ),
    LayerKind(
        "dropout",
        "Regularisation",
        "zeroes a random fraction of units while training",
        {},
        (ParamSpec("p", "float", 0.0, 1.0, below_maximum=True, doc="fraction of units dropped"),),
    ),
    LayerKind(
        "gaussian_noise",
        "Regularisation",
        "adds noise to its input while training",
        {},
        (ParamSpec("std", "float", 0.0, 1e6, doc="standard deviation of the noise"),),
    ),
    LayerKind("add", "Merge", "sums 2+ inputs of the same shape (residual skips)", {}, ()),
    LayerKind(
        "concat",
        "Merge",
        "joins 2+ inputs along an axis",
        {},
        (ParamSpec("axis", "int", 1, 3, doc="1 = features / channels"),),
    ),
    LayerKind(
        "pde_refine",
        "Convolution",
        "a recurrent refinement of class score maps: u ← u + dt·f(u, features) K times with the same "
        "convolutions (inputs: scores, then optional image features)",
        {"iterations": 5, "hidden": 16},
        (
            ParamSpec("iterations", "int", 0, 1000, doc="times the same update is applied (K)"),
            _width("hidden", "channels of the update's hidden convolution"),
            ParamSpec("kernel_size", "int", 1, 99, doc="odd size of both convolutions of the update"),
            ParamSpec("dt", "float", 1e-6, 10.0, doc="time step: how far one iteration moves the scores"),
            ParamSpec("detach", "bool", doc="train only the refinement: no gradient into the layers below"),
        ),
    ),
    LayerKind("rnn", "Recurrent", "a tanh recurrent layer over a sequence", {"hidden": 16}, _RECURRENT),
    LayerKind("lstm", "Recurrent", "long short-term memory over a sequence", {"hidden": 16}, _RECURRENT),
    LayerKind("gru", "Recurrent", "gated recurrent unit over a sequence", {"hidden": 16}, _RECURRENT),
    LayerKind(
        "clockwork",
        "Recurrent",
        "clockwork RNN: unit groups that update every 1, 2, 4, 8 steps (several time scales)",
        {"hidden": 16},
        _RECURRENT,
    ),
    LayerKind(
        "embedding",
        "Embedding",
        "a learned vector for each token id",
        {"vocab": 32, "dim": 8},
        (_width("vocab", "number of distinct token ids"), _width("dim", "length of each vector")),
    ),
    LayerKind(
        "memory",
        "Recurrent",
        "memory network: attention over a story's sentences, a few hops (input: sentences + question, words)",
        {"vocab": 32},
        (
            _width("vocab", "number of distinct token ids"),
            _width("dim", "length of each sentence vector"),
            ParamSpec("hops", "int", 1, 16, doc="rounds of attention over the sentences"),
            ParamSpec("position_encoding", "bool", doc="weigh each word by its position in the sentence"),
            ParamSpec("temporal_encoding", "bool", doc="add a learned vector for how long ago each sentence was"),
            ParamSpec("time_noise", "float", 0.0, 1.0, doc="chance of a blank memory after a sentence, in training"),
        ),
    ),
]

CATEGORIES = (
    "Dense",
    "Convolution",
    "Activation",
    "Shape",
    "Merge",
    "Recurrent",
    "Embedding",
    "Regularisation",
    "Other",
)
KINDS: dict[str, LayerKind] = {k.type: k for k in _KINDS if k.type in LAYER_TYPES}
for _type, _cls in LAYER_TYPES.items():  # a type the engine has but this file does not describe yet
    if _type not in KINDS:
        KINDS[_type] = LayerKind(
            _type,
            "Other",
            "",
            {k: 1 for k, v in _cls.defaults.items() if v is None},
            tuple(ParamSpec(k, "int", 1) for k in _cls.defaults),
        )

# input shapes: "2", "1, 8, 8", "20 x 2"
INPUT_SHAPE = ParamSpec("input_shape", "int", 1, MAX_WIDTH)


def parse_shape(text: str) -> list[int]:
    """'1, 8, 8' -> [1, 8, 8]; ValueError with the reason for anything else."""
    parts = [p for p in re.split(r"[\s,x×*()\[\]]+", text) if p]
    if not parts:
        raise ValueError("input shape needs at least one size, e.g. '2' or '1, 8, 8'")
    if len(parts) > 3:
        raise ValueError(f"input shape has {len(parts)} sizes; the layers take at most 3 (channels, height, width)")
    return [INPUT_SHAPE._int(p) for p in parts]


def format_shape(shape) -> str:
    """(16, 8, 8) -> '16×8×8' (the batch axis is left out everywhere in the editor)."""
    return "×".join(str(int(d)) for d in shape) if shape else "?"


def describe_params(layer_type: str, entry: dict) -> str:
    """A short summary of a layer's settings for its node: '8 units', '8 ch · 3×3 · pad 1'."""
    v = {**LAYER_TYPES[layer_type].defaults, **entry} if layer_type in LAYER_TYPES else dict(entry)

    def pair(x) -> str:
        return "×".join(str(e) for e in x) if isinstance(x, (list, tuple)) else f"{x}×{x}"

    if layer_type == "dense":
        units = v.get("units")
        return f"{units} unit{'' if units == 1 else 's'}" + ("" if v.get("bias", True) else " · no bias")
    if layer_type == "reshape":
        return "×".join(str(d) for d in v.get("shape") or [])
    if layer_type == "stochastic_dense":
        sigma = v.get("sigma_init")
        return f"{v.get('units')} units" + (f" · σ₀ {sigma:g}" if isinstance(sigma, (int, float)) else "")
    if layer_type == "conv2d":
        parts = [f"{v.get('channels')} ch", pair(v.get("kernel_size"))]
        for key, label, default in (("stride", "stride", 1), ("padding", "pad", 0), ("dilation", "dil", 1)):
            if v.get(key) not in (default, [default, default]):
                parts.append(f"{label} {pair(v[key]) if isinstance(v[key], list) else v[key]}")
        return " · ".join(parts)
    if layer_type == "conv_transpose2d":
        parts = [f"{v.get('channels')} ch", pair(v.get("kernel_size"))]
        for key, label, default in (
            ("stride", "stride", 1),
            ("padding", "pad", 0),
            ("output_padding", "out pad", 0),
            ("dilation", "dil", 1),
        ):
            if v.get(key) not in (default, [default, default]):
                parts.append(f"{label} {pair(v[key]) if isinstance(v[key], list) else v[key]}")
        return " · ".join(parts)
    if layer_type == "upsample":
        return f"× {pair(v.get('scale'))}"
    if layer_type == "pde_refine":
        return f"{v.get('iterations')} iterations · hidden {v.get('hidden')}"
    if layer_type in ("maxpool2d", "avgpool2d"):
        parts = [pair(v.get("kernel_size"))]
        if v.get("stride") is not None and v.get("stride") != v.get("kernel_size"):
            parts.append(f"stride {v['stride']}")
        if v.get("padding"):
            parts.append(f"pad {v['padding']}")
        return " · ".join(parts)
    if layer_type in ("rnn", "lstm", "gru"):
        return f"hidden {v.get('hidden')}" + (" · all steps" if v.get("return_sequences") else "")
    if layer_type == "embedding":
        return f"{v.get('vocab')} tokens → {v.get('dim')}"
    if layer_type == "memory":
        return f"{v.get('hops', 3)} hops"
    if layer_type == "clockwork":
        return f"hidden {v.get('hidden')} · periods {'/'.join(map(str, v.get('periods') or [1, 2, 4, 8]))}"
    if layer_type == "polynomial":
        return f"degree {v.get('degree')}"
    if layer_type == "dropout":
        return f"p = {v.get('p'):g}" if isinstance(v.get("p"), (int, float)) else ""
    if layer_type == "gaussian_noise":
        return f"std {v.get('std'):g}" if isinstance(v.get("std"), (int, float)) else ""
    if layer_type == "leaky_relu":
        return f"slope {v.get('slope'):g}" if isinstance(v.get("slope"), (int, float)) else ""
    if layer_type == "concat":
        return f"axis {v.get('axis')}"
    return ""

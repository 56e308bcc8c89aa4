"""Fuzz cases for network specs (`Network.from_spec`): `run_case(seed)`.

Each seed takes a valid spec (a lecture preset's network or one of the small specs below, which
between them use every layer type), applies one to four mutations (wrong JSON types, huge,
negative, zero or non-finite numbers, missing and extra keys, unknown types, wrong or cyclic
inputs, a bad output, deep nesting, odd input shapes, layers removed, duplicated, shuffled or
added with random parameters), and builds the result, from the dict or from its JSON text. If
it builds, one forward and one backward pass run on a batch of 0 to 3 examples, and the output
shape is checked against the shape the network declares.

Bounded: the build runs under a small budget (max_params / max_activations below; one case in
eight uses the default budget, the base's input shape and a last layer of 2**28 + 1 units or more,
which must be refused before anything is allocated), and the passes run only when the network's
forward FLOPs are small, so a case takes well under a second and a few tens of MiB.

Outcomes: returning (built and ran, or the pass was skipped as too costly) and ValueError /
TypeError (a clear refusal) are expected. AssertionError means the engine broke its contract
(an output of another shape than declared, NaN from finite input through a freshly
initialised network, a refusal message that does not name the layer or key).
"""

from __future__ import annotations

import copy
import json

import numpy as np

from .. import presets
from ..layers import LAYER_TYPES
from ..network import Network

MAX_PARAMS = 2**21  # the fuzz budget: 8 MiB of float32 parameters
MAX_ACTIVATIONS = 2**21  # elements per example
MAX_FLOPS = 4e7  # per example; above this the passes are skipped (a second of work otherwise)

_SMALL = [
    {
        "name": "all-dense",
        "input_shape": [4],
        "layers": [
            {"id": "d1", "type": "dense", "units": 6},
            {"id": "a1", "type": "leaky_relu", "slope": 0.1},
            {"id": "n1", "type": "gaussian_noise", "std": 0.2},
            {"id": "d2", "type": "dense", "units": 6, "bias": False},
            {"id": "a2", "type": "sigmoid"},
            {"id": "drop", "type": "dropout", "p": 0.3},
            {"id": "sum", "type": "add", "inputs": ["drop", "n1"]},
            {"id": "cat", "type": "concat", "inputs": ["sum", "a1"], "axis": 1},
            {"id": "a3", "type": "relu"},
            {"id": "out", "type": "dense", "units": 2},
            {"id": "thr", "type": "step"},
        ],
        "output": "out",
    },
    {
        "name": "tiny-cnn",
        "input_shape": [2, 9, 7],
        "layers": [
            {"id": "c1", "type": "conv2d", "channels": 3, "kernel_size": [3, 2], "stride": [2, 1], "padding": 1},
            {"id": "r1", "type": "relu"},
            {"id": "p1", "type": "maxpool2d", "kernel_size": 2, "stride": 1, "padding": 1},
            {"id": "c2", "type": "conv2d", "channels": 3, "kernel_size": 2, "dilation": 2, "padding": [1, 2]},
            {"id": "p2", "type": "avgpool2d", "kernel_size": [2, 3], "padding": [1, 1]},
            {"id": "cat", "type": "concat", "inputs": ["p2", "p2"], "axis": 1},
            {"id": "flat", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 3},
        ],
    },
    {
        "name": "tiny-refine",
        "input_shape": [2, 6, 6],
        "layers": [
            {"id": "c1", "type": "conv2d", "channels": 3, "kernel_size": 3, "padding": 1},
            {"id": "p1", "type": "maxpool2d", "kernel_size": 2},
            {"id": "up", "type": "upsample", "scale": 2},
            {"id": "pde", "type": "pde_refine", "inputs": ["up", "input"], "iterations": 2, "hidden": 3},
        ],
    },
    {
        "name": "tiny-decoder",
        "input_shape": [3, 3, 4],
        "layers": [
            {"id": "up1", "type": "conv_transpose2d", "channels": 2, "kernel_size": 4, "stride": 2, "padding": 1},
            {"id": "r1", "type": "relu"},
            {"id": "up2", "type": "upsample", "scale": [2, 1]},
            {
                "id": "up3",
                "type": "conv_transpose2d",
                "channels": 1,
                "kernel_size": [3, 2],
                "stride": [1, 2],
                "output_padding": [0, 1],
                "dilation": [2, 1],
                "bias": False,
            },
        ],
    },
    {
        "name": "tiny-rnn",
        "input_shape": [5, 3],
        "layers": [
            {"id": "r1", "type": "rnn", "hidden": 4, "return_sequences": True},
            {"id": "g1", "type": "gru", "hidden": 3, "return_sequences": True},
            {"id": "td", "type": "dense", "units": 2},
            {"id": "l1", "type": "lstm", "hidden": 3},
            {"id": "out", "type": "dense", "units": 1},
        ],
    },
    {
        "name": "tiny-embedding",
        "input_shape": [6],
        "layers": [
            {"id": "emb", "type": "embedding", "vocab": 11, "dim": 4},
            {"id": "seq", "type": "lstm", "hidden": 5, "return_sequences": True},
            {"id": "flat", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 11},
        ],
    },
    {
        "name": "tiny-stochastic",
        "input_shape": [3, 4],
        "layers": [
            {"id": "s1", "type": "stochastic_dense", "units": 5, "sigma_init": 0.2, "prior_sigma": 1.0},
            {"id": "a1", "type": "tanh"},
            {"id": "flat", "type": "flatten"},
            {"id": "out", "type": "stochastic_dense", "units": 2, "bias": False},
        ],
    },
]

_HUGE = [2**31, 2**32 + 1, 2**40, 2**62, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]
_BAD_SCALARS = [
    0,
    -1,
    -(2**63),
    1.5,
    2.0,
    0.0,
    -0.0,
    float("nan"),
    float("inf"),
    -float("inf"),
    1e308,
    5e-324,
    True,
    False,
    None,
    "",
    "3",
    "no",
    "true",
    [],
    [3],
    [3, 3, 3],
    [[3]],
    {},
    {"a": 1},
    [True, 2],
    [2, 2.0],
    [-1, 2],
]
_ODD_OK = [1, 2, 3, 4, 5, 7, 8, 16, [1, 1], [2, 1], [1, 3], [3, 3], 0.5, 0.01, 0.99, 1.0]
_KEYS = [
    "units",
    "bias",
    "channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "slope",
    "p",
    "std",
    "axis",
    "hidden",
    "return_sequences",
    "vocab",
    "dim",
]

_cache: list[dict] = []


def _bases() -> list[dict]:
    if not _cache:
        for name in presets.names():
            try:
                _cache.append(presets.load(name)["network"])
            except (ValueError, KeyError, OSError):
                continue
        _cache.extend(_SMALL)
    return _cache


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _value(rng: np.random.Generator, benign: bool = False):
    """A bad, huge or merely odd value for a layer parameter (benign: odd but plausible)."""
    r = 0.9 if benign else rng.random()
    if r < 0.3:
        return _pick(rng, _HUGE) * (-1 if rng.random() < 0.2 else 1)
    if r < 0.7:
        return copy.deepcopy(_pick(rng, _BAD_SCALARS))
    if r < 0.8:
        return [_pick(rng, _HUGE), _pick(rng, _ODD_OK + _HUGE)][:: 1 if rng.random() < 0.5 else -1]
    return copy.deepcopy(_pick(rng, _ODD_OK))


def _nested(depth: int, leaf=1):
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


def _layer_ids(spec: dict) -> list:
    layers = spec.get("layers")
    if not isinstance(layers, list):
        return []
    return [l.get("id") for l in layers if isinstance(l, dict)]


def _mutate(spec: dict, rng: np.random.Generator, state: dict, benign: bool) -> None:
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        layers = spec["layers"] = [{"id": "x", "type": "relu"}]
    i = int(rng.integers(len(layers)))
    layer = layers[i] if isinstance(layers[i], dict) else {}
    ids = _layer_ids(spec)
    # benign: odd parameter values, odd input shapes, new layers, shuffles (many of these build)
    kind = int(_pick(rng, [0, 9, 12, 13])) if benign else int(rng.integers(16))
    if kind <= 3:  # a parameter of a layer: bad type, huge, zero, negative, or odd but valid
        key = (
            _pick(rng, list(LAYER_TYPES[layer["type"]].defaults) or ["units"])
            if benign and layer.get("type") in LAYER_TYPES
            else (_pick(rng, _KEYS) if rng.random() < 0.4 else _pick(rng, list(layer) or _KEYS))
        )
        layer[key] = _value(rng, benign)
    elif kind == 4:  # a key removed
        if layer:
            del layer[_pick(rng, list(layer))]
    elif kind == 5:  # an extra key
        layer[_pick(rng, ["extra", "Units", "name", "activation", "inputs2", ""])] = _value(rng)
    elif kind == 6:  # another type: known, unknown, or not a string
        layer["type"] = _pick(rng, [*LAYER_TYPES, "Dense", "conv3d", "", None, 3, ["dense"], {"t": 1}])
    elif kind == 7:  # wrong inputs: missing, itself, a later layer (a cycle), several, empty, not a list
        choices = ["nope", "input", layer.get("id"), _pick(rng, ids) if ids else "x", None, 5, [], [[]]]
        v = _pick(rng, choices)
        layer["inputs"] = v if rng.random() < 0.3 else [v, _pick(rng, [*ids, "input"])][: int(rng.integers(1, 3))]
    elif kind == 8:  # a bad output
        spec["output"] = _pick(rng, ["nope", "input", None, 0, ["out"], {"id": "out"}, "", *ids])
    elif kind == 9:  # input_shape
        spec["input_shape"] = _pick(
            rng,
            [[2], [2, 5], [1, 8, 8], [3, 5, 6], [4, 4], [7], [6]]
            if benign
            else [
                [],
                [0],
                [-2],
                [2.0],
                [True],
                "2",
                None,
                [2**31],
                [2**40, 2**40],
                [1] * 40,
                [3, 2**16, 2**16],
                [1, 1, 1],
                [2, 5],
                [7],
                [1, 8, 8],
                [2**20],
                [4, 4],
            ],
        )
    elif kind == 10:  # deep nesting, somewhere
        depth = int(_pick(rng, [40, 200, 3000, 100_000]))
        state["deep"] = max(state.get("deep", 0), depth)
        where = rng.random()
        if where < 0.4:
            layer[_pick(rng, _KEYS)] = _nested(depth)
        elif where < 0.7:
            spec["layout"] = {"x": _nested(depth)}
        else:
            spec["description"] = _nested(depth, "d")
    elif kind == 11:  # a layer removed or duplicated (duplicate id)
        if rng.random() < 0.5 and len(layers) > 1:
            del layers[i]
        else:
            layers.insert(int(rng.integers(len(layers) + 1)), copy.deepcopy(layers[i]))
    elif kind == 12:  # order shuffled (explicit inputs keep the graph; implicit ones change it)
        rng.shuffle(layers)
    elif kind == 13:  # a new layer of a random type with random parameters
        t = _pick(rng, list(LAYER_TYPES))
        new = {"id": f"new{int(rng.integers(1000))}", "type": t}
        for key in LAYER_TYPES[t].defaults:
            if rng.random() < 0.7:
                new[key] = _pick(rng, _ODD_OK) if benign or rng.random() < 0.7 else _value(rng)
        if rng.random() < 0.5 and ids:
            new["inputs"] = [_pick(rng, [*ids, "input"]) for _ in range(int(rng.integers(1, 3)))]
        layers.insert(int(rng.integers(len(layers) + 1)), new)
    elif kind == 14:  # top level: unknown key, wrong format, odd name, key removed
        r = rng.random()
        if r < 0.25:
            spec["extra"] = 1
        elif r < 0.5:
            spec["format"] = _pick(rng, ["neuralviz.network/2", None, 1, ""])
        elif r < 0.75:
            spec["name"] = _value(rng)
        else:
            key = _pick(rng, list(spec))
            spec.pop(key, None)
    else:  # a layer replaced by a non-object
        layers[i] = _pick(rng, [None, 1, "dense", [], ["id", "type"]])


def _x(net: Network, rng: np.random.Generator, n: int = 2) -> np.ndarray:
    first = {net.layers[e["id"]].type for e in net.order if "input" in e["inputs"]}
    if first == {"embedding"}:
        vocab = min(layer.param_shape("weight")[0] for layer in net.layers.values() if layer.type == "embedding")
        return rng.integers(0, vocab, size=(n, *net.input_shape))
    return rng.standard_normal((n, *net.input_shape)).astype(np.float32)


def _text(spec: dict, deep: int) -> str:
    """The spec as JSON text; a deeply nested value is spliced in as text (json.dumps would recurse)."""
    if not deep:
        return json.dumps(spec)
    marker = "__DEEP__"
    stripped = copy.deepcopy(_strip_deep(spec, marker))
    text = json.dumps(stripped)
    return text.replace(json.dumps(marker), "[" * deep + "1" + "]" * deep, 1)


def _strip_deep(v, marker, depth: int = 0):
    """v with every list nested deeper than 30 levels replaced by marker (iteration-safe for json.dumps)."""
    if isinstance(v, dict):
        return {k: _strip_deep(x, marker, depth + 1) for k, x in v.items()} if depth < 30 else marker
    if isinstance(v, list):
        return [_strip_deep(x, marker, depth + 1) for x in v] if depth < 30 else marker
    return v


def run_case(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = _pick(rng, _bases())
    spec = copy.deepcopy(base)
    state: dict = {}
    benign = bool(rng.random() < 0.4)
    for _ in range(int(rng.integers(1, 3 if benign else 5))):
        try:
            _mutate(spec, rng, state, benign)
        except RecursionError:  # copying a deeply nested layer: the mutation, not the engine, gave up
            pass
    budget = {"max_params": MAX_PARAMS, "max_activations": MAX_ACTIVATIONS}
    if rng.random() < 0.125:
        # the default budget (2**28): a layer above it must be refused before anything is allocated;
        # the input shape is the base's, so what is within the default budget stays small
        spec["input_shape"] = list(base["input_shape"])
        layers = spec.get("layers")
        if isinstance(layers, list) and layers and isinstance(layers[-1], dict):
            layers[-1]["units" if layers[-1].get("type") == "dense" else "hidden"] = int(
                _pick(rng, [2**28 + 1, 2**29, 2**30, 2**31 - 1, *_HUGE[:3]])
            )
        budget = {}
    source = spec
    if rng.random() < 0.4:
        try:
            source = _text(spec, state.get("deep", 0))
        except (ValueError, TypeError, RecursionError):  # NaN is fine for json.dumps; nothing else should fail
            source = spec
    try:
        net = Network.from_spec(source, seed=int(rng.integers(2**31)), **budget)
    except (ValueError, TypeError) as err:  # a clear refusal, as long as it reads as one
        message = str(err)
        assert 0 < len(message) < 2000, f"refusal message of {len(message)} characters"
        raise
    if sum(layer.flops() for layer in net.layers.values()) > MAX_FLOPS:
        return
    n = int(_pick(rng, [2, 2, 2, 1, 3, 0]))  # an empty batch now and then
    out_shape = (n, *net.output_shape)
    x = _x(net, rng, n)
    y = net.forward(x, train=bool(rng.random() < 0.5))
    assert y.shape == out_shape, f"output {y.shape}, declared {out_shape}"
    if net.dtype.kind == "f" and not any(layer.type in ("step",) for layer in net.layers.values()):
        assert np.all(np.isfinite(y)), "a fresh network turned finite input into NaN/inf"
    grad_x = net.backward(np.ones_like(y))
    if grad_x is not None:
        assert grad_x.shape == x.shape, f"input gradient {grad_x.shape}, input {x.shape}"
    for p in net.parameters():
        assert p.grad.shape == p.value.shape
    roundtrip = Network.from_spec(net.to_spec(), seed=0, **budget)
    assert roundtrip.output_shape == net.output_shape

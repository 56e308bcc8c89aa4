"""Shape inference for the drawing, node by node, through the engine's own layer classes.

Building a layer *is* the engine's shape check (neuralviz.layers: each class validates its parameters
against its input shapes and raises SpecError naming the layer and the shapes). Network.from_spec stops at
the first failing layer; here every layer is built on its own, in order, so the editor can flag exactly
the node that fails and still give shapes everywhere else. A layer fed by a failing one is "blocked" (no
shape, no blame); a layer with no input is "not connected".

Results are cached by (id, type, parameters, input shapes), so an edit rebuilds only what it changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ...layers import LAYER_TYPES
from ...spec import INPUT
from .model import GraphModel

_CACHE_LIMIT = 1024


@dataclass(frozen=True)
class NodeInfo:
    """What inference says about one node."""

    shape: tuple[int, ...] | None = None  # output shape without the batch axis; None if unknown
    params: int = 0
    flops: int = 0  # forward multiply-adds x2 per example
    error: str = ""  # the engine's message when this node does not build
    blocked_by: str = ""  # the failing node upstream, when that is why shape is None
    used: bool = True  # feeds the network output (so it trains)

    @property
    def ok(self) -> bool:
        return self.shape is not None


@dataclass(frozen=True)
class Inference:
    nodes: dict[str, NodeInfo]
    output: str | None
    params: int  # of the layers that feed the output
    flops: int
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def errors(self) -> dict[str, str]:
        return {lid: n.error for lid, n in self.nodes.items() if n.error}


class ShapeChecker:
    """Runs inference over a model; keeps a cache of built layers' results between edits."""

    def __init__(self):
        self._cache: dict[tuple, NodeInfo] = {}

    def infer(self, model: GraphModel) -> Inference:
        used = model.feeds_output()
        infos: dict[str, NodeInfo] = {INPUT: NodeInfo(shape=tuple(model.input_shape))}
        for lid in model.order():
            infos[lid] = self._node(lid, model.layers[lid], infos, lid in used)
        out = model.output_id()
        problems = []
        if not model.layers:
            problems.append("the network has no layers yet: add some from the palette")
        for lid in model.order():
            info = infos[lid]
            if info.error and info.used:
                problems.append(info.error)
        if out is not None and infos[out].shape is None and not problems:
            problems.append(f"the output layer '{out}' has no shape")
        chosen = [infos[lid] for lid in used if infos[lid].ok]
        return Inference(
            nodes=infos,
            output=out,
            params=sum(i.params for i in chosen),
            flops=sum(i.flops for i in chosen),
            problems=tuple(problems),
        )

    def _node(self, lid: str, entry: dict, infos: dict[str, NodeInfo], used: bool) -> NodeInfo:
        inputs = entry["inputs"]
        if not inputs:
            return NodeInfo(
                error=f"layer '{lid}' is not connected: drag a wire from another node's "
                "output (right side) to its input (left side)",
                used=used,
            )
        for src in inputs:
            upstream = infos.get(src)
            if upstream is None or upstream.shape is None:
                root = (upstream.blocked_by or src) if upstream is not None else src
                return NodeInfo(blocked_by=root, used=used)
        shapes = [infos[src].shape for src in inputs]
        config = {k: v for k, v in entry.items() if k not in ("type", "inputs")}
        try:
            key = (lid, entry["type"], json.dumps(config, sort_keys=True), tuple(shapes))
        except TypeError:  # a value JSON cannot hold: build without caching
            key = None
        cached = self._cache.get(key) if key else None
        if cached is None:
            cached = _build(lid, entry["type"], config, shapes)
            if key:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = cached
        return NodeInfo(cached.shape, cached.params, cached.flops, cached.error, "", used)


def _build(lid: str, layer_type: str, config: dict, shapes: list[tuple]) -> NodeInfo:
    """Builds one layer with the engine; its shape, sizes, or the engine's message."""
    cls = LAYER_TYPES.get(layer_type)
    if cls is None:
        return NodeInfo(error=f"layer '{lid}': unknown type {layer_type!r}")
    try:
        # shapes and counts only: no weights are drawn (a node near the budget would allocate GBs)
        layer = cls(lid, config, shapes, np.float32, np.random.default_rng(0), materialize=False)
        params = layer.param_count()
        return NodeInfo(shape=tuple(int(d) for d in layer.output_shape), params=int(params), flops=int(layer.flops()))
    except Exception as err:  # noqa: BLE001 - SpecError mostly; a malformed value may raise anything
        message = str(err)
        if f"'{lid}'" not in message:
            message = f"layer '{lid}' ({layer_type}): {message}"
        return NodeInfo(error=message)

"""A network to an ONNX file, built from the spec with onnx.helper (not traced through torch).

Opset 17 by default. The graph has one input, "input" (batch, *input_shape): float32, or int64 token
ids when every first layer reads ids (embedding, memory); and one output, "output". Every layer's
result is a tensor named by its layer id and the parameters are initializers named as the engine's
parameters (`h1.weight`), so Netron shows the spec's own names. The file computes the network in
evaluation mode, in float32 (a float64 network is written as float32: ONNX runtimes lack many double
kernels).

Which ONNX operators each spec type becomes:

| spec type | ONNX |
|---|---|
| dense, stochastic_dense (its mean) | Gemm (transB=1); MatMul + Add on (N, T, F) sequences |
| conv2d / conv_transpose2d | Conv / ConvTranspose (pads, strides, dilations, output_padding) |
| maxpool2d / avgpool2d | MaxPool / AveragePool (count_include_pad=1, as the engine and PyTorch) |
| upsample | Resize (mode nearest, coordinate_transformation_mode asymmetric, nearest_mode floor) |
| flatten / reshape | Flatten (axis 1) / Reshape |
| relu, tanh, sigmoid, leaky_relu | Relu, Tanh, Sigmoid, LeakyRelu (alpha = slope) |
| step | Greater + Cast |
| dropout, gaussian_noise | Identity (evaluation mode) |
| add / concat | Add (chained) / Concat |
| rnn / lstm / gru | Transpose to time-major, RNN / LSTM / GRU, Squeeze (+ Transpose back) |
| embedding | Cast (int64) + Gather |
| polynomial | Gather + Mul per degree, Concat |
| clockwork | unrolled over time: MatMul, Add, Tanh, Where per step |
| pde_refine | unrolled over its iterations: Conv, Relu, Mul, Add |
| memory | per hop: Gather + Mul + ReduceSum (bags of words), Einsum, Where + Softmax (empty sentences masked) |

Recurrent gate orders differ: PyTorch (and the engine) order LSTM gates i, f, g, o and GRU gates r, z, n;
ONNX wants LSTM i, o, f, c and GRU z, r, h, so the weight blocks are reordered, and the GRU is written with
linear_before_reset=1 (PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). ONNX's B is
[W_b, R_b] concatenated. A type without an entry here raises NotImplementedError naming the layer.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import require_onnx

_LSTM_ORDER = (0, 3, 1, 2)  # torch i,f,g,o -> onnx i,o,f,c
_GRU_ORDER = (1, 0, 2)  # torch r,z,n -> onnx z,r,h


class _Graph:
    """Collects nodes and initializers; `node` returns the name of its (first) output."""

    def __init__(self, onnx, params: dict):
        self.onnx, self.helper = onnx, onnx.helper
        self.nodes, self.inits, self.counter = [], [], 0
        self.params, self.used = params, set()

    def param(self, name: str) -> str:
        """A parameter of the network as an initializer of its own name, added on first use."""
        if name not in self.used:
            self.used.add(name)
            self.const(name, self.params[name], exact_name=True)
        return name

    def name(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}/{self.counter}"

    def const(self, hint: str, value, dtype=np.float32, exact_name: bool = False) -> str:
        name = hint if exact_name else self.name(hint)
        array = np.array(value, dtype=dtype)  # a copy, C-ordered, and 0-d stays 0-d (a scalar index)
        self.inits.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], out: str | None = None, outputs: int = 1, **attrs) -> str:
        names = [out or self.name(op)] + [self.name(op) for _ in range(outputs - 1)]
        self.nodes.append(self.helper.make_node(op, inputs, names, name=self.name(f"{op}_node"), **attrs))
        return names[0] if outputs == 1 else names


def export_onnx(net, path, *, opset: int = 17) -> Path:
    """Writes `net` (evaluation mode, float32) to `path` as ONNX and checks it with onnx.checker.

    Raises NotImplementedError naming the first layer whose type has no ONNX mapping, before writing."""
    onnx = require_onnx("export_onnx")
    if not isinstance(opset, int) or opset < 17:
        raise ValueError(f"export_onnx: opset must be an integer >= 17, got {opset!r}")
    params = {k: np.asarray(v, np.float32) for k, v in net.state_dict().items()}
    g = _Graph(onnx, params)
    first = [net.layers[e["id"]] for e in net.order if "input" in e["inputs"]]
    ids_in = all(getattr(layer, "takes_integer_input", False) for layer in first)
    tensor_type = onnx.TensorProto.INT64 if ids_in else onnx.TensorProto.FLOAT
    names = {"input": "input"}
    for entry in net.order:
        layer = net.layers[entry["id"]]
        # tensors are named by layer id; a layer called "output" that is not the output gets a suffix
        out = "output" if entry["id"] == net.output_id else entry["id"] + ("/0" if entry["id"] == "output" else "")
        names[entry["id"]] = _emit(g, layer, [names[s] for s in entry["inputs"]], out, params)
    helper = onnx.helper
    graph = helper.make_graph(
        g.nodes,
        net.spec.get("name") or "neuralviz",
        [helper.make_tensor_value_info("input", tensor_type, ["batch", *net.input_shape])],
        [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["batch", *net.output_shape])],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="neuralviz", ir_version=8
    )
    onnx.checker.check_model(model, full_check=True)
    path = Path(os.fspath(path))
    onnx.save(model, str(path))
    return path


def _emit(g: _Graph, layer, xs: list[str], out: str, params: dict) -> str:
    """The nodes of one layer; returns the name of its output tensor."""
    t, lid = layer.type, layer.id
    unary = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "dropout": "Identity", "gaussian_noise": "Identity"}
    if t in unary:
        return g.node(unary[t], xs, out)
    if t == "leaky_relu":
        return g.node("LeakyRelu", xs, out, alpha=float(layer.slope))
    if t == "step":
        positive = g.node("Greater", [xs[0], g.const("zero", 0.0)])
        return g.node("Cast", [positive], out, to=g.onnx.TensorProto.FLOAT)
    if t in ("dense", "stochastic_dense"):
        weight = f"{lid}.weight" if t == "dense" else f"{lid}.weight_mean"
        bias = f"{lid}.bias" if f"{lid}.bias" in params else None
        return _dense(g, xs[0], g.param(weight), bias and g.param(bias), len(layer.input_shapes[0]), out)
    if t in ("conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "upsample"):
        return _spatial(g, layer, xs, out, params)
    if t == "flatten":
        return g.node("Flatten", xs, out, axis=1)
    if t == "reshape":
        return g.node("Reshape", [xs[0], g.const("shape", [0, *layer.output_shape], np.int64)], out)
    if t == "add":
        y = xs[0]
        for i, x in enumerate(xs[1:]):
            y = g.node("Add", [y, x], out if i == len(xs) - 2 else None)
        return y
    if t == "concat":
        return g.node("Concat", xs, out, axis=int(layer.axis))
    if t == "embedding":
        ids = g.node("Cast", xs, to=g.onnx.TensorProto.INT64)
        return g.node("Gather", [g.param(f"{lid}.weight"), ids], out, axis=0)
    if t in ("rnn", "lstm", "gru"):
        return _recurrent(g, layer, xs[0], out, params)
    if t == "polynomial":
        return _polynomial(g, layer, xs[0], out)
    if t == "clockwork":
        return _clockwork(g, layer, xs[0], out, params)
    if t == "pde_refine":
        return _pde_refine(g, layer, xs, out)
    if t == "memory":
        return _memory(g, layer, xs[0], out)
    raise NotImplementedError(
        f"export_onnx: layer '{lid}' has type '{t}', which has no ONNX mapping "
        "(see neuralviz/export/onnx_export.py for the mapped types)"
    )


def _dense(g: _Graph, x: str, weight: str, bias: str | None, rank: int, out: str) -> str:
    if rank == 1:  # (N, F): one Gemm
        return g.node("Gemm", [x, weight] + ([bias] if bias else []), out, transB=1)
    y = g.node("MatMul", [x, g.node("Transpose", [weight], perm=[1, 0])], None if bias else out)
    return g.node("Add", [y, bias], out) if bias else y


def _pads(p) -> list[int]:
    return [int(p[0]), int(p[1]), int(p[0]), int(p[1])]


def _spatial(g: _Graph, layer, xs, out, params) -> str:
    t, lid = layer.type, layer.id
    if t in ("conv2d", "conv_transpose2d"):
        inputs = [xs[0], g.param(f"{lid}.weight")] + ([g.param(f"{lid}.bias")] if f"{lid}.bias" in params else [])
        attrs = dict(
            kernel_shape=list(layer.kernel),
            strides=list(layer.stride),
            pads=_pads(layer.padding),
            dilations=list(layer.dilation),
        )
        if t == "conv_transpose2d":
            return g.node("ConvTranspose", inputs, out, output_padding=list(layer.output_padding), **attrs)
        return g.node("Conv", inputs, out, **attrs)
    if t in ("maxpool2d", "avgpool2d"):
        attrs = dict(kernel_shape=list(layer.kernel), strides=list(layer.stride), pads=_pads(layer.padding))
        if t == "avgpool2d":
            return g.node("AveragePool", xs, out, count_include_pad=1, **attrs)
        return g.node("MaxPool", xs, out, **attrs)
    scales = g.const("scales", [1.0, 1.0, float(layer.scale[0]), float(layer.scale[1])])
    return g.node(
        "Resize",
        [xs[0], "", scales],
        out,
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )


def _gates(w: np.ndarray, order: tuple, hidden: int) -> np.ndarray:
    """The gate blocks of a (G·H, ...) array in another order."""
    return np.concatenate([w[i * hidden : (i + 1) * hidden] for i in order])


def _recurrent(g: _Graph, layer, x: str, out: str, params: dict) -> str:
    lid, h = layer.id, layer.hidden
    order = {"rnn": (0,), "lstm": _LSTM_ORDER, "gru": _GRU_ORDER}[layer.type]
    w, r = (_gates(params[f"{lid}.{k}"], order, h)[None] for k in ("weight_ih", "weight_hh"))
    b = np.concatenate([_gates(params[f"{lid}.{k}"], order, h) for k in ("bias_ih", "bias_hh")])[None]
    time_major = g.node("Transpose", [x], perm=[1, 0, 2])
    inputs = [
        time_major,
        g.const(f"{lid}.W", w, exact_name=True),
        g.const(f"{lid}.R", r, exact_name=True),
        g.const(f"{lid}.B", b, exact_name=True),
    ]
    attrs = {"hidden_size": h}
    if layer.type == "gru":
        attrs["linear_before_reset"] = 1
    op = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[layer.type]
    y, y_h = g.node(op, inputs, outputs=2, **attrs)[:2]
    if layer.return_sequences:  # Y (T, 1, N, H) -> (N, T, H)
        seq = g.node("Squeeze", [y, g.const("axis1", [1], np.int64)])
        return g.node("Transpose", [seq], out, perm=[1, 0, 2])
    return g.node("Squeeze", [y_h, g.const("axis0", [0], np.int64)], out)  # Y_h (1, N, H) -> (N, H)


def _polynomial(g: _Graph, layer, x: str, out: str) -> str:
    terms, last = [x], x
    for parent, var in zip(layer.parents, layer.variables):
        a = g.node("Gather", [last, g.const("parent", parent, np.int64)], axis=-1)
        b = g.node("Gather", [x, g.const("variable", var, np.int64)], axis=-1)
        last = g.node("Mul", [a, b])
        terms.append(last)
    return g.node("Concat", terms, out, axis=-1) if len(terms) > 1 else g.node("Identity", terms, out)


def _clockwork(g: _Graph, layer, x: str, out: str, params: dict) -> str:
    """Unrolled: pre = x W_ihᵀ + b once, then per step h = Where(active_t, tanh(pre_t + h W_hhᵀ), h)."""
    lid, steps = layer.id, layer.input_shapes[0][0]
    w = np.zeros(layer.mask.shape, np.float32)
    w[layer.mask] = params[f"{lid}.weight_hh"]
    w_t = g.const(f"{lid}.weight_hh_full_T", w.T, exact_name=True)
    pre = _dense(g, x, g.param(f"{lid}.weight_ih"), g.param(f"{lid}.bias"), 2, g.name(f"{lid}/pre"))
    zero = g.const("zero_row", np.zeros((1, layer.hidden)))
    first = g.node("Gather", [pre, g.const("t", 0, np.int64)], axis=1)
    h = g.node("Mul", [first, zero])  # (N, H) zeros with the batch's size
    states = []
    for t in range(steps):
        pre_t = g.node("Gather", [pre, g.const("t", t, np.int64)], axis=1)
        new = g.node("Tanh", [g.node("Add", [pre_t, g.node("MatMul", [h, w_t])])])
        active = layer.active_units(t)
        h = new if active.all() else g.node("Where", [g.const("active", active, np.bool_), new, h])
        states.append(h)
    if not layer.return_sequences:
        return g.node("Identity", [h], out)
    stacked = [g.node("Unsqueeze", [s, g.const("axis1", [1], np.int64)]) for s in states]
    return g.node("Concat", stacked, out, axis=1)


def _pde_refine(g: _Graph, layer, xs: list[str], out: str) -> str:
    lid, pad = layer.id, layer.pad
    attrs = dict(kernel_shape=[layer.kernel] * 2, pads=[pad] * 4, strides=[1, 1], dilations=[1, 1])
    w_u, w_out, b_out = (g.param(f"{lid}.{k}") for k in ("weight_u", "weight_out", "bias_out"))
    drive = g.node("Conv", [xs[1], g.param(f"{lid}.weight_f"), g.param(f"{lid}.bias")], **attrs)
    u, dt = xs[0], g.const("dt", layer.dt)
    for k in range(layer.iterations):
        z = g.node("Add", [g.node("Conv", [u, w_u], **attrs), drive])
        update = g.node("Conv", [g.node("Relu", [z]), w_out, b_out], **attrs)
        u = g.node("Add", [u, g.node("Mul", [update, dt])], out if k == layer.iterations - 1 else None)
    return u if layer.iterations else g.node("Identity", [u], out)


def _memory(g: _Graph, layer, ids: str, out: str) -> str:
    """The memory network in evaluation mode (no time noise), hop by hop as MemoryNetwork.forward."""
    s_rows = layer.slots
    axes = {k: g.const(f"axes{k}", [k], np.int64) for k in (1, 2, -1)}

    def rows(x, start, stop):
        return g.node("Slice", [x, g.const("start", [start], np.int64), g.const("stop", [stop], np.int64), axes[1]])

    nonzero = g.node("Cast", [g.node("Not", [g.node("Equal", [ids, g.const("zero", 0, np.int64)])])], to=1)
    weights = g.node("Mul", [g.node("Unsqueeze", [nonzero, axes[-1]]), g.const("pe", layer.pe)])  # (N, S+1, J, d)
    story, question = rows(ids, 0, s_rows), rows(ids, s_rows, s_rows + 1)
    w_story, w_question = rows(weights, 0, s_rows), rows(weights, s_rows, s_rows + 1)
    present = g.node("ReduceSum", [rows(nonzero, 0, s_rows), axes[2]], keepdims=0)  # (N, S): words per sentence
    is_present = g.node("Greater", [present, g.const("zero", 0.0)])
    present = g.node("Cast", [is_present], to=1)

    def bag(name, token_ids, w):
        vectors = g.node("Gather", [g.param(f"{layer.id}.{name}"), token_ids], axis=0)  # (N, R, J, d)
        return g.node("ReduceSum", [g.node("Mul", [w, vectors]), axes[2]], keepdims=0)

    memories = {}
    u = g.node("Squeeze", [bag(layer.question_table, question, w_question), axes[1]])
    for k, (a_name, c_name) in enumerate(layer.hop_tables):
        for name in (a_name, c_name):
            if name not in memories:
                m = bag(name, story, w_story)
                memories[name] = g.node("Add", [m, g.param(f"{layer.id}.T{name}")]) if layer.use_te else m
        scores = g.node("Einsum", [memories[a_name], u], equation="nsd,nd->ns")
        masked = g.node("Where", [is_present, scores, g.const("neg", -1e30)])
        # softmax over the non-empty sentences; a story with none gets all zeros, as the engine
        p = g.node("Mul", [g.node("Softmax", [masked], axis=1), present])
        o = g.node("Einsum", [p, memories[c_name]], equation="ns,nsd->nd")
        if layer.tying == "layerwise":
            u = g.node("MatMul", [u, g.node("Transpose", [g.param(f"{layer.id}.H")], perm=[1, 0])])
        u = g.node("Add", [u, o], out if k == len(layer.hop_tables) - 1 else None)
    return u

"""A neuralviz Network as a torch.nn.Module: same parameter names, same values, same graph.

Each layer becomes one submodule registered under its layer id, so `module.state_dict()` has
exactly the keys of `net.state_dict()` (`h1.weight`, `lstm.weight_ih`, ...). The mapping of a
layer to a module is written once, as the Python expression that builds it (`layer_code`):
to_torch evaluates it, and the training-script writer prints it, so the two cannot drift.

The forward pass walks the spec's topological order (as Network.forward does), keeping every
layer's output until its last consumer has run: skips and merges need no special cases.
"""

from __future__ import annotations

import keyword

import numpy as np

from . import require_torch

# engine type -> the custom class in torch_layers it needs (None: a torch.nn module)
CUSTOM = {
    "step": "Step",
    "gaussian_noise": "GaussianNoise",
    "add": "Add",
    "concat": "Concat",
    "embedding": "TokenEmbedding",
    "rnn": "Recurrent",
    "lstm": "Recurrent",
    "gru": "Recurrent",
    "clockwork": "Clockwork",
    "polynomial": "Polynomial",
    "stochastic_dense": "StochasticDense",
    "pde_refine": "PdeRefine",
    "memory": "MemoryNetwork",
}


def _conv_args(layer) -> str:
    c = layer.config
    return (
        f"kernel_size={layer.kernel}, stride={layer.stride}, padding={layer.padding}, "
        f"dilation={layer.dilation}, bias={bool(c['bias'])}"
    )


def layer_code(layer) -> str:
    """The expression building the torch module of one engine layer (names from torch's `nn` and torch_layers).

    Raises NotImplementedError naming the layer and its type when there is no mapping."""
    t, c, shapes = layer.type, layer.config, layer.input_shapes
    if t == "dense":
        return f"nn.Linear({shapes[0][-1]}, {int(c['units'])}, bias={bool(c['bias'])})"
    if t == "conv2d":
        return f"nn.Conv2d({shapes[0][0]}, {int(c['channels'])}, {_conv_args(layer)})"
    if t == "conv_transpose2d":
        return (
            f"nn.ConvTranspose2d({shapes[0][0]}, {int(c['channels'])}, kernel_size={layer.kernel}, "
            f"stride={layer.stride}, padding={layer.padding}, output_padding={layer.output_padding}, "
            f"dilation={layer.dilation}, bias={bool(c['bias'])})"
        )
    if t in ("maxpool2d", "avgpool2d"):
        cls = "nn.MaxPool2d" if t == "maxpool2d" else "nn.AvgPool2d"
        return f"{cls}(kernel_size={layer.kernel}, stride={layer.stride}, padding={layer.padding})"
    if t == "upsample":
        return f"nn.Upsample(scale_factor={tuple(float(s) for s in layer.scale)}, mode='nearest')"
    simple = {"flatten": "nn.Flatten()", "relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()"}
    if t in simple:
        return simple[t]
    if t == "leaky_relu":
        return f"nn.LeakyReLU({float(c['slope'])!r})"
    if t == "dropout":
        return f"nn.Dropout(p={float(c['p'])!r})"
    if t == "reshape":
        return f"nn.Unflatten(1, {tuple(layer.output_shape)})"
    return _custom_code(layer)


def _custom_code(layer) -> str:
    t, c, shapes = layer.type, layer.config, layer.input_shapes
    if t == "step":
        return "Step()"
    if t == "gaussian_noise":
        return f"GaussianNoise(std={float(c['std'])!r})"
    if t == "add":
        return "Add()"
    if t == "concat":
        return f"Concat(dim={int(c['axis'])})"
    if t == "embedding":
        return f"TokenEmbedding({int(c['vocab'])}, {int(c['dim'])})"
    if t in ("rnn", "lstm", "gru"):
        return f"Recurrent({t!r}, {shapes[0][-1]}, {layer.hidden}, return_sequences={layer.return_sequences})"
    if t == "clockwork":
        return (
            f"Clockwork({shapes[0][-1]}, {layer.hidden}, periods={tuple(layer.periods)}, "
            f"return_sequences={layer.return_sequences})"
        )
    if t == "polynomial":
        return f"Polynomial({shapes[0][0]}, degree={layer.degree})"
    if t == "stochastic_dense":
        return (
            f"StochasticDense({shapes[0][-1]}, {int(c['units'])}, bias={bool(c['bias'])}, "
            f"sigma_init={layer.sigma_init!r}, prior_sigma={layer.prior_sigma!r}, kl_weight={layer.kl_weight!r})"
        )
    if t == "pde_refine":
        return (
            f"PdeRefine({shapes[0][0]}, {shapes[1][0]}, iterations={layer.iterations}, "
            f"hidden={layer.param_shape('weight_u')[0]}, kernel_size={layer.kernel}, dt={layer.dt!r})"
        )
    if t == "memory":
        return (
            f"MemoryNetwork({layer.slots}, {layer.width}, {int(c['vocab'])}, dim={int(c['dim'])}, hops={layer.hops}, "
            f"tying={layer.tying!r}, position_encoding={layer.use_pe}, temporal_encoding={layer.use_te}, "
            f"time_noise={layer.time_noise!r})"
        )
    raise NotImplementedError(
        f"to_torch: layer '{layer.id}' has type '{t}', which has no PyTorch mapping yet "
        "(neuralviz/export/torch_module.py lists the mapped types)"
    )


def check_module_name(layer_id: str, taken: set[str]) -> None:
    """A layer id must be usable as a submodule name (no '.', not an nn.Module attribute)."""
    if "." in layer_id or layer_id in taken:
        raise ValueError(
            f"to_torch: layer id {layer_id!r} cannot name a torch submodule (it contains '.' or is an "
            "nn.Module attribute); rename the layer in the spec"
        )


def attribute(layer_id: str) -> str:
    """How the generated code reaches a submodule: `self.h1`, or `self.get_submodule('conv-1')`."""
    if layer_id.isidentifier() and not keyword.iskeyword(layer_id):
        return f"self.{layer_id}"
    return f"self.get_submodule({layer_id!r})"


def namespace() -> dict:
    """The names layer_code's expressions use."""
    torch = require_torch("to_torch")
    from . import torch_layers

    names = {k: getattr(torch_layers, k) for k in set(CUSTOM.values())}
    return {"nn": torch.nn, "torch": torch, **names}


def graph_module_class():
    """The GraphModule class (defined on first use, so that importing this file needs no torch)."""
    global _GRAPH_MODULE
    if _GRAPH_MODULE is None:
        _GRAPH_MODULE = _define_graph_module(require_torch("to_torch"))
    return _GRAPH_MODULE


_GRAPH_MODULE = None


def _define_graph_module(torch):
    class GraphModule(torch.nn.Module):
        """A neuralviz network spec run by torch: one submodule per layer id, forward in topological order.

        `spec` is the network's spec (from_torch rebuilds the Network from it)."""

        def __init__(self, spec: dict, modules: dict):
            super().__init__()
            from ..spec import topological_order

            self.spec = spec
            self.order = [(e["id"], list(e["inputs"])) for e in topological_order(spec["layers"], spec["output"])]
            self.output_id = spec["output"]
            taken = set(dir(torch.nn.Module)) | {"spec", "order", "output_id", "last_uses"}
            for lid, module in modules.items():
                check_module_name(lid, taken)
                self.add_module(lid, module)
            # after which layer each output is no longer needed (frees memory as Network.forward does)
            self.last_uses = {}
            for i, (_lid, inputs) in enumerate(self.order):
                for src in inputs:
                    self.last_uses[src] = i

        def forward(self, x):
            outputs = {"input": x}
            for i, (lid, inputs) in enumerate(self.order):
                outputs[lid] = self.get_submodule(lid)(*(outputs[s] for s in inputs))
                for src in inputs:
                    if self.last_uses[src] == i and src != self.output_id:
                        outputs.pop(src, None)
            return outputs[self.output_id]

    return GraphModule


def to_torch(net):
    """net (a neuralviz Network) as a torch.nn.Module with the same parameter names, values, dtype and graph.

    The module starts in evaluation mode (as net.forward(x) defaults to train=False); call .train() to get
    dropout, noise and stochastic weights. Raises NotImplementedError for a layer type with no mapping."""
    torch = require_torch("to_torch")
    ns = namespace()
    modules = {lid: eval(layer_code(layer), ns) for lid, layer in net.layers.items()}  # noqa: S307 - our own code
    module = graph_module_class()(net.to_spec(), modules)
    dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    module.to(dtype)
    state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in net.state_dict().items()}
    missing, unexpected = module.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"to_torch: parameter names differ (missing {missing}, unexpected {unexpected})")
    return module.eval()

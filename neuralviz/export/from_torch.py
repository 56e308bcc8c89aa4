"""A torch.nn.Module back to a neuralviz Network: the inverse of to_torch.

Two kinds of module are accepted. A module made by to_torch carries its spec, so the network is
rebuilt from that spec and given the module's weights. An nn.Sequential is read child by child:
each supported module becomes one spec layer whose id is the child's name ("0", "1", ... or the
names of an OrderedDict), so the torch state_dict keys are the network's parameter names. A
module the engine cannot express (a grouped or 'same'-padded convolution, ceil-mode pooling, a
bidirectional LSTM, a layer with two inputs inside a Sequential) raises NotImplementedError that
names the child and what is unsupported.
"""

from __future__ import annotations

import numpy as np

from . import require_torch


def from_torch(module, input_shape, *, dtype: str | None = None):
    """A Network computing what `module` computes on inputs of shape (batch, *input_shape).

    dtype: "float32" or "float64"; None takes the module's parameter dtype (float32 without parameters)."""
    torch = require_torch("from_torch")
    from ..network import Network
    from .torch_module import graph_module_class

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    shape = [int(d) for d in np.atleast_1d(input_shape)]
    if isinstance(module, graph_module_class()):
        spec = {**module.spec, "input_shape": shape}
    elif isinstance(module, torch.nn.Sequential):
        spec = {"format": "neuralviz.network/1", "input_shape": shape, "layers": _sequential_layers(module)}
    else:
        raise NotImplementedError(
            f"from_torch: a {type(module).__name__} is neither an nn.Sequential nor a module made by to_torch; "
            "wrap its layers in an nn.Sequential"
        )
    dtype = dtype or _dtype_of(module, torch)
    net = Network.from_spec(spec, dtype=dtype)
    state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    net.load_state_dict(state)
    return net


def _dtype_of(module, torch) -> str:
    for p in module.parameters():
        if p.is_floating_point():
            return "float64" if p.dtype == torch.float64 else "float32"
    return "float32"


def _sequential_layers(seq) -> list[dict]:
    layers = []
    for name, child in seq.named_children():
        if name == "input":
            raise NotImplementedError("from_torch: a child named 'input' clashes with the network's input; rename it")
        layers.append({"id": name, **_entry(name, child)})
    if not layers:
        raise ValueError("from_torch: the nn.Sequential is empty")
    return layers


def _entry(name: str, m) -> dict:
    """The spec entry (without id) of one module; NotImplementedError for anything the engine lacks."""
    torch = require_torch("from_torch")
    from . import torch_layers as tl

    nn = torch.nn
    kind = type(m).__name__

    def refuse(why: str):
        return NotImplementedError(f"from_torch: child '{name}' ({kind}): {why}")

    if isinstance(m, nn.Linear):
        return {"type": "dense", "units": m.out_features, "bias": m.bias is not None}
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        return _conv_entry(m, refuse)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        return _pool_entry(m, refuse)
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise refuse("only Flatten(start_dim=1, end_dim=-1) is supported")
        return {"type": "flatten"}
    simple = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", tl.Step: "step"}
    for cls, t in simple.items():
        if type(m) is cls:
            return {"type": t}
    if isinstance(m, nn.LeakyReLU):
        return {"type": "leaky_relu", "slope": float(m.negative_slope)}
    if isinstance(m, nn.Dropout):
        return {"type": "dropout", "p": float(m.p)}
    if isinstance(m, tl.GaussianNoise):
        return {"type": "gaussian_noise", "std": float(m.std)}
    if isinstance(m, nn.Upsample):
        return _upsample_entry(m, refuse)
    if isinstance(m, nn.Unflatten):
        if m.dim != 1:
            raise refuse("only Unflatten(1, shape) is supported")
        return {"type": "reshape", "shape": [int(d) for d in m.unflattened_size]}
    if isinstance(m, nn.Embedding):
        if m.padding_idx is not None or m.max_norm is not None:
            raise refuse("padding_idx and max_norm are not supported")
        return {"type": "embedding", "vocab": m.num_embeddings, "dim": m.embedding_dim}
    return _custom_entry(m, refuse, nn, tl)


def _custom_entry(m, refuse, nn, tl) -> dict:
    if isinstance(m, tl.Recurrent):
        return {"type": m.kind, "hidden": m.weight_hh.shape[1], "return_sequences": bool(m.return_sequences)}
    if isinstance(m, tl.Clockwork):
        return {
            "type": "clockwork",
            "hidden": m.weight_ih.shape[0],
            "periods": list(m.periods),
            "return_sequences": bool(m.return_sequences),
        }
    if isinstance(m, tl.Polynomial):
        return {"type": "polynomial", "degree": m.degree}
    if isinstance(m, tl.StochasticDense):
        return {
            "type": "stochastic_dense",
            "units": m.weight_mean.shape[0],
            "bias": m.bias is not None,
            "sigma_init": m.sigma_init,
            "prior_sigma": m.prior_sigma,
            "kl_weight": m.kl_weight,
        }
    if isinstance(m, tl.MemoryNetwork):
        return {"type": "memory", **m.config}
    if isinstance(m, (nn.RNN, nn.LSTM, nn.GRU)):
        raise refuse(
            "torch's recurrent modules return (output, state) tuples and cannot sit in an nn.Sequential; "
            "use neuralviz.export.torch_layers.Recurrent"
        )
    if isinstance(m, (tl.Add, tl.Concat, tl.PdeRefine)):
        raise refuse("a layer with several inputs cannot sit in an nn.Sequential; export the network with to_torch")
    raise refuse("no neuralviz layer type computes this module")


def _pair(v) -> list[int]:
    return [int(v), int(v)] if not isinstance(v, (list, tuple)) else [int(e) for e in v]


def _conv_entry(m, refuse) -> dict:
    if m.groups != 1:
        raise refuse(f"groups={m.groups} (only 1 is supported)")
    if m.padding_mode != "zeros" or isinstance(m.padding, str):
        raise refuse(f"padding {m.padding!r} with mode {m.padding_mode!r} (only numeric zero padding is supported)")
    entry = {
        "type": "conv_transpose2d" if m.transposed else "conv2d",
        "channels": m.out_channels,
        "kernel_size": _pair(m.kernel_size),
        "stride": _pair(m.stride),
        "padding": _pair(m.padding),
        "dilation": _pair(m.dilation),
        "bias": m.bias is not None,
    }
    if m.transposed:
        entry["output_padding"] = _pair(m.output_padding)
    return entry


def _pool_entry(m, refuse) -> dict:
    if m.ceil_mode:
        raise refuse("ceil_mode=True is not supported")
    if hasattr(m, "return_indices"):  # MaxPool2d
        if _pair(m.dilation) != [1, 1] or m.return_indices:
            raise refuse("dilation and return_indices are not supported")
        t = "maxpool2d"
    else:
        if not m.count_include_pad or m.divisor_override is not None:
            raise refuse("only count_include_pad=True without divisor_override is supported")
        t = "avgpool2d"
    return {"type": t, "kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride), "padding": _pair(m.padding)}


def _upsample_entry(m, refuse) -> dict:
    scale = m.scale_factor
    scales = list(scale) if isinstance(scale, (list, tuple)) else [scale, scale]
    if m.mode != "nearest" or m.size is not None or any(s is None or float(s) != int(s) for s in scales):
        raise refuse("only nearest upsampling by an integer scale_factor is supported")
    return {"type": "upsample", "scale": [int(s) for s in scales]}

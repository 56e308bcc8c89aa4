"""Network: a DAG of named layers built from a spec, with forward and backward passes.

Layers run in topological order. The backward pass walks the same order in reverse and
sums the gradients of every output that feeds several layers (a residual skip is just a
layer output used twice), so merges and skips need no special cases.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np

from . import backend
from .device import DeviceArray, to_host
from .layers import LAYER_TYPES, Layer, Parameter, SpecError
from .layers.base import MAX_ACTIVATIONS, MAX_PARAMS, is_int, limits, show
from .spec import INPUT, normalise, read_spec, topological_order

__all__ = ["Network", "MAX_PARAMS", "MAX_ACTIVATIONS", "limits"]

_DTYPES = {"float32": np.float32, "float64": np.float64}


class Network:
    """Build with Network.from_spec(spec_or_path, seed=0, dtype="float32").

    A spec is refused (SpecError, before any parameter is allocated) when it asks for more
    than max_params parameters in all, or more than max_activations elements per example
    (layer outputs plus their work buffers). The defaults (2**28 each: about 4 GiB of
    float32 parameters at the build's peak, 1 GiB per example) come from
    NEURALVIZ_MAX_PARAMS / NEURALVIZ_MAX_ACTIVATIONS when set, else from
    neuralviz.layers.base.MAX_PARAMS / MAX_ACTIVATIONS (see neuralviz.layers.base).
    """

    def __init__(
        self,
        spec: dict,
        seed: int = 0,
        dtype: str = "float32",
        *,
        max_params: int | None = None,
        max_activations: int | None = None,
    ):
        key = str(dtype) if isinstance(dtype, (str, np.dtype)) else None
        if key not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.dtype = np.dtype(_DTYPES[key])
        if not is_int(seed) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {show(seed)}")
        self.seed = int(seed)
        self.budget = limits(max_params, max_activations)
        self.spec = normalise(spec)
        self.input_shape = tuple(self.spec["input_shape"])
        self.output_id = self.spec["output"]
        self.order = topological_order(self.spec["layers"], self.output_id)
        self.layers: dict[str, Layer] = {}
        self._build()
        self.outputs: dict[str, np.ndarray] = {}
        self.output_grads: dict[str, np.ndarray] = {}
        # where the parameters live: None (host memory) or a device backend. Networks follow the
        # active backend: forward() moves them when nv.set_backend changed it (see follow_backend)
        self.device = None
        self.host_only = ""  # why this network must stay in host memory (set by a Trainer), "" if it need not
        self.device_note = ""  # why it stayed on the CPU under a device backend, "" otherwise
        # pruning masks (neuralviz/pruning.py): parameter name -> bool array, True = kept. Every
        # optimizer step and the fused path hold the pruned entries at exactly 0 (see apply_masks)
        self.masks: dict[str, np.ndarray] = {}

    @classmethod
    def from_spec(
        cls,
        spec_or_path: dict | str | Path,
        seed: int = 0,
        dtype: str = "float32",
        *,
        max_params: int | None = None,
        max_activations: int | None = None,
    ) -> Network:
        return cls(
            read_spec(spec_or_path), seed=seed, dtype=dtype, max_params=max_params, max_activations=max_activations
        )

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        """Shape inference and the budget check for every layer first, then the allocation."""
        max_params, max_activations = self.budget
        shapes = {INPUT: self.input_shape}
        index = {l["id"]: i for i, l in enumerate(self.spec["layers"])}
        params = 0
        activations = math.prod(self.input_shape)
        if activations > max_activations:
            raise SpecError(
                f"the input {self.input_shape} has {activations:,d} elements per example, above the "
                f"activation budget of {max_activations:,d} (raise it with max_activations= or "
                "NEURALVIZ_MAX_ACTIVATIONS)"
            )
        for entry in self.order:
            cls = LAYER_TYPES[entry["type"]]
            config = {k: v for k, v in entry.items() if k not in ("id", "type", "inputs")}
            # one generator per layer, keyed by its position: adding a layer elsewhere does
            # not change how the others are initialised
            rng = np.random.default_rng([self.seed, index[entry["id"]]])
            in_shapes = [shapes[s] for s in entry["inputs"]]
            layer = cls(entry["id"], config, in_shapes, self.dtype, rng, materialize=False, budget=self.budget)
            params += layer.param_count()
            activations += layer.activation_count()
            if params > max_params:
                raise SpecError(
                    f"the network needs {params:,d} parameters up to layer '{entry['id']}' ({entry['type']}), "
                    f"above the budget of {max_params:,d} (raise it with max_params= or NEURALVIZ_MAX_PARAMS)"
                )
            if activations > max_activations:
                raise SpecError(
                    f"the network needs {activations:,d} activation elements per example up to layer "
                    f"'{entry['id']}' ({entry['type']}), above the budget of {max_activations:,d} (raise it with "
                    "max_activations= or NEURALVIZ_MAX_ACTIVATIONS)"
                )
            self.layers[entry["id"]] = layer
            shapes[entry["id"]] = layer.output_shape
        for layer in self.layers.values():  # within the budget: allocate, in order
            layer.materialize()
        # the layers a device backend cannot run (Network.follow_backend keeps such a network on the CPU)
        cpu_only = [f"'{lid}' ({layer.type})" for lid, layer in self.layers.items() if not layer.on_device]
        self._cpu_only = ", ".join(cpu_only)
        self.output_shape = shapes[self.output_id]
        self.reseed(self.seed)

    def reseed(self, seed: int) -> None:
        """Re-seed the run-time randomness (dropout, noise) without touching weights."""
        for i, layer in enumerate(self.layers.values()):
            layer.set_seed(np.random.default_rng([seed, 1_000_003, i]))

    # ------------------------------------------------------------------ passes
    def follow_backend(self) -> None:
        """Moves the parameters and their gradients to the active backend's memory (GPU or host)
        if they are not there yet; forward() calls it, so nv.set_backend is all a user does.

        A network that cannot run on the device (a layer without device kernels, or `host_only` set
        by its trainer for an optimizer written in numpy) stays in host memory and trains on the CPU
        kernels, with the reason in `device_note`: switching the backend never breaks a demo."""
        target = backend.current.device
        if target is None and self.device is None:  # the CPU's every step: nothing to do, cheaply
            if self.device_note:
                self.device_note = ""
            return
        self.device_note = ""
        if target is not None:
            reason = f"layer {self._cpu_only} has no {target.name} kernels" if self._cpu_only else self.host_only
            if reason:
                self.device_note = f"stays on the CPU: {reason}"
                target = None
        if target is self.device:
            return
        for p in self.parameters():
            if target is None:
                p.value, p.grad = to_host(p.value), to_host(p.grad)
            else:
                p.value, p.grad = target.to_device(to_host(p.value)), target.to_device(to_host(p.grad))
        self.outputs, self.output_grads = {}, {}
        self.device = target

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        if self.device is not None:
            if isinstance(x, DeviceArray):
                if x.shape[1:] != self.input_shape:
                    raise ValueError(
                        f"network input must have shape (batch, {', '.join(map(str, self.input_shape))})"
                        f" but x has shape {x.shape}"
                    )
                return x
            return self.device.to_device(self._check_host_input(x))  # data in: the one copy of a pass
        return self._check_host_input(x)

    def _check_host_input(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            x = np.asarray(x)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"network input must have shape (batch, {', '.join(map(str, self.input_shape))})"
                f" but x has shape {x.shape}"
            )
        first = [self.layers[e["id"]] for e in self.order if INPUT in e["inputs"]]
        if all(getattr(layer, "takes_integer_input", False) for layer in first) and x.dtype.kind in "iu":
            return x  # token ids stay integers
        if x.dtype.kind not in "fiub":
            raise TypeError(f"network input must be numeric, got dtype {x.dtype}")
        return np.ascontiguousarray(x, dtype=self.dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Runs every layer; keeps each layer's output in self.outputs (for the app's views)."""
        self.follow_backend()
        self.outputs = {}  # let the previous pass's arrays be reused by this one's allocations
        outputs = {INPUT: self._check_input(x)}
        for entry in self.order:
            layer = self.layers[entry["id"]]
            outputs[entry["id"]] = layer.forward([outputs[s] for s in entry["inputs"]], train)
        self.outputs = outputs
        return outputs[self.output_id]

    __call__ = forward

    def backward(self, grad_y: np.ndarray, keep_grads: bool = False, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagates grad_y (d loss / d output); accumulates parameter gradients.

        Returns d loss / d input (None when the input is integer token ids). With
        keep_grads, self.output_grads[layer_id] holds d loss / d (that layer's output):
        the per-example statistics K-FAC needs and the app's saliency views use.
        input_grad=False lets the layers fed by the network input skip their input
        gradient (training never needs it; for a first dense layer it is a third of the
        backward's matrix products).
        """
        out = self.outputs.get(self.output_id)
        if out is None:
            raise RuntimeError("backward() called before forward()")
        if isinstance(out, DeviceArray):
            if not isinstance(grad_y, DeviceArray):  # a host gradient: data in
                grad_y = self.device.to_device(np.asarray(grad_y, dtype=self.dtype))
        else:
            grad_y = np.asarray(grad_y, dtype=self.dtype)
        if grad_y.shape != out.shape:
            raise ValueError(f"grad_y has shape {grad_y.shape} but the output has shape {out.shape}")
        grads: dict[str, np.ndarray] = {self.output_id: grad_y}
        kept: dict[str, np.ndarray] = {}
        for entry in self.order:
            self.layers[entry["id"]].skip_grad_x = not input_grad and entry["inputs"] == [INPUT]
        for entry in reversed(self.order):
            g = grads.pop(entry["id"], None)
            if g is None:
                continue  # this layer does not influence the output
            if keep_grads:
                kept[entry["id"]] = g
            for src, gi in zip(entry["inputs"], self.layers[entry["id"]].backward(g)):
                if gi is None:
                    continue
                # never add in place: a layer may hand the same array to several inputs
                grads[src] = gi if src not in grads else grads[src] + gi
        if keep_grads:
            self.output_grads = kept
        return grads.get(INPUT)

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers.values() for p in layer.params.values()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad.fill(0)

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Host copies of the parameters (a snapshot out of the GPU where the network lives there)."""
        return {p.name: to_host(p.value).copy() if self.device is None else p.value.numpy() for p in self.parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        params = {p.name: p for p in self.parameters()}
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if missing or unexpected:
            raise ValueError(f"load_state_dict: missing {missing}, unexpected {unexpected}")
        for name, p in params.items():
            v = np.asarray(state[name])
            if v.shape != p.value.shape:
                raise ValueError(f"load_state_dict: {name} has shape {v.shape}, expected {p.value.shape}")
            if not np.all(np.isfinite(v)):
                raise ValueError(f"load_state_dict: {name} contains NaN or inf")
            p.value[...] = v
        self.apply_masks()  # a pruned network stays pruned, whatever the state held

    # ------------------------------------------------------------------ pruning masks
    def set_masks(self, masks: dict[str, np.ndarray]) -> None:
        """Keep only the entries where masks[name] is true (1) and zero the others, now and after every
        optimizer step; replaces any previous masks. nv.prune computes masks; this stores given ones."""
        params = {p.name: p for p in self.parameters()}
        if not isinstance(masks, dict):
            raise TypeError(f"set_masks: masks must be a dict of parameter name -> array, got {type(masks).__name__}")
        checked = {}
        for name, mask in masks.items():
            if name not in params:
                raise ValueError(f"set_masks: no parameter {name!r}; the network has {sorted(params)}")
            m = np.asarray(mask)
            if m.shape != params[name].value.shape or m.dtype.kind not in "biuf" or not np.isin(m, (0, 1)).all():
                raise ValueError(
                    f"set_masks: the mask of {name} must be a 0/1 or bool array of shape "
                    f"{params[name].value.shape}, got {m.dtype} of shape {m.shape}"
                )
            checked[name] = m.astype(bool)
        self.masks = checked
        self.apply_masks()

    def clear_masks(self) -> None:
        """Forget the masks (the weights stay as they are, pruned ones at 0, free to grow again)."""
        self.masks = {}

    def apply_masks(self, grads: bool = False) -> None:
        """Set the pruned entries of every masked parameter (or, with grads, of its gradient) to exactly 0."""
        params = {p.name: p for p in self.parameters()} if self.masks else {}
        for name, keep in self.masks.items():
            np.copyto(params[name].grad if grads else params[name].value, 0, where=~keep)

    # ------------------------------------------------------------------ description
    def to_spec(self) -> dict:
        """The spec this network was built from (with explicit inputs), as a new dict."""
        return copy.deepcopy(self.spec)

    def layer_table(self) -> list[dict]:
        """One row per layer: id, type, output shape, parameter count, forward FLOPs/example."""
        return [
            {
                "id": lid,
                "type": layer.type,
                "output_shape": layer.output_shape,
                "params": sum(p.size for p in layer.params.values()),
                "flops": layer.flops(),
            }
            for lid, layer in self.layers.items()
        ]

    def summary(self) -> str:
        rows = self.layer_table()
        lines = [
            f"{self.spec.get('name', 'network')}: input {self.input_shape}, dtype {self.dtype}",
            f"{'layer':16s} {'type':18s} {'output':18s} {'params':>10s} {'FLOPs':>12s}",
        ]
        for r in rows:
            lines.append(
                f"{r['id']:16s} {r['type']:18s} {str(r['output_shape']):18s} {r['params']:>10,d} {r['flops']:>12,d}"
            )
        lines.append(
            f"total: {sum(r['params'] for r in rows):,d} parameters, "
            f"{sum(r['flops'] for r in rows):,d} FLOPs per example (forward)"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Network({self.spec.get('name', '')!r}, {len(self.layers)} layers, {self.num_parameters()} params)"

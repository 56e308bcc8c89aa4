"""Export beyond one machine: a network to PyTorch (and back), to ONNX, and to a standalone training script.

    module = nv.to_torch(net)                       # torch.nn.Module: same parameter names, values, graph
    net = nv.from_torch(module, input_shape)        # back (an nn.Sequential of supported modules, or to_torch's)
    nv.export_onnx(net, "model.onnx")               # ONNX opset 17, built from the spec with onnx.helper
    write_script(preset_or_spec, "train.py")        # python train.py / torchrun --nproc_per_node=N train.py
    write_bundle(network_or_spec, preset, folder)   # what the app's File > Export writes: script, .onnx, .nvz

torch and onnx are optional (`pip install "neuralviz[torch]"`, `"neuralviz[onnx]"`): they are imported
inside the functions, so `import neuralviz` never loads them, and without them the functions raise an
ImportError that names the extra to install.
"""

from __future__ import annotations

import importlib


def _require(module: str, extra: str, what: str):
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f'{what} needs {module.split(".")[0]}: pip install "neuralviz[{extra}]" ({err})') from err


def require_torch(what: str = "this export"):
    """torch, or an ImportError saying which extra brings it."""
    return _require("torch", "torch", what)


def require_onnx(what: str = "export_onnx"):
    """onnx, or an ImportError saying which extra brings it."""
    return _require("onnx", "onnx", what)


def to_torch(net):
    """See neuralviz.export.torch_module.to_torch."""
    from .torch_module import to_torch as impl

    return impl(net)


def from_torch(module, input_shape, *, dtype: str | None = None):
    """See neuralviz.export.from_torch.from_torch."""
    from .from_torch import from_torch as impl

    return impl(module, input_shape, dtype=dtype)


def export_onnx(net, path, *, opset: int = 17):
    """See neuralviz.export.onnx_export.export_onnx."""
    from .onnx_export import export_onnx as impl

    return impl(net, path, opset=opset)


def write_script(source, path, **options):
    """See neuralviz.export.script.write_script."""
    from .script import write_script as impl

    return impl(source, path, **options)


def write_bundle(network_or_spec, preset, directory):
    """See neuralviz.export.script.write_bundle."""
    from .script import write_bundle as impl

    return impl(network_or_spec, preset, directory)


__all__ = ["to_torch", "from_torch", "export_onnx", "write_script", "write_bundle", "require_torch", "require_onnx"]

"""neuralviz: an educational neural-network engine with hand-written kernels and a live app.

import neuralviz as nv
net = nv.Network.from_spec({"input_shape": [2], "layers": [...]}, seed=0)
ds = nv.data.load("xor", seed=0)
opt = nv.optim.make("sgd", net, lr=0.1)
nv.Trainer(net, "bce", opt, seed=0).fit(ds, epochs=50, batch_size=10)
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

from . import (
    adversarial,
    analysis,
    data,
    generation,
    generative,
    inspect,
    losses,
    online,
    ops,
    optim,
    prediction,
    presets,
    profile,
    pruning,
    segmentation,
    structure,
    texture,
    viz,
)
from .analysis import input_jacobian_norm, layer_gradient_norms
from .backend import (
    _C,  # noqa: F401  the raw CPU kernels stay importable as neuralviz._C
    backends,
    get_backend,
    get_num_threads,
    set_backend,
    set_num_threads,
)
from .compare import compare
from .export import export_onnx, from_torch, to_torch  # torch and onnx load inside the calls
from .io import load, save
from .layers import Parameter, SpecError
from .network import Network
from .prediction import accuracy, predict, probabilities
from .pruning import prune, unprune
from .race import Race, race
from .trainer import Callback, Trainer, TrainingDiverged

# `import neuralviz._C` keeps working for scripts written before the move to neuralviz._native
sys.modules.setdefault(__name__ + "._C", _C)

__all__ = [
    "__version__",
    "ops",
    "generative",
    "adversarial",
    "inspect",
    "to_torch",
    "from_torch",
    "export_onnx",
    "pruning",
    "profile",
    "prune",
    "unprune",
    "segmentation",
    "structure",
    "texture",
    "data",
    "losses",
    "optim",
    "presets",
    "prediction",
    "viz",
    "predict",
    "probabilities",
    "accuracy",
    "backends",
    "set_backend",
    "get_backend",
    "set_num_threads",
    "get_num_threads",
    "Network",
    "Parameter",
    "SpecError",
    "Trainer",
    "Callback",
    "TrainingDiverged",
    "save",
    "load",
    "compare",
    "race",
    "Race",
    "analysis",
    "online",
    "generation",
    "input_jacobian_norm",
    "layer_gradient_norms",
]

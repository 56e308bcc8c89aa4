"""neuralviz: an educational neural-network engine with hand-written kernels and a live app.

    import neuralviz as nv
    nv.ops.matmul(a, b)            # validated kernels (numpy in, numpy out)
    nv.backends(); nv.set_num_threads(2)
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import ops
from .backend import backends, get_backend, get_num_threads, set_backend, set_num_threads

__all__ = ["__version__", "ops", "backends", "set_backend", "get_backend", "set_num_threads",
           "get_num_threads"]

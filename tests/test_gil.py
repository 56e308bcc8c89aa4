"""Long kernels release the GIL, so the app's GUI thread keeps running during training."""

import numpy as np
from gil_probe import ticks_inside

import neuralviz as nv


def test_other_thread_progresses_during_long_matmul():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1200, 1200)).astype(np.float32)
    nv.ops.matmul(a, a)  # warm-up (pack buffers)
    # another Python thread runs while the kernel does (counted, not timed: see gil_probe); with the GIL
    # held through the kernel it could not tick inside it at all
    inside, calls = ticks_inside(lambda: nv.ops.matmul(a, a), want=3, max_calls=30)
    assert inside >= 3, f"another thread ticked {inside} times inside {calls} matmul calls: the GIL is held"

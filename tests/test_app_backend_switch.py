"""Training ▸ Run on: switching the engine between CPU and GPU while the studio trains.

Without a GPU the GPU entry is disabled with the reason. The switch itself is exercised with the CUDA
simulator (the same kernels on the CPU), which the menu does not offer but `select` accepts: the studio keeps
training across both switches, its network lives in device memory in between, and the curves go on.
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_devices import SIM

from neuralviz import backend
from neuralviz.device import DeviceArray

WAIT = 60_000


def _train(qtbot, w, steps: int) -> None:
    target = w.latest.step + steps
    w.train_steps(steps)
    qtbot.waitUntil(lambda: w.latest.final and w.latest.step >= target, timeout=WAIT)


def test_the_gpu_entry_says_why_it_is_off(qtbot, window):
    switch = window.backend_switch
    assert switch.actions["cpu"].isChecked() and switch.badge.text().startswith("Computing on: CPU")
    if backend.HAS_CUDA:
        pytest.skip("a GPU is usable here")
    gpu = switch.actions["cuda"]
    assert not gpu.isEnabled() and "no NVIDIA GPU found" in gpu.text()
    assert switch.select("cuda") is False
    assert backend.get_backend() == "cpu" and "no NVIDIA GPU found" in window.statusBar().currentMessage()


@pytest.mark.skipif(SIM is None, reason="_C_cudasim was not built")
def test_switching_while_training_keeps_the_run(qtbot, window):
    w, switch = window, window.backend_switch
    try:
        _train(qtbot, w, 30)
        assert switch.select("cuda-sim")
        assert "simulator" in switch.badge.text()
        _train(qtbot, w, 20)
        net = w.controller.worker._model().net  # the studio worker's run
        assert all(isinstance(p.value, DeviceArray) for p in net.parameters())
        assert switch.select("cpu") and switch.actions["cpu"].isChecked()
        _train(qtbot, w, 20)
        assert all(isinstance(p.value, np.ndarray) for p in net.parameters())
        assert w.latest.step >= 70 and np.isfinite(list(w.latest.metrics.values())[0])
    finally:
        backend.set_backend("cpu")

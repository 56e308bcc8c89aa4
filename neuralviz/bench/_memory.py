"""Peak memory of one training step, ours beside torch's, for the benchmark reports (issue 22: ours must not be
larger). Linux only: it reads /proc/self/status and resets the high-water mark through /proc/self/clear_refs.

Each side runs in a fresh process (`peak_memory(module, who)` runs `module.measure_peak_child(who)`), so one
side's caches and allocator pools are not counted against the other, and glibc's mmap threshold is fixed
(MALLOC_MMAP_THRESHOLD_): every large buffer is its own mapping, returned on free, so RSS follows the buffers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

TARGET = "ours <= torch"
MMAP_THRESHOLD = 128 * 1024  # bytes: every larger allocation is its own mapping, unmapped on free


def available() -> bool:
    return os.path.exists("/proc/self/clear_refs")


def status_bytes(field: str) -> int:
    """A "kB" field of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"/proc/self/status has no {field}")


def peak_bytes(step) -> int:
    """Peak resident bytes that one call of step adds above the resident set before it."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets VmHWM to the current VmRSS (Linux >= 4.0)
    before = status_bytes("VmRSS")
    step()
    return status_bytes("VmHWM") - before


def print_child_result(step) -> None:
    """In the child: one warm-up call (lazy initialisation, packing buffers, JIT code and the optimiser's state
    are not the step's memory), then the measured call, printed as {"bytes": n} for peak_memory to read."""
    step()
    print(json.dumps({"bytes": peak_bytes(step)}))


def peak_memory(module: str, who: str) -> int:
    """Peak extra resident bytes of one step of `who` ("ours" or "torch"), measured by
    neuralviz.bench.<module>.measure_peak_child in a fresh process."""
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD)}
    code = f"from neuralviz.bench.{module} import measure_peak_child; measure_peak_child({who!r})"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        raise OSError(f"peak-memory child for {who} failed: {run.stderr.strip().splitlines()[-1:]}")
    return int(json.loads(run.stdout.strip().splitlines()[-1])["bytes"])

"""Timing harness shared by the benchmark suites.

Every case times our kernel and a peer (numpy/OpenBLAS or PyTorch) in the same process,
single-threaded, and reports the median of repeats plus the ratio ours/peer, so a number
is always read against a baseline measured on the same machine at the same moment.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Case:
    """One benchmark row. ``theirs`` is None when the peer library is not installed."""

    name: str
    ours: Callable[[], object]
    peer: str
    theirs: Callable[[], object] | None = None
    flops: float = 0.0
    target: str = ""


def time_fn(fn: Callable[[], object], repeats: int = 15, min_time: float = 0.02) -> float:
    """Median wall time of one call; each sample loops until it lasts at least min_time."""
    fn()  # warm-up: first-touch allocation, lazy packing, JIT of the peer
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or loops >= 1 << 20:
            break
        loops *= 2
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - t0) / loops)
    return statistics.median(samples)


def single_thread_peers() -> None:
    """Pin every library we compare with to one thread (OpenBLAS, OpenMP, torch)."""
    import neuralviz as nv

    nv.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _fmt_time(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:8.1f} us"
    return f"{t * 1e3:8.3f} ms"


def run_cases(cases: list[Case], repeats: int = 15, quick: bool = False) -> list[dict]:
    """Time each case and print one table row per case; returns the rows as dicts."""
    if quick:
        repeats = 3
    header = f"{'case':44s} {'ours':>11s} {'GFLOP/s':>8s} {'peer':>6s} {'peer time':>11s} {'ratio':>7s}  target"
    print(header)
    print("-" * len(header))
    rows = []
    for case in cases:
        ours = time_fn(case.ours, repeats)
        theirs = time_fn(case.theirs, repeats) if case.theirs is not None else None
        gflops = case.flops / ours / 1e9 if case.flops else 0.0
        ratio = ours / theirs if theirs else float("nan")
        peer_t = _fmt_time(theirs) if theirs else "   missing"
        print(
            f"{case.name:44s} {_fmt_time(ours):>11s} {gflops:8.1f} {case.peer:>6s} "
            f"{peer_t:>11s} {ratio:6.2f}x  {case.target}",
            flush=True,
        )
        rows.append(
            {
                "name": case.name,
                "ours_s": ours,
                "peer": case.peer,
                "peer_s": theirs,
                "ratio": ratio,
                "gflops": gflops,
                "target": case.target,
            }
        )
    return rows

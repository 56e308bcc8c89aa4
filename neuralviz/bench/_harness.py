"""Timing harness shared by the benchmark suites.

Every case times our kernel and a peer (numpy/OpenBLAS or PyTorch) in the same process,
single-threaded, and reports the median of repeats plus the ratio ours/peer, so a number
is always read against a baseline measured on the same machine at the same moment.

Before a row is timed its `check` runs once (llm.c's habit): it computes our result and
the peer's or a reference's and compares them with `check_close`. A failed check raises
CheckFailed and stops the run, because a benchmark that times a wrong answer is worse
than none.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Case:
    """One benchmark row. ``theirs`` is None when the peer library is not installed.
    ``check`` validates the row's result once before it is timed (raises CheckFailed); the
    suites' rows must have one (require_checks)."""

    name: str
    ours: Callable[[], object]
    peer: str
    theirs: Callable[[], object] | None = None
    flops: float = 0.0
    target: str = ""
    check: Callable[[], object] | None = None


class CheckFailed(AssertionError):
    """A row's result disagrees with its reference; the run stops rather than time it."""


def check_close(name: str, ours, ref, rtol: float, atol: float) -> None:
    """Raises CheckFailed naming the row unless |ours - ref| <= atol + rtol*|ref| everywhere.

    llm.c's form: atol covers entries near zero (where a float sum's rounding is set by the
    size of its terms, not of the result), rtol the rest. ours and ref may be numbers,
    arrays, torch tensors or (nested) tuples/lists of them, compared pairwise when both are
    sequences; NaN never passes.
    """
    if isinstance(ref, (tuple, list)) and isinstance(ours, (tuple, list)):
        if len(ours) != len(ref):
            raise CheckFailed(f"{name}: got {len(ours)} results, the reference has {len(ref)}")
        for i, (o, r) in enumerate(zip(ours, ref)):
            check_close(f"{name}[{i}]", o, r, rtol, atol)
        return
    o, r = _as_float64(ours), _as_float64(ref)
    if o.shape != r.shape:
        raise CheckFailed(f"{name}: result has shape {o.shape}, the reference {r.shape}")
    excess = np.abs(o - r) - (atol + rtol * np.abs(r))
    bad = ~(excess <= 0)  # ~(<=) so that NaN counts as bad
    if bad.any():
        raise CheckFailed(f"{name}: result differs from the reference: {_mismatch(o, r, bad, excess, rtol, atol)}")


def _mismatch(o: np.ndarray, r: np.ndarray, bad: np.ndarray, excess: np.ndarray, rtol: float, atol: float) -> str:
    """The errors, the tolerance and the worst entry (NaN first), for CheckFailed's message."""
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(o - r)
        rel = err / np.abs(r)
    worst = np.unravel_index(int(np.argmax(np.nan_to_num(excess, nan=np.inf))), o.shape)
    return (
        f"max abs error {np.max(err):.3g}, max rel error {np.max(rel):.3g}; {int(bad.sum())} of {bad.size} "
        f"entries beyond |ours - ref| <= atol + rtol*|ref| (rtol={rtol:g}, atol={atol:g}); "
        f"worst at {tuple(map(int, worst))}: ours {o[worst]:.7g}, ref {r[worst]:.7g}"
    )


def _as_float64(a) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def require_checks(cases: list[Case]) -> None:
    """Raises CheckFailed naming the first row without a check: a suite times no row whose
    result it has not checked (a time without a checked result is worth nothing)."""
    for case in cases:
        if case.check is None:
            raise CheckFailed(f"{case.name}: the row has no check, so it is not timed")


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


def torch_or_none():
    """The torch module, or None where it is not installed (or does not import)."""
    try:
        import torch
    except (ImportError, OSError):  # OSError: a broken install (missing shared libraries)
        return None
    return torch


def missing_peer_note(peer: str) -> str:
    """What a row says in place of the peer's time and the ratio when the peer was not timed."""
    if peer == "torch" and torch_or_none() is None:
        return "torch not installed"
    return f"{peer} not timed"


def single_thread_peers() -> None:
    """Pin every library we compare with to one thread (OpenBLAS, OpenMP, torch)."""
    import neuralviz as nv

    nv.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(1)


def _fmt_time(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:8.1f} us"
    return f"{t * 1e3:8.3f} ms"


def _relative_target(case: Case) -> bool:
    """Whether a target is stated relative to the peer ("<= 1.5x torch", "<= 1.25x")."""
    return case.peer in case.target or re.search(r"\dx\b", case.target) is not None


def run_cases(cases: list[Case], repeats: int = 15, quick: bool = False) -> list[dict]:
    """Time each case and print one table row per case; returns the rows as dicts."""
    if quick:
        repeats = 3
    header = f"{'case':44s} {'ours':>11s} {'GFLOP/s':>8s} {'peer':>6s} {'peer time':>11s} {'ratio':>7s}  target"
    print(header)
    print("-" * len(header))
    rows = []
    for case in cases:
        if case.check is not None:
            case.check()  # before timing: raises CheckFailed, which stops the run
        ours = time_fn(case.ours, repeats)
        theirs = time_fn(case.theirs, repeats) if case.theirs is not None else None
        gflops = case.flops / ours / 1e9 if case.flops else 0.0
        if theirs:
            ratio, note = ours / theirs, ""
            peer_cols, target = f"{_fmt_time(theirs):>11s} {ratio:6.2f}x", case.target
        else:  # no peer timing: say why, instead of a `nanx` ratio and a target nothing was held to
            ratio, note = None, missing_peer_note(case.peer)
            peer_cols, target = f"{'-':>11s} {'-':>7s}", note
            if case.target and not _relative_target(case):  # an absolute target (e.g. "<= 3 ms") still applies
                target = f"{note}; target {case.target}"
        print(f"{case.name:44s} {_fmt_time(ours):>11s} {gflops:8.1f} {case.peer:>6s} {peer_cols}  {target}", flush=True)
        rows.append(
            {
                "name": case.name,
                "ours_s": ours,
                "peer": case.peer,
                "peer_s": theirs,
                "ratio": ratio,  # None (JSON null) when the peer was not timed
                "gflops": gflops,
                "target": case.target,
                "note": note,
                "checked": case.check is not None,
            }
        )
    return rows

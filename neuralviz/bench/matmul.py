"""Matrix multiply (nv.ops.matmul) against numpy's `a @ b` (OpenBLAS), single thread.

Both sides are timed at the Python call level, so the small shapes include each library's
call overhead (ours: argument checks plus the pybind11 call; numpy: ufunc dispatch).
Transposed variants pass trans_a/trans_b to us and a transposed *view* to numpy, which
hands the flag to BLAS as well, so neither side copies.

Each row first checks our product against numpy's (gemm_tolerance: rounding grows with K).

Shapes: the square sizes, the MLP training layer x(128x784) @ W^T with W (256, 784) and
its two backward products, and the recurrent-layer shapes (one LSTM step's
h(32x128) @ W_hh^T with W_hh (512, 128), and a batch-1 matvec).

The issue-22 target shapes (512^3 and the three MLP training products) also run against
torch.matmul (MKL, one thread): the "vs MKL" rows.

report() (after the timed rows) prints the machine's measured FMA peak per instruction set
(`_C.fma_peak_gflops`: a register-only loop of independent multiply-adds, best of repeats in
per-thread CPU time), each float32 target row's share of it (timed the same way, ours and
MKL's), and the speed-up of a 1024^3 product from one thread to two (shortest wall time; on
a loaded machine the second core may be busy, so the process CPU time per product is printed
too: its ratio bounds what an idle machine gives).

Run alone with `python -m neuralviz.bench kernels --only matmul`.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import neuralviz as nv

from ._harness import Case, torch_or_none

# (label, M, K, N, dtype, trans_a, trans_b, target). op(a) is M x K and op(b) is K x N.
SHAPES = [
    ("sgemm 512x512 @ 512x512", 512, 512, 512, np.float32, False, False, "<=1.0x"),
    ("sgemm 128x784 @ 784x256", 128, 784, 256, np.float32, False, False, "<=1.0x"),
    ("dgemm 512x512 @ 512x512", 512, 512, 512, np.float64, False, False, ""),
    ("sgemm x @ W^T 128x784 @ (256x784)^T", 128, 784, 256, np.float32, False, True, ""),
    ("sgemm dY^T @ X (128x256)^T @ 128x784", 256, 128, 784, np.float32, True, False, ""),
    ("sgemm dY @ W 128x256 @ 256x784", 128, 256, 784, np.float32, False, False, ""),
    ("sgemm 32x128 @ 128x512 (LSTM step)", 32, 128, 512, np.float32, False, False, ""),
    ("sgemm h @ W_hh^T 32x128 @ (512x128)^T", 32, 128, 512, np.float32, False, True, ""),
    ("sgemm 1x32 @ 32x128 (matvec)", 1, 32, 128, np.float32, False, False, ""),
]
# The same products against torch.matmul (MKL): issue 22's GEMM targets (forward as the
# Linear layer computes it, x @ W^T; dW = dY^T @ X; dX = dY @ W).
MKL_SHAPES = [
    ("sgemm 512x512 @ 512x512 vs MKL", 512, 512, 512, np.float32, False, False, "<=1.0x torch"),
    ("sgemm x @ W^T 128x784 @ (256x784)^T vs MKL", 128, 784, 256, np.float32, False, True, "<=1.0x torch"),
    ("sgemm dY^T @ X (128x256)^T @ 128x784 vs MKL", 256, 128, 784, np.float32, True, False, "<=1.0x torch"),
    ("sgemm dY @ W 128x256 @ 256x784 vs MKL", 128, 256, 784, np.float32, False, False, "<=1.0x torch"),
]
PEAK_TARGET = 0.80  # share of the measured AVX-512 FMA peak the MKL rows aim for
THREADS_SHAPE = 1024  # n of the n^3 product timed with one and two threads
THREADS_TARGET = 1.8
QUICK = {"sgemm 512x512 @ 512x512", "sgemm 128x784 @ 784x256", "sgemm 32x128 @ 128x512 (LSTM step)"}


def gemm_tolerance(dtype, K: int) -> tuple[float, float]:
    """(rtol, atol) for a product of unit-normal matrices over K terms.

    Blocked float sums of K products round to about eps*sqrt(K) relative to the terms' size,
    and an entry's typical size is sqrt(K): rtol = 32*eps*sqrt(K) (1e-4 at K = 512 in float32)
    and atol = rtol*sqrt(K), so that entries which cancel to near zero are held to the same
    absolute error as typical ones. A wrong kernel misses this by orders of magnitude.
    """
    rtol = 32 * float(np.finfo(dtype).eps) * np.sqrt(K)
    return rtol, rtol * np.sqrt(K)


def _case(label, M, K, N, dtype, trans_a, trans_b, target, seed=0, peer="numpy") -> Case:
    """One row: our product against numpy's (OpenBLAS) or, with peer="torch", torch.matmul
    (MKL) on transposed views of the same arrays, checked against the peer first."""
    from ._harness import check_close

    rng = np.random.default_rng(seed)
    a = rng.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if trans_b else (K, N)).astype(dtype)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    theirs = None
    if peer == "numpy":

        def theirs():
            return op_a @ op_b

    elif (torch := torch_or_none()) is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        top_a, top_b = (ta.T if trans_a else ta), (tb.T if trans_b else tb)

        def theirs():
            return torch.matmul(top_a, top_b)

    def ours():
        return nv.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b)

    def check():  # against the peer when there is one, else against numpy
        check_close(label, ours(), theirs() if theirs else op_a @ op_b, *gemm_tolerance(dtype, K))

    return Case(label, ours, peer, theirs, flops=2.0 * M * N * K, target=target, check=check)


def cases(quick: bool = False) -> list[Case]:
    rows = [_case(*s) for s in SHAPES if not quick or s[0] in QUICK]
    return rows + [_case(*s, peer="torch") for s in MKL_SHAPES if not quick or s[1] == 512]


# ---------------------------------------------------------------- FMA peak and threads (report)
def fma_peaks() -> dict[str, float]:
    """GFLOP/s of one core's float32 multiply-adds per available ISA (best of repeats)."""
    return {isa: nv._C.fma_peak_gflops(isa) for isa in nv._C.available_isas()}


def _loops_for(fn, clock, min_time: float = 0.02) -> int:
    """Calls per sample so that a sample lasts at least min_time by `clock` (after a warm-up)."""
    fn()
    loops = 1
    while True:
        t0 = clock()
        for _ in range(loops):
            fn()
        if clock() - t0 >= min_time or loops >= 1 << 20:
            return loops
        loops *= 2


def _sample(fn, loops: int, clock) -> float:
    t0 = clock()
    for _ in range(loops):
        fn()
    return (clock() - t0) / loops


def _best_time(fn, clock=time.thread_time, repeats: int = 20) -> float:
    """Shortest time of one call by `clock` over repeats (each sample loops to >= 20 ms).

    The minimum, and this thread's CPU time by default: on a machine shared with other work a
    median in wall time measures the neighbours as much as the kernel; the FMA probe is
    timed the same way, so the two divide cleanly.
    """
    loops = _loops_for(fn, clock)
    return min(_sample(fn, loops, clock) for _ in range(repeats))


def _paired_times(ours, theirs, repeats: int = 20) -> tuple[float, float, float]:
    """(shortest of ours, shortest of theirs, median of ours/theirs over back-to-back pairs)
    in per-thread CPU time: each pair shares the machine's state of the moment (clock,
    neighbours), so its ratio is steadier than a ratio of separately taken times."""
    clock = time.thread_time
    lo, lt = _loops_for(ours, clock), _loops_for(theirs, clock)
    pairs = []
    for i in range(repeats):  # alternate which goes first: the second of a pair runs ~2% faster here
        if i % 2:
            t = _sample(theirs, lt, clock)
            pairs.append((_sample(ours, lo, clock), t))
        else:
            pairs.append((_sample(ours, lo, clock), _sample(theirs, lt, clock)))
    return min(p[0] for p in pairs), min(p[1] for p in pairs), statistics.median(o / t for o, t in pairs)


def _peak_table(peak: float, isa: str) -> None:
    """Each float32 target row's GFLOP/s, ours and MKL's, as a share of the measured peak,
    and ours/MKL from back-to-back pairs."""
    header = f"  {'case':44s} {'ours GF/s':>9s} {'% peak':>7s} {'MKL GF/s':>9s} {'% peak':>7s} {'paired':>7s}"
    print(f"{header}  target")
    for case in [_case(*s, peer="torch") for s in MKL_SHAPES]:
        case.check()  # validated before it is timed, as every row
        if case.theirs is None:
            ours, mkl, ratio = case.flops / _best_time(case.ours) / 1e9, float("nan"), float("nan")
        else:
            t_ours, t_mkl, ratio = _paired_times(case.ours, case.theirs)
            ours, mkl = case.flops / t_ours / 1e9, case.flops / t_mkl / 1e9
        target = f">= {PEAK_TARGET:.0%} of the {isa} peak, <= 1.0x MKL" if isa == "avx512" else "<= 1.0x MKL"
        print(f"  {case.name:44s} {ours:9.1f} {ours / peak:7.1%} {mkl:9.1f} {mkl / peak:7.1%} {ratio:6.2f}x  {target}")


def thread_speedup(n: int = THREADS_SHAPE, threads: int = 2) -> dict[str, float]:
    """An n^3 float32 product (checked first) with one thread and with `threads`: the
    shortest wall times, and the process CPU time per product, whose ratio bounds the
    speed-up an idle machine would show (spinning threads only lower that bound)."""
    case = _case(f"sgemm {n}^3 threads", n, n, n, np.float32, False, False, "")
    before = nv._C.get_num_threads()
    out = {}
    try:
        for t in (1, threads):
            nv.set_num_threads(t)
            case.check()
            out[f"wall_{t}"] = _best_time(case.ours, time.perf_counter, repeats=9)
            out[f"cpu_{t}"] = _best_time(case.ours, time.process_time, repeats=9)
        # One thread's share of a 2-way split (C cut into two column blocks), alone: the
        # speed-up the split allows when nothing else runs, from per-thread CPU times.
        nv.set_num_threads(1)
        half = _case(f"sgemm {n}^2 x {n // 2}", n, n, n // 2, np.float32, False, False, "")
        half.check()
        out["split_bound"] = _best_time(case.ours, repeats=5) / _best_time(half.ours, repeats=5)
    finally:
        nv.set_num_threads(before)
    return out


def report() -> None:
    """Prints the FMA peaks, the MKL rows' share of this ISA's peak and the 2-thread speed-up."""
    isa = nv._C.get_isa()
    peaks = fma_peaks()
    listed = ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peaks.items())
    print(f"[kernels/matmul] measured FMA peak, one core, float32: {listed}")
    print(
        f"  GEMM rows against the {isa} peak ({peaks[isa]:.1f} GFLOP/s), shortest per-thread CPU time; "
        "paired = median of ours/MKL over back-to-back samples:"
    )
    _peak_table(peaks[isa], isa)
    t = thread_speedup()
    print(
        f"  sgemm {THREADS_SHAPE}^3, shortest wall time: 1 thread {t['wall_1'] * 1e3:.2f} ms, 2 threads "
        f"{t['wall_2'] * 1e3:.2f} ms, speed-up {t['wall_1'] / t['wall_2']:.2f}x  target >= {THREADS_TARGET}x"
    )
    print(
        f"  (process CPU per product: {t['cpu_1'] * 1e3:.2f} ms vs {t['cpu_2'] * 1e3:.2f} ms, so an idle "
        f"2-core machine gives >= {2 * t['cpu_1'] / t['cpu_2']:.2f}x; one thread's half of the work alone takes "
        f"1/{t['split_bound']:.2f} of the whole)\n"
    )


if __name__ == "__main__":
    from ._harness import run_cases, single_thread_peers

    single_thread_peers()
    run_cases(cases())
    report()

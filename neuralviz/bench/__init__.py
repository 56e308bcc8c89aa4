"""Benchmarks: `python -m neuralviz.bench SUITE [--quick]`.

Each suite prints our time, a peer's time (numpy/OpenBLAS or PyTorch) measured in the
same process, and the ratio ours/peer (below 1 means we are faster). Single-threaded
unless stated. Performance targets live here, never in timed unit tests. Every row first
checks its result against the peer's or a reference; a failed check stops the run (exit
status 1), since a benchmark that times a wrong answer is worse than none.
"""

# suite name -> modules whose cases() it runs, in order
SUITES = {
    "kernels": ["matmul", "conv", "recurrent", "fused"],
    "training": ["training"],
    "natural": ["natural"],
    "cuda": ["cuda"],
}

"""The rnn-pde preset's claim, measured (issue 20): on held-out scenes the refined map (the coarse CNN plus the
weight-tied PDE refinement, trained end to end) beats the coarse map by >= 3 points of pixel accuracy and
>= 10 points of boundary accuracy (pixels within 2 px of a true class boundary), mean over seeds.

    python benchmarks/rnn_pde.py [--seeds 3] [--preset rnn-pde] [--steps N]

Prints per seed and the mean: pixel and boundary accuracy and mean IoU of both runs, the accuracy of the refined
net's own map before its refinement (iteration 0) and after each iteration, the seconds the race took, the CPU
and the load average (on a shared machine the seconds grow with it; the accuracies do not change).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz import segmentation  # noqa: E402

KEYS = ("pixel_accuracy", "boundary_accuracy", "mean_iou")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def per_iteration(net, x: np.ndarray, y: np.ndarray) -> list[float]:
    """Pixel accuracy of the refined net's map at every iteration (0 = before refinement)."""
    return [float((u.argmax(axis=1) == y).mean()) for u in segmentation.refinement_steps(net, x)]


def one_seed(preset: str, seed: int, steps: int | None) -> dict:
    start = time.perf_counter()
    runs = nv.race(preset, seed=seed, steps=steps)
    seconds = time.perf_counter() - start
    ds = runs["coarse"].dataset
    row = {"seed": seed, "seconds": seconds, "steps": runs["coarse"].steps}
    for label in ("coarse", "refined"):
        row[label] = segmentation.evaluate(runs[label].network, ds.x_test, ds.y_test)
    row["iterations"] = per_iteration(runs["refined"].network, ds.x_test, ds.y_test)
    c, r = row["coarse"], row["refined"]
    print(
        f"seed {seed}: coarse pixel {100 * c['pixel_accuracy']:.1f} % boundary {100 * c['boundary_accuracy']:.1f} % "
        f"mIoU {c['mean_iou']:.3f} | refined pixel {100 * r['pixel_accuracy']:.1f} % boundary "
        f"{100 * r['boundary_accuracy']:.1f} % mIoU {r['mean_iou']:.3f} | {row['steps']} steps, "
        f"{seconds:.0f} s for both runs",
        flush=True,
    )
    print("    refined net, pixel accuracy by iteration: " + " ".join(f"{100 * a:.1f}" for a in row["iterations"]))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="how many seeds (0, 1, ...), at least 1")
    parser.add_argument("--preset", default="rnn-pde")
    parser.add_argument("--steps", type=int, default=None, help="steps per run (default: the preset's budget)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds is a count of seeds and must be >= 1, got {args.seeds}")
    print(f"CPU: {cpu_name()}; load average {os.getloadavg()[0]:.1f}; {nv.__version__}")
    rows = [one_seed(args.preset, seed, args.steps) for seed in range(args.seeds)]
    mean = {label: {k: float(np.mean([r[label][k] for r in rows])) for k in KEYS} for label in ("coarse", "refined")}
    gain = {k: 100 * (mean["refined"][k] - mean["coarse"][k]) for k in KEYS}
    print(
        f"mean of {len(rows)} seeds: pixel accuracy {100 * mean['coarse']['pixel_accuracy']:.1f} -> "
        f"{100 * mean['refined']['pixel_accuracy']:.1f} % ({gain['pixel_accuracy']:+.1f} points, target >= +3), "
        f"boundary accuracy {100 * mean['coarse']['boundary_accuracy']:.1f} -> "
        f"{100 * mean['refined']['boundary_accuracy']:.1f} % ({gain['boundary_accuracy']:+.1f} points, target >= +10), "
        f"mIoU {mean['coarse']['mean_iou']:.3f} -> {mean['refined']['mean_iou']:.3f}; "
        f"{np.mean([r['seconds'] for r in rows]):.0f} s per seed"
    )
    ok = gain["pixel_accuracy"] >= 3 and gain["boundary_accuracy"] >= 10
    print("claim holds" if ok else "claim FAILS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

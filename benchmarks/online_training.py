"""Learning without storing the history: full BPTT vs truncated BPTT vs UORO on a stream (issue 17).

    python benchmarks/online_training.py [--steps 60000] [--window 1] [--seeds 0 1 2] [--json out.json]

Task (neuralviz.online.lag_sequences): a random sign per step, target = the sign `window + 5`
steps back, sequences of 40 steps, a tanh RNN with 16 hidden units and a linear readout (float64,
numpy). Loss 1/2 (y - target)^2 per step with a target; predicting 0 scores 0.5. Each method
trains the same initial model on the same stream with Adam (lr: full/truncated 3e-3, UORO 1e-3).

Columns:
  final loss   mean loss over the last tenth of the sequences, per seed, and their mean
  memory       floats a learner keeps about the past beyond the current state: full BPTT stores
               T hidden states (T*16), truncated BPTT k (k*16), UORO s~ and theta~ (16 + 288 = 304)
  seconds      wall time of the training loop per seed (shared 2-core machine: noisy)
A second table gives the memory at longer sequences: full BPTT grows with T, the others do not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralviz.online import METHODS, race_online  # noqa: E402


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return next(
        (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "unknown"
    )


def run(steps: int, window: int, seeds: list[int]) -> dict:
    results = {label: {"final_loss": [], "seconds": [], "memory_floats": None} for label in METHODS}
    for seed in seeds:
        for label, r in race_online("lag", steps=steps, seed=seed, window=window, length=40).items():
            results[label]["final_loss"].append(r.final_loss)
            results[label]["seconds"].append(r.seconds)
            results[label]["memory_floats"] = r.memory_floats
            print(f"  seed {seed} {label:15s} final loss {r.final_loss:.4f}  {r.seconds:.1f} s", flush=True)
    return results


def memory_at_lengths(window: int, lengths=(40, 400, 4000)) -> dict:
    """Memory needs no long training: one sequence per length (lag fixed at window + 5) reads it off."""
    table = {}
    for length in lengths:
        runs = race_online("lag", steps=length, seed=0, window=window, length=length)
        table[length] = {label: r.memory_floats for label, r in runs.items()}
    return table


def report(results: dict, memory: dict, steps: int, window: int, seeds: list[int]) -> None:
    print(f"\nCPU: {cpu_model()}")
    print(
        f"lag {window + 5}, truncation window {window}, {steps} steps x {len(seeds)} seeds {seeds}; predict-0 loss 0.5"
    )
    print(f"{'method':16s} {'final loss per seed':30s} {'mean':>7s} {'memory':>7s} {'seconds':>8s}")
    for label, r in results.items():
        per_seed = " ".join(f"{v:.4f}" for v in r["final_loss"])
        print(
            f"{label:16s} {per_seed:30s} {np.mean(r['final_loss']):7.4f} {r['memory_floats']:7d} "
            f"{np.mean(r['seconds']):8.1f}"
        )
    print("\nmemory_floats by sequence length T:")
    print(f"{'T':>6s} " + " ".join(f"{label:>15s}" for label in METHODS))
    for length, row in memory.items():
        print(f"{length:6d} " + " ".join(f"{row[label]:15d}" for label in METHODS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000)
    parser.add_argument("--window", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = run(args.steps, args.window, args.seeds)
    memory = memory_at_lengths(args.window)
    report(results, memory, args.steps, args.window, args.seeds)
    if args.json:
        payload = {"cpu": cpu_model(), "steps": args.steps, "window": args.window, "seeds": args.seeds}
        args.json.write_text(json.dumps(dict(payload, results=results, memory=memory), indent=2))


if __name__ == "__main__":
    main()

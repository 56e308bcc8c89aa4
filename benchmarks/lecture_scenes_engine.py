"""The numbers behind three lecture scenes, over several seeds, each race trained for its preset's budget:

* function-spaces (topic 1): train / test loss and test accuracy of the linear, cubic and net runs, at a
  tenth of the budget, a third and the end (the net's test loss rises while its train loss falls to ~0);
* widths (topic 6): test MSE of one hidden tanh layer of width 1, 2, 4, 16 on the bumps target;
* noise (topic 14): the input-Jacobian norm ‖∂f/∂x‖ (mean over the test points, logits) and the test
  accuracy of the runs trained with input noise of std 0, 0.1, 0.3 on the spirals.

    python benchmarks/lecture_scenes_engine.py [--seeds 3] [--json out.json]

Each race takes well under a second (the fused C++ training path; the cubic run takes the layer path).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralviz.analysis import input_jacobian_norm  # noqa: E402
from neuralviz.race import Race  # noqa: E402


def function_spaces(seed: int) -> dict:
    r = Race("function-spaces", seed=seed)
    rows, done = {}, 0
    for fraction in (0.1, 1 / 3, 1.0):
        step = round(fraction * r.budget)
        r.advance(step - done)
        done = step
        for label, m in r.evaluate().items():
            rows[f"{label} @{step}"] = m
    return rows


def widths(seed: int) -> dict:
    r = Race("widths", seed=seed)
    r.advance(r.budget)
    return {label: m["test_loss"] for label, m in r.evaluate().items()}


def noise(seed: int) -> dict:
    r = Race("noise", seed=seed)
    r.advance(r.budget)
    metrics = r.evaluate()
    return {
        label: {
            "jacobian": input_jacobian_norm(run.network, run.dataset.x_test),
            "train_accuracy": metrics[label]["train_accuracy"],
            "test_accuracy": metrics[label]["test_accuracy"],
        }
        for label, run in r.runs.items()
    }


def seed_table(results: dict, race, seeds, width: int, cells) -> None:
    """results[seed] = race(seed) for every seed, printed as a table: a header of the first row's labels (`width`
    characters each), then per seed cells(row, labels) and the seconds its race took."""
    labels = None
    for seed in seeds:
        t = time.perf_counter()
        row = results[seed] = race(seed)
        if labels is None:
            labels = list(row)
            print("  seed  " + "".join(f"{label:>{width}s}" for label in labels))
        print(f"  {seed:4d}  {cells(row, labels)}", f"({time.perf_counter() - t:.1f} s)")


def _noise_cells(row: dict, labels: list) -> str:
    return "".join(f"{row[k]['jacobian']:9.1f} ({row[k]['test_accuracy']:.2f})" for k in labels)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    results = {"function-spaces": {}, "widths": {}, "noise": {}}

    print("function-spaces (xor, noise 0.25, 50 training points): train loss / test loss / test accuracy")
    for seed in seeds:
        t = time.perf_counter()
        rows = results["function-spaces"][seed] = function_spaces(seed)
        for key, m in rows.items():
            print(f"  seed {seed}  {key:14s} {m['train_loss']:9.3g} {m['test_loss']:8.3g} {m['test_accuracy']:6.2f}")
        print(f"  ({time.perf_counter() - t:.1f} s)")

    print("\nwidths (bumps, 4 bumps): test MSE")
    seed_table(results["widths"], widths, seeds, 10, lambda row, labels: "".join(f"{row[k]:10.4f}" for k in labels))

    print("\nnoise (spirals): ‖∂f/∂x‖ on the test points (test accuracy)")
    seed_table(results["noise"], noise, seeds, 16, _noise_cells)

    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
